#include "prs/orchestrator/report_usage.hpp"

#include <charconv>
#include <ctime>
#include <map>
#include <optional>

#include "prs/util/text.hpp"

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

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Local time in `layout` ("%Y-%m-%dT%H:%M:%S" for logs::iso_timestamp, "%Y/%m/%d %H:%M:%S"
// for nvidia-smi), then an optional fraction of a second of any number of digits.
std::optional<std::int64_t> epoch_us(std::string_view stamp, const char* layout) {
    std::tm tm{};
    const std::string text(trim(stamp));
    const char* rest = ::strptime(text.c_str(), layout, &tm);
    if (!rest) return std::nullopt;
    tm.tm_isdst = -1;
    const std::time_t seconds = std::mktime(&tm);
    if (seconds == -1) return std::nullopt;
    double fraction = 0;
    if (*rest == '.') {
        const auto digits = number(std::string_view(rest));
        if (!digits) return std::nullopt;
        fraction = *digits;
    } else if (*rest) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(seconds) * 1000000 + static_cast<std::int64_t>(fraction * 1e6);
}

// The column whose name starts with `name` ("utilization.gpu" matches "utilization.gpu [%]").
std::optional<std::size_t> column(const std::vector<std::string_view>& header, std::string_view name) {
    for (std::size_t i = 0; i < header.size(); ++i)
        if (trim(header[i]).starts_with(name)) return i;
    return std::nullopt;
}

// The complete data lines of a CSV after its header, split into trimmed fields.
template <typename Row>
void for_each_row(std::string_view csv, std::size_t fields_per_row, Row&& row) {
    for (std::size_t start = csv.find('\n') + 1; start > 0 && start < csv.size();) {
        const auto end = csv.find('\n', start);
        if (end == csv.npos) return;  // a line still being written
        auto fields = split(csv.substr(start, end - start), ',');
        start = end + 1;
        if (fields.size() != fields_per_row) continue;
        for (auto& f : fields) f = trim(f);
        row(fields);
    }
}

}  // namespace

void add_node_usage(NodeUsage& usage, int node, std::string_view csv) {
    const auto header = split(csv.substr(0, csv.find('\n')), ',');
    const auto at = column(header, "Timestamp"), cpu = column(header, "CPU Percent"),
               memory = column(header, "Memory Used Percent");
    if (!at || !cpu || !memory) return;
    UsageSeries cpu_series{"node " + std::to_string(node), {}};
    UsageSeries memory_series{cpu_series.label, {}};
    for_each_row(csv, header.size(), [&](const std::vector<std::string_view>& fields) {
        const auto t = epoch_us(fields[*at], "%Y-%m-%dT%H:%M:%S");
        const auto c = number(fields[*cpu]);
        const auto m = number(fields[*memory]);
        if (!t || !c || !m) return;
        cpu_series.points.push_back({*t, *c});
        memory_series.points.push_back({*t, *m});
    });
    if (cpu_series.points.empty()) return;
    usage.cpu_percent.push_back(std::move(cpu_series));
    usage.memory_used_percent.push_back(std::move(memory_series));
}

void add_gpu_usage(NodeUsage& usage, int node, std::string_view csv) {
    const auto header = split(csv.substr(0, csv.find('\n')), ',');
    const auto at = column(header, "timestamp"), index = column(header, "index"),
               utilization = column(header, "utilization.gpu");
    if (!at || !index || !utilization) return;
    std::map<std::string, UsageSeries> gpus;  // by index, in index order
    for_each_row(csv, header.size(), [&](const std::vector<std::string_view>& fields) {
        const auto t = epoch_us(fields[*at], "%Y/%m/%d %H:%M:%S");
        const auto u = number(fields[*utilization]);
        if (!t || !u) return;
        auto& series = gpus[std::string(fields[*index])];
        if (series.label.empty()) series.label = "node " + std::to_string(node) + " GPU " + std::string(fields[*index]);
        series.points.push_back({*t, *u});
    });
    for (auto& [gpu, series] : gpus) usage.gpu_percent.push_back(std::move(series));
}

NodeUsage read_node_usage(const std::filesystem::path& perf_root) {
    std::map<int, std::filesystem::path> folders;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(perf_root, ec)) {
        const std::string name = entry.path().filename().string();
        int node = 0;
        const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), node);
        if (err == std::errc() && end == name.data() + name.size()) folders[node] = entry.path();
    }
    NodeUsage usage;
    for (const auto& [node, folder] : folders) {
        add_node_usage(usage, node, util::read_text_if_exists(folder / "node_resource_usage.csv"));
        add_gpu_usage(usage, node, util::read_text_if_exists(folder / "gpu_resource_usage.csv"));
    }
    return usage;
}

}  // namespace prs::orchestrator
