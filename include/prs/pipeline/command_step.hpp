#pragma once
// A command step: bash runs its command once, in its code folder, with the job's Python
// first on PATH and prs_mpi's azureml_user helper on PYTHONPATH; stdout and stderr go to the
// step's log.

#include <filesystem>

#include "prs/config/pipeline_spec.hpp"

namespace prs::pipeline {

struct CommandOutcome {
    int exit_code = 0;     // the command's; 128+N when killed by signal N
    bool stopped = false;  // prs_mpi was asked to stop (SIGTERM, SIGINT, SIGUSR1) and ended it
};

// The interpreter `python` and `python3` name in a command step: the venv's when the step
// has environment.venv, else the one the workers embed.
std::filesystem::path step_python(const config::CommandStep& step);

// Runs the step with bash -c in step.command.code_dir; `log` receives stdout and stderr.
// `step_dir` holds the bin/ folder that puts python first on PATH.
CommandOutcome run_command_step(const config::PipelineStep& step, const std::filesystem::path& step_dir,
                                const std::filesystem::path& log);

}  // namespace prs::pipeline
