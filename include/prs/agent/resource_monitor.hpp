#pragma once
// logs/perf/<node>/: node_resource_usage.csv, processes_resource_usage.csv,
// node_disk_usage.csv and the os/ process listings, a sample every
// --resource_monitor_interval seconds (0 = off), read straight from /proc and statvfs so
// sampling costs a few small reads and never a child process; and, where nvidia-smi exists,
// gpu_resource_usage.csv (see GpuSampler).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "prs/agent/disk_usage.hpp"
#include "prs/agent/gpu_sampler.hpp"
#include "prs/agent/proc_files.hpp"
#include "prs/agent/process_listing.hpp"
#include "prs/logs/log_file.hpp"

namespace prs::agent {

struct MonitoredWorker {
    std::string name;  // "process001"
    int pid = 0;
};

class ResourceMonitor {
public:
    // `with_node`: this agent also writes the node's figures (one agent per node does):
    // load, memory, the disks holding `job_folders`, and the process listings.
    ResourceMonitor(const std::filesystem::path& perf_dir, int interval_s, bool with_node,
                    const std::vector<JobFolder>& job_folders);
    // Whether a sample is due: cheap, so the agent's loop can ask on every turn.
    bool due() const;
    void sample(const std::vector<MonitoredWorker>& workers);

private:
    using Clock = std::chrono::steady_clock;
    void sample_node(const std::string& stamp);
    void sample_disks(const std::string& stamp);
    void sample_workers(const std::string& stamp, const std::vector<MonitoredWorker>& workers, double wall_s);

    std::chrono::seconds interval_;
    bool with_node_;
    logs::LogFile node_csv_;
    logs::LogFile disk_csv_;
    logs::LogFile processes_csv_;
    std::vector<WatchedFilesystem> filesystems_;  // resolved once: mounts rarely change during a job
    std::optional<ProcessListing> listing_;
    Clock::time_point last_{};
    std::optional<CpuTimes> last_cpu_;
    std::map<int, std::uint64_t> last_ticks_;  // per pid, for CPU % between samples
    std::optional<GpuSampler> gpus_;           // where nvidia-smi exists, on the node's first agent
};

}  // namespace prs::agent
