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
#include "prs/util/user_error.hpp"

namespace prs::orchestrator {

// Another run holds the lock: names the holder and the fix (one-line form, docs/design.md §9).
class RunLockBusy : public util::UserError {
public:
    explicit RunLockBusy(util::Problem p) : UserError(std::move(p), Form::Line) {}
};

class RunDirLock {
public:
    // Waits up to `patience` for another holder to go away; throws RunLockBusy (naming
    // the holder's pid) if it does not.
    RunDirLock(const std::filesystem::path& run_dir, std::chrono::milliseconds patience);

private:
    util::UniqueFd fd_;
};

// One job per output file at a time. Two jobs (two run directories) naming one output file
// each cut it back to their own journal's length and appended their rows: the first job's
// rows were gone and both said they had written theirs. Rank 0 holds an flock on the output
// file itself for the whole run (creating it, empty, if it is not there); who holds it is
// kept in the file's extended attribute user.prs_mpi.writer where the filesystem has them.
class OutputFileLock {
public:
    // Waits up to `patience`; throws RunLockBusy naming the holder (pid, host, run directory).
    OutputFileLock(const std::filesystem::path& output, const std::filesystem::path& run_dir,
                   std::chrono::milliseconds patience);
    OutputFileLock(const OutputFileLock&) = delete;
    OutputFileLock& operator=(const OutputFileLock&) = delete;
    ~OutputFileLock();

private:
    util::UniqueFd fd_;
};

}  // namespace prs::orchestrator
