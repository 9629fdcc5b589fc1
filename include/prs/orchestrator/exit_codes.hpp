#pragma once
// Exit codes of prs_mpi (rank 0's code is the job's; mpirun passes it on).

namespace prs {

inline constexpr int kExitSucceeded = 0;
inline constexpr int kExitBadInput = 2;    // job file, command line or input data
inline constexpr int kExitJobFailed = 42;  // Azure's code for a failed job; see logs/job_result.txt
inline constexpr int kExitResumable = 75;  // stopped by a signal; re-run the same command to resume

}  // namespace prs
