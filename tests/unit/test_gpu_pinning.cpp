#include <gtest/gtest.h>

#include <map>

#include "prs/hpc/gpu_pinning.hpp"

using namespace prs::hpc;

namespace {
EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}
GpuLister no_smi() {
    return [] {
        return std::optional<std::string>();
    };
}
GpuLister smi(std::string out) {
    return [out] {
        return std::optional<std::string>(out);
    };
}
}  // namespace

TEST(GpuPinning, LauncherListIsMappedByLocalIndex) {
    const auto g = detect_gpus(env_of({{"CUDA_VISIBLE_DEVICES", "2,5,7"}}), no_smi());
    EXPECT_EQ(g.devices, (std::vector<std::string>{"2", "5", "7"}));
    EXPECT_EQ(gpu_for_worker(g, 0), "2");
    EXPECT_EQ(gpu_for_worker(g, 2), "7");
    EXPECT_EQ(gpu_for_worker(g, 3), std::nullopt) << "more workers than GPUs: no variable";
}

TEST(GpuPinning, FewerGpusThanWorkersLowerIndicesGetThem) {
    // The seed's example: 2 GPUs, 4 workers -> workers 0 and 1 get GPUs 0 and 1.
    const auto g = detect_gpus(env_of({}), smi("GPU 0: A100 (UUID: GPU-a)\nGPU 1: A100 (UUID: GPU-b)\n"));
    EXPECT_EQ(g.source, "nvidia-smi -L");
    EXPECT_EQ(gpu_for_worker(g, 0), "0");
    EXPECT_EQ(gpu_for_worker(g, 1), "1");
    EXPECT_EQ(gpu_for_worker(g, 2), std::nullopt);
    EXPECT_EQ(gpu_for_worker(g, 3), std::nullopt);
}

TEST(GpuPinning, OverrideCountWins) {
    auto g = detect_gpus(env_of({{"PRS_GPUS_PER_NODE", "2"}, {"CUDA_VISIBLE_DEVICES", "4,5,6"}}), smi("GPU 0: x\n"));
    EXPECT_EQ(g.devices, (std::vector<std::string>{"4", "5"}));
    g = detect_gpus(env_of({{"PRS_GPUS_PER_NODE", "3"}}), no_smi());
    EXPECT_EQ(g.devices, (std::vector<std::string>{"0", "1", "2"}));
    g = detect_gpus(env_of({{"PRS_GPUS_PER_NODE", "0"}, {"CUDA_VISIBLE_DEVICES", "0,1"}}), no_smi());
    EXPECT_TRUE(g.devices.empty());
}

TEST(GpuPinning, SlurmVariablesAndNothing) {
    EXPECT_EQ(detect_gpus(env_of({{"SLURM_JOB_GPUS", "1,3"}}), no_smi()).devices, (std::vector<std::string>{"1", "3"}));
    EXPECT_EQ(detect_gpus(env_of({{"SLURM_GPUS_ON_NODE", "2"}}), no_smi()).devices,
              (std::vector<std::string>{"0", "1"}));
    EXPECT_TRUE(detect_gpus(env_of({{"CUDA_VISIBLE_DEVICES", "NoDevFiles"}}), smi("GPU 0: x\n")).devices.empty());
    EXPECT_TRUE(detect_gpus(env_of({}), no_smi()).devices.empty());
}
