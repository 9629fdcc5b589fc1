#include "prs/agent/resource_monitor.hpp"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "prs/util/text.hpp"

namespace prs::agent {

namespace {
double percent(std::uint64_t part, std::uint64_t whole) {
    return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// A resumed run appends to the files of the interrupted one: the header goes in once.
logs::LogFile open_csv(const std::filesystem::path& file, bool write_header, std::string_view header) {
    std::error_code ec;
    const bool empty = std::filesystem::file_size(file, ec) == 0 || ec;
    logs::LogFile csv(file);
    if (write_header && empty) csv.raw(header);
    return csv;
}

// Python's tempfile and many libraries write under $TMPDIR: a full /tmp fails jobs too.
JobFolder temporary_folder() {
    const char* tmpdir = std::getenv("TMPDIR");
    return JobFolder{"temporary files", tmpdir && *tmpdir ? tmpdir : "/tmp"};
}

const double kTicksPerSecond = static_cast<double>(::sysconf(_SC_CLK_TCK));
const double kPageMb = static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}  // namespace

ResourceMonitor::ResourceMonitor(const std::filesystem::path& perf_dir, int interval_s, bool with_node,
                                 const std::vector<JobFolder>& job_folders)
    : interval_(interval_s), with_node_(with_node) {
    if (interval_s <= 0) return;
    if (with_node_) {
        node_csv_ = open_csv(perf_dir / "node_resource_usage.csv", true,
                             "Timestamp,Load Average 1m,Load Average 5m,CPU Percent,Memory Total MB,"
                             "Memory Available MB,Memory Used Percent\n");
        disk_csv_ = open_csv(perf_dir / "node_disk_usage.csv", true,
                             "Timestamp,Mount Point,Filesystem Type,Job Folders,Total Bytes,Used Bytes,Free Bytes,"
                             "Used Percent\n");
        auto folders = job_folders;
        folders.push_back(temporary_folder());
        filesystems_ = watched_filesystems(folders, parse_mountinfo(read_proc("/proc/self/mountinfo", 1u << 20)));
        listing_.emplace(perf_dir);
        gpus_ = GpuSampler::start(perf_dir / "gpu_resource_usage.csv", interval_s);
        // The first CPU figure needs an earlier reading to difference against.
        last_cpu_ = parse_proc_stat(read_proc("/proc/stat", 1024));
    }
    // Several agents of one node share this file; only the node's first writes the header.
    processes_csv_ = open_csv(perf_dir / "processes_resource_usage.csv", with_node_,
                              "Timestamp,Process,PID,State,CPU Percent,RSS MB,Threads\n");
    last_ = Clock::now();
}

bool ResourceMonitor::due() const { return interval_.count() > 0 && Clock::now() - last_ >= interval_; }

void ResourceMonitor::sample(const std::vector<MonitoredWorker>& workers) {
    const auto now = Clock::now();
    const double wall_s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    // ISO time: the log lines' "12:00:01,269" would split a CSV field.
    const std::string stamp = logs::iso_now();
    if (with_node_) {
        sample_node(stamp);
        sample_disks(stamp);
        listing_->write();
    }
    sample_workers(stamp, workers, wall_s);
}

void ResourceMonitor::sample_node(const std::string& stamp) {
    const auto load = read_proc("/proc/loadavg", 256);
    const auto space = load.find(' ');
    const auto space2 = load.find(' ', space + 1);
    const std::string load1 = load.substr(0, space), load5 = load.substr(space + 1, space2 - space - 1);
    const auto cpu = parse_proc_stat(read_proc("/proc/stat", 1024));
    double cpu_percent = 0;
    if (cpu && last_cpu_ && cpu->total > last_cpu_->total)
        cpu_percent = percent(cpu->busy - last_cpu_->busy, cpu->total - last_cpu_->total);
    last_cpu_ = cpu;
    const auto mem = read_proc("/proc/meminfo", 4096);
    const std::uint64_t total = meminfo_kb(mem, "MemTotal").value_or(0);
    const std::uint64_t available = meminfo_kb(mem, "MemAvailable").value_or(0);
    node_csv_.raw(fmt::format("{},{},{},{:.1f},{:.0f},{:.0f},{:.1f}\n", stamp, load1, load5, cpu_percent,
                              total / 1024.0, available / 1024.0, percent(total - std::min(available, total), total)));
}

void ResourceMonitor::sample_disks(const std::string& stamp) {
    std::string rows;
    for (const auto& watched : filesystems_) {
        const auto space = disk_space(watched.mount.point);
        if (!space) continue;  // unmounted meanwhile
        rows += fmt::format("{},{},{},{},{},{},{},{:.1f}\n", stamp, util::csv_field(watched.mount.point),
                            util::csv_field(watched.mount.type), util::csv_field(watched.roles), space->total,
                            space->used, space->free, space->used_percent);
    }
    disk_csv_.raw(rows);
}

void ResourceMonitor::sample_workers(const std::string& stamp, const std::vector<MonitoredWorker>& workers,
                                     double wall_s) {
    std::string rows;
    std::map<int, std::uint64_t> ticks;
    for (const auto& w : workers) {
        const auto s = parse_pid_stat(read_proc(fmt::format("/proc/{}/stat", w.pid), 1024));
        if (!s) continue;  // exited between the poll and now
        ticks[w.pid] = s->cpu_ticks;
        const auto before = last_ticks_.find(w.pid);
        const std::uint64_t used = before == last_ticks_.end() ? 0 : s->cpu_ticks - before->second;
        const double cpu_percent = wall_s > 0 ? 100.0 * static_cast<double>(used) / kTicksPerSecond / wall_s : 0;
        rows += fmt::format("{},{},{},{},{:.1f},{:.1f},{}\n", stamp, w.name, w.pid, s->state, cpu_percent,
                            static_cast<double>(s->rss_pages) * kPageMb, s->threads);
    }
    last_ticks_ = std::move(ticks);
    processes_csv_.raw(rows);
}

}  // namespace prs::agent
