#pragma once
// PipelineSpec: a `type: pipeline` job file resolved into steps in run order. Command steps
// are resolved completely; a parallel step becomes a JobSpec only when it is about to run
// (load_pipeline_step), because its inputs may be folders an earlier step writes.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "prs/config/command_line.hpp"
#include "prs/config/job_spec.hpp"

namespace prs::config {

namespace detail {
struct StepSource;  // the step's resolved YAML, private to config
}

struct StepOutput {
    std::string name;
    std::string type;  // uri_folder, uri_file or mltable
    fs::path path;     // absolute: the node's path, a datastore's folder, or <run_dir>/<step>/outputs/<name>
};

// `type: command`: one bash command, run once per pipeline.
struct CommandStep {
    fs::path code_dir;    // the working directory (task code, else the defining file's folder)
    std::string command;  // ${{inputs.X}} / ${{outputs.Y}} already replaced
    std::vector<std::pair<std::string, std::string>> environment_variables;
    std::vector<fs::path> python_path;  // environment.python_path / venv site-packages
    std::optional<fs::path> venv;       // environment.venv: its bin/python is `python`
};

struct PipelineStep {
    enum class Kind { Command, Parallel } kind = Kind::Command;
    std::string name;                   // the key under jobs:
    std::string where;                  // "pipeline.yml:12:3"
    std::vector<std::string> upstream;  // steps whose outputs this one reads, in run order
    std::vector<StepOutput> outputs;
    std::vector<fs::path> input_paths;  // data this step reads, for its fingerprint
    bool is_deterministic = true;
    CommandStep command;                               // Kind::Command only
    std::shared_ptr<const detail::StepSource> source;  // Kind::Parallel: read by load_pipeline_step
};

struct PipelineSpec {
    fs::path job_file;                      // absolute
    std::string name;                       // `name:`, else the file's stem: the default run directory's name
    fs::path run_dir;                       // absolute
    bool force_rerun = false;               // settings.force_rerun
    bool continue_on_step_failure = false;  // settings.continue_on_step_failure
    std::vector<PipelineStep> steps;        // in run order (dependencies first, else file order)
    std::vector<std::string> warnings;      // formatted like JobSpec::warnings
};

// A `type: pipeline` file run whole: nullopt for every other form, and when --job picks one
// step (load_job reads that). Throws JobError on bad files, cycles and unknown references.
std::optional<PipelineSpec> load_pipeline(const CommandLine& cli);

// The parallel step `step` as a JobSpec, with the command line's overrides and its run
// directory (<run_dir>/<step>) bound. Reads the filesystem now (inputs must exist).
JobSpec load_pipeline_step(const PipelineSpec& pipeline, const PipelineStep& step, const CommandLine& cli);

// The run directory of a job or pipeline called `name`: --run-dir, else ./prs_runs/<name>.
fs::path default_run_dir(const CommandLine& cli, const std::string& name);

}  // namespace prs::config
