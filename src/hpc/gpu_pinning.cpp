#include "prs/hpc/gpu_pinning.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

#include <fmt/format.h>

namespace prs::hpc {

namespace {

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) {
        const auto b = item.find_first_not_of(" \t");
        const auto e = item.find_last_not_of(" \t");
        if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    }
    return out;
}

std::vector<std::string> indices(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(std::to_string(i));
    return out;
}

std::optional<int> parse_count(const std::string& s) {
    char* end = nullptr;
    const long v = std::strtol(s.c_str(), &end, 10);
    if (end == s.c_str() || *end != '\0' || v < 0 || v > 4096) return std::nullopt;
    return static_cast<int>(v);
}

// "NoDevFiles" is what Slurm's gres plugin writes when a job has no GPUs.
std::optional<std::vector<std::string>> launcher_list(const EnvLookup& env) {
    const auto v = env("CUDA_VISIBLE_DEVICES");
    if (!v) return std::nullopt;
    if (*v == "NoDevFiles") return std::vector<std::string>{};
    return split_list(*v);
}

}  // namespace

GpuInventory detect_gpus(const EnvLookup& env, const GpuLister& nvidia_smi) {
    const auto launcher = launcher_list(env);
    if (const auto v = env("PRS_GPUS_PER_NODE")) {
        if (const auto n = parse_count(*v)) {
            if (launcher && static_cast<int>(launcher->size()) >= *n)
                return {std::vector<std::string>(launcher->begin(), launcher->begin() + *n),
                        fmt::format("PRS_GPUS_PER_NODE={} of CUDA_VISIBLE_DEVICES", *n)};
            return {indices(*n), fmt::format("PRS_GPUS_PER_NODE={}", *n)};
        }
    }
    if (launcher) return {*launcher, "the launcher's CUDA_VISIBLE_DEVICES"};
    for (const char* var : {"SLURM_STEP_GPUS", "SLURM_JOB_GPUS"})
        if (const auto v = env(var)) return {split_list(*v), var};
    if (const auto v = env("SLURM_GPUS_ON_NODE"))
        if (const auto n = parse_count(*v)) return {indices(*n), "SLURM_GPUS_ON_NODE"};
    if (const auto listing = nvidia_smi()) {
        int n = 0;
        std::stringstream in(*listing);
        for (std::string line; std::getline(in, line);)
            if (line.rfind("GPU ", 0) == 0) ++n;
        return {indices(n), "nvidia-smi -L"};
    }
    return {{}, "no GPU found"};
}

GpuInventory detect_gpus() {
    const GpuLister smi = []() -> std::optional<std::string> {
        std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen("nvidia-smi -L 2>/dev/null", "r"), ::pclose);
        if (!pipe) return std::nullopt;
        std::string out;
        char buf[512];
        while (std::fgets(buf, sizeof buf, pipe.get())) out += buf;
        return out.empty() ? std::nullopt : std::optional<std::string>(out);
    };
    return detect_gpus(util::process_env(), smi);
}

std::optional<std::string> gpu_for_worker(const GpuInventory& gpus, int local_index) {
    if (local_index < 0 || local_index >= static_cast<int>(gpus.devices.size())) return std::nullopt;
    return gpus.devices[static_cast<std::size_t>(local_index)];
}

}  // namespace prs::hpc
