#include "prs/agent/proc_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "prs/util/unique_fd.hpp"

namespace prs::agent {

namespace {
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

// Signed fields (nice, tpgid) went through strtoull, which negates in unsigned
// arithmetic: converting back gives the negative value.
std::int64_t as_signed(std::uint64_t v) { return static_cast<std::int64_t>(v); }
}  // namespace

std::string read_proc(const std::string& path, std::size_t limit) {
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
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open || close + 2 >= text.size())
        return std::nullopt;
    const std::string_view rest = text.substr(close + 2);
    ProcessSample s;
    s.comm = std::string(text.substr(open + 1, close - open - 1));
    s.state = rest[0];
    const auto fields = numbers(rest.substr(1));  // fields[i] is field i + 4 of proc(5)'s stat
    if (fields.size() < 21) return std::nullopt;
    s.pgrp = static_cast<int>(fields[1]);
    s.session = static_cast<int>(fields[2]);
    s.tpgid = static_cast<int>(as_signed(fields[4]));
    s.cpu_ticks = fields[10] + fields[11];  // utime, stime
    s.nice = as_signed(fields[15]);
    s.threads = fields[16];
    s.start_ticks = fields[18];
    s.vsize_bytes = fields[19];
    s.rss_pages = fields[20];
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

std::optional<double> parse_uptime(std::string_view text) {
    const std::string first(text.substr(0, text.find_first_of(" \n")));
    char* end = nullptr;
    const double seconds = std::strtod(first.c_str(), &end);
    if (first.empty() || end != first.c_str() + first.size()) return std::nullopt;
    return seconds;
}

}  // namespace prs::agent
