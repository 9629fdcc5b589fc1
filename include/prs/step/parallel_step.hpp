#pragma once
// Runs one parallel step (one Azure parallel job) on every rank: rank 0 prepares the run
// (locks, input listing, partition, journal decision), shares its decision, and orchestrates;
// the other ranks run an agent loop. A whole pipeline (pipeline/) calls this for each of its
// parallel steps; `prs_mpi job.yml` calls it once.

#include <filesystem>

#include "prs/config/job_spec.hpp"
#include "prs/hpc/gpu_pinning.hpp"
#include "prs/hpc/launcher.hpp"
#include "prs/partition/file_list.hpp"
#include "prs/protocol/messages.hpp"
#include "prs/transport/mpi_transport.hpp"

namespace prs::step {

struct ParallelStep {
    const config::JobSpec& job;  // resolved: run directory bound, inputs known
    const protocol::InputFormat& input;
    std::filesystem::path run_dir;
    bool fresh = false;         // --fresh: ignore a journal there
    bool retry_failed = false;  // --retry-failed
    const hpc::LaunchEnvironment& launch;
    transport::MpiSession& mpi;
};

struct StepOutcome {
    int exit_code = 0;  // this rank's; rank 0's is the step's (exit_codes.hpp)
    // A finished run was reused (or --retry-failed found nothing to retry): nothing ran.
    bool reused = false;
};

// Every rank calls it; may end a rank other than 0 (or rank 0 after losing ranks) without
// returning, where MPI_Finalize would wait for a rank that died.
StepOutcome run_parallel_step(const ParallelStep& step);

// The major input's files; a folder link that leads to a folder listed already is not
// followed, and rank 0 says so.
partition::PathList list_input(const config::JobSpec& job);

// Azure's default: one worker per GPU on a GPU node, one per core otherwise.
int default_concurrency(const hpc::GpuInventory& gpus);

}  // namespace prs::step
