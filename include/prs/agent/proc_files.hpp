#pragma once
// Reading the kernel's /proc text for logs/perf: small files read with a single open and
// a read or two, and parsers kept apart so they can be tested on fixed input.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace prs::agent {

struct CpuTimes {  // /proc/stat's first line, in clock ticks
    std::uint64_t busy = 0;
    std::uint64_t total = 0;
};
struct ProcessSample {  // /proc/<pid>/stat
    std::string comm;   // the executable's name, as in "(python3)"
    char state = '?';
    int pgrp = 0;
    int session = 0;
    int tpgid = -1;  // foreground process group of its terminal, -1: none
    std::int64_t nice = 0;
    std::uint64_t cpu_ticks = 0;  // utime + stime
    std::uint64_t threads = 0;
    std::uint64_t start_ticks = 0;  // since boot
    std::uint64_t vsize_bytes = 0;
    std::uint64_t rss_pages = 0;
};

// Up to `limit` bytes of a /proc file; empty when it cannot be read (a process that
// exited meanwhile).
std::string read_proc(const std::string& path, std::size_t limit = 8192);

std::optional<CpuTimes> parse_proc_stat(std::string_view text);
std::optional<ProcessSample> parse_pid_stat(std::string_view text);
// "MemTotal:" style keys of /proc/meminfo, in kB; nullopt when missing.
std::optional<std::uint64_t> meminfo_kb(std::string_view text, std::string_view key);
// /proc/uptime's first figure: seconds since boot.
std::optional<double> parse_uptime(std::string_view text);

}  // namespace prs::agent
