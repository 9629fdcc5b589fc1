#pragma once
// The readers of the three job-file forms and the pieces they share. Internal to config.

#include <optional>
#include <string>
#include <vector>

#include "job_file.hpp"
#include "prs/config/command_line.hpp"
#include "prs/config/pipeline_spec.hpp"

namespace prs::config::detail {

// The top-level keys of Azure's v2 pipeline job schema: whether the whole pipeline runs or
// `--job` picks one of its parallel steps, none of them is reported as unknown.
inline const std::vector<std::string> kPipelineKeys = {
    "$schema",    "type",     "name",    "display_name", "description",     "tags",
    "settings",   "jobs",     "inputs",  "outputs",      "experiment_name", "compute",
    "properties", "identity", "services"};

// What a pipeline step's ${{parent.inputs.X}} / ${{parent.outputs.Y}} refer to.
struct ParentScope {
    std::optional<Mapping> inputs;
    std::optional<Mapping> outputs;
};

// inputs.cpp, outputs.cpp: `inputs:` / `outputs:` mappings (name -> spec). `parent` is null
// outside pipelines.
void read_inputs(const JobFile& file, const Field& inputs, const ParentScope* parent, JobSpec& spec);
// v1 `inputs:`/`side_inputs:` as a list: paths, or mappings with name/path/type.
void read_input_list(const JobFile& file, const Field& list, JobSpec& spec);
void read_outputs(const JobFile& file, const Field& outputs, const ParentScope* parent, JobSpec& spec);

// task.cpp: pieces of `task:` that v1 spells at the top level.
fs::path read_code_dir(const JobFile& file, const Field& code);
// The entry script, relative to code_dir; with `inside_code` it may not leave code_dir.
fs::path read_entry_script(const JobFile& file, const Field& entry, const fs::path& code_dir, bool inside_code);
void read_environment_variables(const JobFile& file, const Field& variables, JobSpec& spec);
void read_environment(const JobFile& file, const Field& environment, JobSpec& spec);
// A list of strings, or (v1 PipelineParameter style) a JSON list in a string.
std::vector<std::string> read_partition_keys(const JobFile& file, const Field& keys);

// arguments.cpp: a string (split like a shell would) or a list of arguments; binds
// ${{inputs/outputs}} and applies the PRS flags among them. Needs inputs/outputs read first.
void read_program_arguments(const JobFile& file, const Field& arguments, JobSpec& spec);
// Re-splits spec.program_arguments_source and binds it with spec's current paths.
// Throws JobError (without a position) for quoting or binding problems.
void bind_program_arguments(JobSpec& spec);

// parallel_job.cpp: a `type: parallel` mapping: the file's root, or a pipeline step.
void read_parallel_job(const JobFile& file, const Mapping& job, const ParentScope* parent, JobSpec& spec);
// pipeline_job.cpp: picks the parallel step among `jobs` (`chosen`: --job NAME).
void read_pipeline_jobs(const JobFile& file, const Mapping& jobs, const ParentScope* parent,
                        const std::optional<std::string>& chosen, JobSpec& spec);
// load_job.cpp: the command line's setting flags over the job file's, and the settings that
// depend on others, once every source is read.
void apply_overrides(const CommandLine& cli, JobSpec& spec);
void settle(JobSpec& spec);

// command_step.cpp: a pipeline's command step (its outputs already in `step`).
void read_command_step(const JobFile& file, const Mapping& command, PipelineStep& step);

// v1_job.cpp: ParallelRunConfig + ParallelRunStep names at the top level.
void read_v1_job(const JobFile& file, const Mapping& root, JobSpec& spec);

}  // namespace prs::config::detail
