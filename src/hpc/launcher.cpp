#include "prs/hpc/launcher.hpp"

#include <charconv>

namespace prs::hpc {

LaunchEnvironment detect_launch(const util::EnvLookup& env) {
    LaunchEnvironment out;
    if (const auto v = env("OMPI_MCA_orte_enable_recovery"))
        out.survives_rank_loss = *v == "1" || *v == "true" || *v == "yes";
    // The first launcher's rank variable found names this process's rank.
    for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
        if (const auto v = env(var)) {
            out.rank0 = *v == "0";
            break;
        }
    }
    // Under these the process is wired into a job even as its only rank (mpirun -np 1,
    // srun --mpi=pmix -n 1), so MPI_Init runs as it always did.
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMIX_NAMESPACE", "PMI_RANK",
                            "PMI_SIZE", "PMI_FD"}) {
        if (env(var)) {
            out.launched = true;
            return out;
        }
    }
    // Slurm sets SLURM_PROCID in every srun task, whatever its MPI plugin, and in a batch
    // script's shell. With more than one task there may be other ranks to meet: MPI_Init
    // runs as before (Open MPI makes a singleton where there are none).
    if (env("SLURM_PROCID")) {
        if (const auto tasks = env("SLURM_NTASKS")) {
            int n = 0;
            const auto [end, ec] = std::from_chars(tasks->data(), tasks->data() + tasks->size(), n);
            out.launched = ec == std::errc() && n > 1;
        }
    }
    return out;
}

}  // namespace prs::hpc
