#include "prs/orchestrator/report_usage.hpp"

#include <charconv>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace prs::orchestrator {

namespace {

std::vector<std::string_view> split(std::string_view line, char sep) {
    std::vector<std::string_view> fields;
    for (std::size_t at = 0;;) {
        const auto next = line.find(sep, at);
        fields.push_back(line.substr(at, next == line.npos ? line.npos : next - at));
        if (next == line.npos) return fields;
        at = next + 1;
    }
}

std::optional<double> number(std::string_view text) {
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

// "2026-12-01T19:55:00.123456", local time (logs::iso_timestamp).
std::optional<std::int64_t> epoch_us(std::string_view stamp) {
    std::tm tm{};
    const std::string text(stamp);
    const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return std::nullopt;
    tm.tm_isdst = -1;
    const std::time_t seconds = std::mktime(&tm);
    if (seconds == -1) return std::nullopt;
    std::int64_t micros = 0;
    if (*rest == '.') {
        const auto fraction = number(rest + 1);
        if (!fraction) return std::nullopt;
        micros = static_cast<std::int64_t>(*fraction);
    }
    return static_cast<std::int64_t>(seconds) * 1000000 + micros;
}

std::optional<std::size_t> column(const std::vector<std::string_view>& header, std::string_view name) {
    for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return i;
    return std::nullopt;
}

}  // namespace

void add_node_usage(NodeUsage& usage, int node, std::string_view csv) {
    const auto eol = csv.find('\n');
    if (eol == csv.npos) return;
    const auto header = split(csv.substr(0, eol), ',');
    const auto at = column(header, "Timestamp"), cpu = column(header, "CPU Percent"),
               memory = column(header, "Memory Used Percent");
    if (!at || !cpu || !memory) return;
    UsageSeries cpu_series{"node " + std::to_string(node), {}};
    UsageSeries memory_series{cpu_series.label, {}};
    for (std::size_t start = eol + 1; start < csv.size();) {
        auto end = csv.find('\n', start);
        if (end == csv.npos) break;  // a line still being written
        const auto fields = split(csv.substr(start, end - start), ',');
        start = end + 1;
        if (fields.size() != header.size()) continue;
        const auto t = epoch_us(fields[*at]);
        const auto c = number(fields[*cpu]);
        const auto m = number(fields[*memory]);
        if (!t || !c || !m) continue;
        cpu_series.points.push_back({*t, *c});
        memory_series.points.push_back({*t, *m});
    }
    if (cpu_series.points.empty()) return;
    usage.cpu_percent.push_back(std::move(cpu_series));
    usage.memory_used_percent.push_back(std::move(memory_series));
}

NodeUsage read_node_usage(const std::filesystem::path& perf_root) {
    std::map<int, std::filesystem::path> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(perf_root, ec)) {
        const std::string name = entry.path().filename().string();
        int node = 0;
        const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), node);
        if (err == std::errc() && end == name.data() + name.size()) files[node] = entry.path() / "node_resource_usage.csv";
    }
    NodeUsage usage;
    for (const auto& [node, file] : files) {
        std::ifstream in(file, std::ios::binary);
        if (!in) continue;
        std::ostringstream text;
        text << in.rdbuf();
        add_node_usage(usage, node, text.str());
    }
    return usage;
}

}  // namespace prs::orchestrator
