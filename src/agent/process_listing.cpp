#include "prs/agent/process_listing.hpp"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "prs/logs/log_file.hpp"

namespace prs::agent {

namespace {
constexpr const char* kRowFormat = "{:<10} {:>7} {:>4} {:>4} {:>8} {:>6} {:<4} {:>5} {:>6} {}\n";

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

std::optional<int> pid_of(std::string_view name) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    return std::atoi(std::string(name).c_str());
}

std::string command_line(int pid, const std::string& comm) {
    std::string text = read_proc(fmt::format("/proc/{}/cmdline", pid), 4096);
    while (!text.empty() && text.back() == '\0') text.pop_back();
    if (text.empty()) return "[" + comm + "]";  // kernel threads and zombies have no command line
    // Arguments are NUL-separated; other control characters would break the one-line-per-process table.
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20) c = c == '\0' ? ' ' : '?';
    return text;
}

// ps's START: the time of day within a day, the date within a year, else the year.
std::string start_column(std::time_t started, std::time_t now) {
    std::tm tm{};
    localtime_r(&started, &tm);
    const std::time_t age = now - started;
    const char* format = age < 24 * 3600 ? "%H:%M" : age < 365 * 24 * 3600 ? "%b%d" : "%Y";
    char buf[16];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

std::string cpu_time_column(double cpu_s) {  // ps aux's TIME: minutes:seconds
    const auto total = static_cast<long long>(cpu_s);
    return fmt::format("{}:{:02d}", total / 60, total % 60);
}

std::string render_row(const ListedProcess& p, const ListingClock& clock) {
    const double cpu_s = static_cast<double>(p.stat.cpu_ticks) / clock.ticks_per_s;
    const double age_s = std::max(0.0, clock.uptime_s - static_cast<double>(p.stat.start_ticks) / clock.ticks_per_s);
    const std::uint64_t rss_kb = p.stat.rss_pages * clock.page_bytes / 1024;
    // Like ps: CPU time over the process's lifetime, not over the last interval.
    const double cpu_percent = age_s > 0 ? 100.0 * cpu_s / age_s : 0.0;
    const double mem_percent =
        clock.mem_total_kb ? 100.0 * static_cast<double>(rss_kb) / static_cast<double>(clock.mem_total_kb) : 0.0;
    const std::time_t started = clock.now - static_cast<std::time_t>(age_s);
    return fmt::format(kRowFormat, p.user, p.pid, fmt::format("{:.1f}", cpu_percent),
                       fmt::format("{:.1f}", mem_percent), p.stat.vsize_bytes / 1024, rss_kb, ps_stat(p),
                       start_column(started, clock.now), cpu_time_column(cpu_s), p.command);
}
}  // namespace

std::string ps_stat(const ListedProcess& p) {
    std::string flags(1, p.stat.state);
    if (p.stat.nice < 0) flags += '<';
    if (p.stat.nice > 0) flags += 'N';
    if (p.stat.session == p.pid) flags += 's';
    if (p.stat.threads > 1) flags += 'l';
    if (p.stat.tpgid >= 0 && p.stat.tpgid == p.stat.pgrp) flags += '+';
    return flags;
}

std::string render_process_listing(const std::vector<ListedProcess>& processes, const ListingClock& clock) {
    std::string text =
        fmt::format(kRowFormat, "USER", "PID", "%CPU", "%MEM", "VSZ", "RSS", "STAT", "START", "TIME", "COMMAND");
    for (const auto& p : processes) text += render_row(p, clock);
    return text;
}

std::filesystem::path process_listing_file(const std::filesystem::path& perf_dir, std::time_t when) {
    std::tm tm{};
    localtime_r(&when, &tm);
    char hour[16], minute[16];
    std::strftime(hour, sizeof hour, "%Y%m%d%H", &tm);
    std::strftime(minute, sizeof minute, "processes_%M", &tm);
    return perf_dir / "os" / hour / minute;
}

void ProcessListing::write() noexcept {
    try {
        ListingClock clock;
        clock.now = std::time(nullptr);
        clock.uptime_s = parse_uptime(read_proc("/proc/uptime", 128)).value_or(0);
        clock.mem_total_kb = meminfo_kb(read_proc("/proc/meminfo", 4096), "MemTotal").value_or(0);
        clock.ticks_per_s = static_cast<double>(::sysconf(_SC_CLK_TCK));
        clock.page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
        // Atomic replacement: a reader never sees half a listing.
        logs::write_file_atomically(process_listing_file(perf_dir_, clock.now),
                                    render_process_listing(read_processes(), clock));
    } catch (const std::exception&) {
        // A full disk or a vanished folder: the next interval tries again.
    }
}

std::vector<ListedProcess> ProcessListing::read_processes() {
    std::vector<ListedProcess> out;
    const std::unique_ptr<DIR, DirCloser> proc(::opendir("/proc"));
    if (!proc) return out;
    while (const dirent* entry = ::readdir(proc.get())) {
        const auto pid = pid_of(entry->d_name);
        if (!pid) continue;
        const std::string dir = fmt::format("/proc/{}", *pid);
        auto stat = parse_pid_stat(read_proc(dir + "/stat", 1024));
        struct stat owner {};
        if (!stat || ::stat(dir.c_str(), &owner) != 0) continue;  // exited meanwhile
        ListedProcess p{*pid, user_name(owner.st_uid), std::move(*stat), {}};
        p.command = command_line(p.pid, p.stat.comm);
        out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
    return out;
}

const std::string& ProcessListing::user_name(uid_t uid) {
    auto [it, fresh] = users_.try_emplace(uid);
    if (!fresh) return it->second;
    passwd entry{};
    passwd* found = nullptr;
    std::string buffer(16384, '\0');
    const bool known = ::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found;
    it->second = known ? std::string(found->pw_name) : std::to_string(uid);
    return it->second;
}

}  // namespace prs::agent
