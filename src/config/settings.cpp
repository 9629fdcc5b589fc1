#include "settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "prs/config/program_arguments.hpp"
#include "prs/config/size.hpp"

namespace prs::config::detail {

namespace {

enum class Kind { Integer, Boolean, Text, Size, Level, Order };

struct Rule {
    std::string_view key;
    Kind kind;
    IntRange range;
    std::string_view example;  // a sensible value, shown in the fix
};

constexpr IntRange kThreshold{-1, kIntMax};
constexpr IntRange kTimeout{0, 259200, true};
constexpr IntRange kAtLeastOne{1, kIntMax};
constexpr IntRange kNonNegative{0, kIntMax};
// Workers one node starts (alone, one process starts them all): 100,000 tried to fork 100,000
// Pythons. 1024 is beyond any node's cores; hpc/worker_count caps a count the machine cannot run.
constexpr IntRange kWorkersPerNode{1, 1024};

// Each mini-batch loaded ahead is held in memory until its run(): a few cover any load.
constexpr IntRange kPrefetch{0, 8};

constexpr std::array kRules = {
    Rule{"mini_batch_size", Kind::Size, {}, "\"10\" (files) or \"10mb\" (tabular)"},
    Rule{"resources.instance_count", Kind::Integer, kAtLeastOne, "1"},
    Rule{"max_concurrency_per_instance", Kind::Integer, kWorkersPerNode, "4 (about one per core)"},
    Rule{"mini_batch_error_threshold", Kind::Integer, kThreshold, "-1 (ignore failed mini-batches) or 5"},
    Rule{"retry_settings.max_retries", Kind::Integer, kNonNegative, "2"},
    Rule{"retry_settings.timeout", Kind::Integer, kTimeout, "300 (seconds)"},
    Rule{"logging_level", Kind::Level, {}, "INFO"},
    Rule{"is_deterministic", Kind::Boolean, {}, "true"},
    Rule{"output_order", Kind::Order, {}, "completion"},
    Rule{"error_threshold", Kind::Integer, kThreshold, "-1 (ignore failed items) or 10"},
    Rule{"allowed_failed_percent", Kind::Integer, {0, 100}, "100 (ignore) or 10"},
    Rule{"task_overhead_timeout", Kind::Integer, kTimeout, "600 (seconds)"},
    Rule{"progress_update_timeout", Kind::Integer, kTimeout, "1980 (seconds)"},
    Rule{"first_task_creation_timeout", Kind::Integer, kTimeout, "600 (seconds)"},
    Rule{"copy_logs_to_parent", Kind::Boolean, {}, "False"},
    Rule{"resource_monitor_interval", Kind::Integer, kNonNegative, "600 (seconds; 0 = off)"},
    Rule{"profiling_module", Kind::Text, {}, "cProfile"},
    Rule{"append_row_dataframe_header", Kind::Boolean, {}, "False"},
    Rule{"rank_timeout", Kind::Integer, kTimeout, "30 (seconds)"},
    Rule{"isolate_failed_items", Kind::Boolean, {}, "False"},
    Rule{"prefetch_mini_batches", Kind::Integer, kPrefetch, "1 (0 = off)"},
};

const Rule* find_rule(std::string_view key) {
    const auto it = std::find_if(kRules.begin(), kRules.end(), [&](const Rule& r) { return r.key == key; });
    return it == kRules.end() ? nullptr : &*it;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool parse_boolean(std::string_view text) {
    const std::string t = lower(text);
    if (t == "true" || t == "1" || t == "yes") return true;
    if (t == "false" || t == "0" || t == "no") return false;
    throw ValueError{"true or false", "write true or false (True/False and 1/0 work too)"};
}

void set_integer(JobSpec& spec, std::string_view key, long long v) {
    // Ranges are checked before this, so the narrowing casts are exact.
    if (key == "resources.instance_count")
        spec.instance_count = static_cast<int>(v);
    else if (key == "max_concurrency_per_instance")
        spec.max_concurrency_per_instance = static_cast<int>(v);
    else if (key == "mini_batch_error_threshold")
        spec.mini_batch_error_threshold = static_cast<long>(v);
    else if (key == "retry_settings.max_retries")
        spec.max_retries = static_cast<int>(v);
    else if (key == "retry_settings.timeout")
        spec.timeout = static_cast<int>(v);
    else if (key == "error_threshold")
        spec.error_threshold = static_cast<long>(v);
    else if (key == "allowed_failed_percent")
        spec.allowed_failed_percent = static_cast<int>(v);
    else if (key == "task_overhead_timeout")
        spec.task_overhead_timeout = static_cast<int>(v);
    else if (key == "progress_update_timeout")
        spec.progress_update_timeout = static_cast<int>(v);
    else if (key == "first_task_creation_timeout")
        spec.first_task_creation_timeout = static_cast<int>(v);
    else if (key == "resource_monitor_interval")
        spec.resource_monitor_interval = static_cast<int>(v);
    else if (key == "rank_timeout")
        spec.rank_timeout = static_cast<int>(v);
    else if (key == "prefetch_mini_batches")
        spec.prefetch_mini_batches = static_cast<int>(v);
}

void set_boolean(JobSpec& spec, std::string_view key, bool v) {
    if (key == "is_deterministic")
        spec.is_deterministic = v;
    else if (key == "copy_logs_to_parent")
        spec.copy_logs_to_parent = v;
    else if (key == "append_row_dataframe_header")
        spec.append_row_dataframe_header = v;
    else if (key == "isolate_failed_items")
        spec.isolate_failed_items = v;
}

}  // namespace

std::string IntRange::text() const { return fmt::format("{}{}, {}]", lo_open ? '(' : '[', lo, hi); }

std::optional<long long> parse_integer(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    if (text.size() > 2 && text.substr(text.size() - 2) == ".0") text.remove_suffix(2);
    long long v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

long long parse_in_range(std::string_view text, const IntRange& range, std::string_view example) {
    const auto v = parse_integer(text);
    if (!v || !range.contains(*v))
        throw ValueError{fmt::format("an integer in {}", range.text()),
                         fmt::format("give a whole number in {}, e.g. {}", range.text(), example)};
    return *v;
}

void apply_setting(JobSpec& spec, std::string_view key, std::string_view text, Origin origin) {
    const Rule* rule = find_rule(key);
    if (!rule) throw std::logic_error(fmt::format("apply_setting: '{}' is not a setting", key));
    switch (rule->kind) {
        case Kind::Integer:
            set_integer(spec, key, parse_in_range(text, rule->range, rule->example));
            break;
        case Kind::Boolean:
            set_boolean(spec, key, parse_boolean(text));
            break;
        case Kind::Text:
            spec.profiling_module = std::string(text);
            break;
        case Kind::Size: {
            bool has_unit = false;
            const auto size = parse_mini_batch_size(text, &has_unit);
            if (!size || *size == 0)
                throw ValueError{"a positive number of files (\"10\") or a size with kb, mb or gb (\"10kb\", \"1 GB\")",
                                 fmt::format("write e.g. mini_batch_size: {}", rule->example)};
            spec.mini_batch_size = size;
            spec.mini_batch_size_has_unit = has_unit;
            break;
        }
        case Kind::Level: {
            const std::string level = lower(text);  // Python's logging accepts any case here
            if (level != "info" && level != "warning" && level != "debug")
                throw ValueError{"INFO, WARNING or DEBUG", "write one of INFO, WARNING, DEBUG"};
            spec.logging_level = level == "info" ? "INFO" : level == "warning" ? "WARNING" : "DEBUG";
            break;
        }
        case Kind::Order: {
            const std::string order = lower(text);
            if (order != "completion" && order != "input")
                throw ValueError{"completion or input",
                                 "write `completion` (rows as mini-batches finish, as Azure) or `input` (input order)"};
            spec.output_order_input = order == "input";
            break;
        }
    }
    spec.origins[std::string(key)] = std::move(origin);
}

std::optional<std::string> setting_for_flag(std::string_view flag) {
    if (flag == "timeout" || flag == "max_retries") return "retry_settings." + std::string(flag);
    if (flag == "mini_batch_size" || flag == "max_concurrency_per_instance" || flag == "mini_batch_error_threshold" ||
        flag == "logging_level" || flag == "rank_timeout")
        return std::string(flag);
    const auto& prs = prs_flag_names();
    if (std::find(prs.begin(), prs.end(), flag) != prs.end()) return std::string(flag);
    return std::nullopt;
}

void record_defaults(JobSpec& spec) {
    for (const Rule& rule : kRules) spec.origins[std::string(rule.key)] = Origin{Origin::Kind::Default, "default"};
}

}  // namespace prs::config::detail
