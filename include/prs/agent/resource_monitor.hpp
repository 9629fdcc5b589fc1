#pragma once
// logs/perf/<node>/node_resource_usage.csv and processes_resource_usage.csv: a row every
// --resource_monitor_interval seconds (0 = off), read straight from /proc so sampling
// costs a few small reads and never a child process.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prs/logs/log_file.hpp"

namespace prs::agent {

struct CpuTimes {                       // /proc/stat's first line, in clock ticks
    std::uint64_t busy = 0;
    std::uint64_t total = 0;
};
struct ProcessSample {                  // /proc/<pid>/stat
    char state = '?';
    std::uint64_t cpu_ticks = 0;        // utime + stime
    std::uint64_t threads = 0;
    std::uint64_t rss_pages = 0;
};

// Parsers of /proc text, apart so they can be tested on fixed input.
std::optional<CpuTimes> parse_proc_stat(std::string_view text);
std::optional<ProcessSample> parse_pid_stat(std::string_view text);
// "MemTotal:" style keys of /proc/meminfo, in kB; nullopt when missing.
std::optional<std::uint64_t> meminfo_kb(std::string_view text, std::string_view key);

struct MonitoredWorker {
    std::string name;                   // "process001"
    int pid = 0;
};

class ResourceMonitor {
public:
    // `with_node`: this agent also writes the node's figures (one agent per node does).
    ResourceMonitor(const std::filesystem::path& perf_dir, int interval_s, bool with_node);
    // Whether a sample is due: cheap, so the agent's loop can ask on every turn.
    bool due() const;
    void sample(const std::vector<MonitoredWorker>& workers);

private:
    using Clock = std::chrono::steady_clock;
    void sample_node(const std::string& stamp);
    void sample_workers(const std::string& stamp, const std::vector<MonitoredWorker>& workers, double wall_s);

    std::chrono::seconds interval_;
    bool with_node_;
    logs::LogFile node_csv_;
    logs::LogFile processes_csv_;
    Clock::time_point last_{};
    std::optional<CpuTimes> last_cpu_;
    std::map<int, std::uint64_t> last_ticks_;  // per pid, for CPU % between samples
};

}  // namespace prs::agent
