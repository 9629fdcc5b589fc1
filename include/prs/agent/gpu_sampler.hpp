#pragma once
// logs/perf/<node>/gpu_resource_usage.csv: where nvidia-smi exists, nvidia-smi itself
// samples every GPU of the node (utilisation, memory) every --resource_monitor_interval
// seconds and writes the file, so the agent's loop never waits on it. The sampler is a
// child process owned by this object: ended when the object goes, and by the kernel when
// its rank dies (PR_SET_PDEATHSIG).

#include <sys/types.h>

#include <filesystem>
#include <optional>

namespace prs::agent {

class GpuSampler {
public:
    // Starts nvidia-smi (found on PATH) writing `csv`; nullopt when there is no nvidia-smi.
    static std::optional<GpuSampler> start(const std::filesystem::path& csv, int interval_s);

    GpuSampler(GpuSampler&& o) noexcept;
    GpuSampler& operator=(GpuSampler&& o) noexcept;
    GpuSampler(const GpuSampler&) = delete;
    ~GpuSampler();

private:
    explicit GpuSampler(pid_t pid) : pid_(pid) {}
    void stop();
    pid_t pid_ = -1;
};

}  // namespace prs::agent
