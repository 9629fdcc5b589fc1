#pragma once
// Whether an MPI launcher started this process, read before MPI_Init from the variables
// launchers set. Started alone (`prs_mpi job.yml`), the process is a world of one rank
// and never calls MPI_Init: Open MPI would start its singleton runtime for it (an orted
// child, component loading; ~0.3 s) only to learn that there is no other rank.

#include "prs/util/env.hpp"

namespace prs::hpc {

struct LaunchEnvironment {
    bool launched = false;  // mpirun/mpiexec, srun or another PMI launcher: MPI_Init must run
    bool rank0 = true;      // the rank the launcher gave this process is 0 (or it gave none)
    // The launcher lets the job go on when a rank dies (mpirun --enable-recovery). Without
    // it a rank that does not finish fails the job whatever rank 0 says.
    bool survives_rank_loss = false;
};

// Open MPI's mpirun (OMPI_COMM_WORLD_*, PMIX_*), PMIx servers (srun --mpi=pmix, PRRTE),
// PMI-1/2 launchers (MPICH's Hydra, srun --mpi=pmi2: PMI_*), and srun of several tasks
// without an MPI plugin (SLURM_PROCID with SLURM_NTASKS > 1). A lone srun task without
// one counts as started alone.
// Open MPI's --enable-recovery shows as OMPI_MCA_orte_enable_recovery in every rank.
LaunchEnvironment detect_launch(const util::EnvLookup& env);

}  // namespace prs::hpc
