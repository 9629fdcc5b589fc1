#pragma once
// One job per run directory at a time. Two rank 0s appending to the same output and
// journal (a resubmitted job while the first still runs, or ranks orphaned by a killed
// mpirun, which Open MPI leaves running in their own process groups) would double rows.
// Rank 0 holds an flock on <run_dir>/.lock for the whole run; the kernel releases it
// when the process dies, however it dies.

#include <chrono>
#include <filesystem>
#include <string>

#include "prs/util/unique_fd.hpp"

namespace prs::orchestrator {

class RunLockBusy : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class RunDirLock {
public:
    // Waits up to `patience` for another holder to go away; throws RunLockBusy (naming
    // the holder's pid) if it does not.
    RunDirLock(const std::filesystem::path& run_dir, std::chrono::milliseconds patience);

private:
    util::UniqueFd fd_;
};

}  // namespace prs::orchestrator
