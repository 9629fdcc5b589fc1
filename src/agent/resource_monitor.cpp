#include "prs/agent/resource_monitor.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "prs/util/unique_fd.hpp"

namespace prs::agent {

namespace {
// /proc files are small; one read of a page or two holds what we parse.
std::string read_proc(const std::string& path, std::size_t limit = 8192) {
    util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return {};
    std::string text(limit, '\0');
    std::size_t used = 0;
    while (used < limit) {
        const ssize_t n = ::read(fd.get(), text.data() + used, limit - used);
        if (n <= 0) break;
        used += static_cast<std::size_t>(n);
    }
    text.resize(used);
    return text;
}

std::vector<std::uint64_t> numbers(std::string_view text) {
    std::vector<std::uint64_t> out;
    std::string token;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] != ' ' && text[i] != '\n') {
            token += text[i];
        } else if (!token.empty()) {
            out.push_back(std::strtoull(token.c_str(), nullptr, 10));
            token.clear();
        }
    }
    return out;
}

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

const double kTicksPerSecond = static_cast<double>(::sysconf(_SC_CLK_TCK));
const double kPageMb = static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}  // namespace

std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
    if (!text.starts_with("cpu ")) return std::nullopt;
    const auto fields = numbers(text.substr(4, text.find('\n') - 4));
    if (fields.size() < 4) return std::nullopt;
    CpuTimes t;
    for (std::size_t i = 0; i < fields.size() && i < 8; ++i) t.total += fields[i];  // guest time is in user already
    const std::uint64_t idle = fields[3] + (fields.size() > 4 ? fields[4] : 0);     // idle + iowait
    t.busy = t.total - idle;
    return t;
}

std::optional<ProcessSample> parse_pid_stat(std::string_view text) {
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string_view::npos || close + 2 >= text.size()) return std::nullopt;
    const std::string_view rest = text.substr(close + 2);
    ProcessSample s;
    s.state = rest[0];
    const auto fields = numbers(rest.substr(1));  // fields[0] is ppid (field 4 of stat)
    if (fields.size() < 21) return std::nullopt;
    s.cpu_ticks = fields[10] + fields[11];         // utime, stime (fields 14, 15)
    s.threads = fields[16];                        // num_threads (field 20)
    s.rss_pages = fields[20];                      // rss (field 24)
    return s;
}

std::optional<std::uint64_t> meminfo_kb(std::string_view text, std::string_view key) {
    for (std::size_t at = 0; at < text.size();) {
        const auto end = std::min(text.find('\n', at), text.size());
        const std::string_view line = text.substr(at, end - at);
        if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':')
            return std::strtoull(std::string(line.substr(key.size() + 1)).c_str(), nullptr, 10);
        at = end + 1;
    }
    return std::nullopt;
}

ResourceMonitor::ResourceMonitor(const std::filesystem::path& perf_dir, int interval_s, bool with_node)
    : interval_(interval_s), with_node_(with_node) {
    if (interval_s <= 0) return;
    if (with_node_) {
        node_csv_ = open_csv(perf_dir / "node_resource_usage.csv", true,
                             "Timestamp,Load Average 1m,Load Average 5m,CPU Percent,Memory Total MB,"
                             "Memory Available MB,Memory Used Percent\n");
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
    const std::string stamp = logs::iso_timestamp(std::chrono::duration_cast<std::chrono::microseconds>(
                                                      std::chrono::system_clock::now().time_since_epoch())
                                                      .count());
    if (with_node_) sample_node(stamp);
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
