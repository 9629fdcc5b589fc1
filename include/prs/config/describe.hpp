#pragma once
// The text `prs_mpi --dry-run` prints: every resolved setting with where it came from.

#include <string>

#include "prs/config/job_spec.hpp"

namespace prs::config {

// One line per item: the job, its inputs and outputs, the entry script and its sys.argv,
// then each setting as `name  value  origin` where origin is "default", "job.yml:L:C",
// "program_arguments: --flag value", "command line: --flag value" or "computed: ...".
// Outputs without a path show as <run_dir>/outputs/NAME until bind_run_dir() runs.
// Warnings are not included (JobSpec::warnings; the caller prints them).
std::string describe(const JobSpec& spec);

}  // namespace prs::config
