#pragma once
// GPU pinning (docs/design.md §10): each worker of a node gets its own GPU by its local
// index; with fewer GPUs than workers the lower indices get one and the others get no
// CUDA_VISIBLE_DEVICES at all. A replacement worker has its predecessor's local index, so
// it takes the GPU that was freed.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "prs/util/env.hpp"

namespace prs::hpc {

struct GpuInventory {
    std::vector<std::string> devices;  // as CUDA_VISIBLE_DEVICES names them: "0", "3", "GPU-8f1c..."
    std::string source;                // where the list came from, for the logs
};

using util::EnvLookup;
// Runs `nvidia-smi -L` and returns its output, or nullopt when there is no such command.
using GpuLister = std::function<std::optional<std::string>()>;

// The node's GPUs, from the first source that names them: PRS_GPUS_PER_NODE (a count,
// overrides the rest; indices are taken from the launcher's list when it has enough), the
// launcher's CUDA_VISIBLE_DEVICES list, Slurm's SLURM_STEP_GPUS / SLURM_JOB_GPUS /
// SLURM_GPUS_ON_NODE, `nvidia-smi -L`; else none.
GpuInventory detect_gpus(const EnvLookup& env, const GpuLister& nvidia_smi);

// The real environment and nvidia-smi.
GpuInventory detect_gpus();

// CUDA_VISIBLE_DEVICES for the worker with this node-local index, or nullopt (no variable).
std::optional<std::string> gpu_for_worker(const GpuInventory& gpus, int local_index);

}  // namespace prs::hpc
