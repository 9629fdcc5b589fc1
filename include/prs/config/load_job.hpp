#pragma once
// Reads a job file (v2 parallel, v2 pipeline, or v1 ParallelRunConfig form) into a JobSpec.

#include <string>

#include "prs/config/command_line.hpp"
#include "prs/config/job_spec.hpp"
#include "prs/util/user_error.hpp"

namespace prs::config {

// A problem with the user's input. what() is the full message, ready to print:
//   "job.yml:14:5: error: retry_settings.timeout: expected an integer in (0, 259200], got 'abc'.
//    Fix: ..."
// The program prints it and exits 2 without running anything. Built from a util::Problem
// (rendered by util::render), or from a whole usage line.
class JobError : public util::UserError {
public:
    explicit JobError(util::Problem p) : UserError(std::move(p)) {}
    explicit JobError(std::string text) : UserError(std::move(text)) {}
};

// Loads and validates `cli.job_file`; flags in `cli` override the job file.
// Throws JobError on any problem. Does not touch the filesystem beyond reading
// the job file and checking that referenced paths exist.
JobSpec load_job(const CommandLine& cli);

// Once the run directory is known: gives outputs without a path <run_dir>/outputs/<name>,
// makes a relative append_row_file absolute under run_dir, and re-binds program_arguments
// (their ${{outputs.Y}} were "outputs/<Y>", relative, until now). Idempotent.
void bind_run_dir(JobSpec& spec, const std::filesystem::path& run_dir);

}  // namespace prs::config
