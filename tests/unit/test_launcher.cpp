#include <gtest/gtest.h>

#include <map>

#include "prs/hpc/launcher.hpp"

using namespace prs;

namespace {
hpc::LaunchEnvironment launch_of(std::map<std::string, std::string> vars) {
    return hpc::detect_launch([vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
}
}  // namespace

TEST(Launcher, AloneIsRankZeroWithoutMpi) {
    const auto l = launch_of({{"PATH", "/usr/bin"}});
    EXPECT_FALSE(l.launched);
    EXPECT_TRUE(l.rank0);
}

TEST(Launcher, MpirunEvenWithOneRankInitializesMpi) {
    // What Open MPI 4.1's mpirun -np 1 sets (among others).
    const auto l = launch_of({{"OMPI_COMM_WORLD_SIZE", "1"},
                              {"OMPI_COMM_WORLD_RANK", "0"},
                              {"PMIX_RANK", "0"},
                              {"PMIX_NAMESPACE", "776929281"}});
    EXPECT_TRUE(l.launched);
    EXPECT_TRUE(l.rank0);
    EXPECT_FALSE(launch_of({{"OMPI_COMM_WORLD_RANK", "2"}, {"PMIX_RANK", "2"}}).rank0);
}

TEST(Launcher, PmixAndPmiLaunchers) {
    // srun --mpi=pmix -n 1, and a PMI-2 launcher (Hydra, srun --mpi=pmi2).
    const auto pmix = launch_of(
        {{"PMIX_RANK", "0"}, {"PMIX_NAMESPACE", "slurm.pmix.7.0"}, {"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}});
    EXPECT_TRUE(pmix.launched);
    const auto pmi = launch_of({{"PMI_RANK", "3"}, {"PMI_SIZE", "4"}, {"PMI_FD", "6"}});
    EXPECT_TRUE(pmi.launched);
    EXPECT_FALSE(pmi.rank0);
}

TEST(Launcher, SlurmWithoutAnMpiPluginCountsTasks) {
    const auto lone = launch_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}});
    EXPECT_FALSE(lone.launched) << "one srun task and no PMI: a world of one";
    EXPECT_TRUE(lone.rank0);
    const auto second = launch_of({{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "3"}});
    EXPECT_TRUE(second.launched);
    EXPECT_FALSE(second.rank0) << "only rank 0 talks to the user";
    EXPECT_FALSE(launch_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "x"}}).launched);
}

TEST(Launcher, EnableRecoveryIsSeenInTheRanksEnvironment) {
    // mpirun --enable-recovery sets this in every rank (Open MPI 4.1).
    EXPECT_TRUE(launch_of({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_MCA_orte_enable_recovery", "1"}}).survives_rank_loss);
    EXPECT_FALSE(launch_of({{"OMPI_COMM_WORLD_RANK", "0"}}).survives_rank_loss);
    EXPECT_FALSE(launch_of({{"OMPI_MCA_orte_enable_recovery", "0"}}).survives_rank_loss);
}
