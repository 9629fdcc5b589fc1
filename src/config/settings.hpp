#pragma once
// The scalar settings a job can set from several places (job file, program_arguments, prs_mpi's
// command line), with their ranges, so every source validates them the same way.

#include <optional>
#include <string>
#include <string_view>

#include "prs/config/job_spec.hpp"

namespace prs::config::detail {

inline constexpr long long kIntMax = 2147483647;  // the seeds' "int.max"

// An integer interval as the seeds write it: "[-1, 2147483647]", "(0, 259200]".
struct IntRange {
    long long lo = 0;
    long long hi = kIntMax;
    bool lo_open = false;
    bool contains(long long v) const { return (lo_open ? v > lo : v >= lo) && v <= hi; }
    std::string text() const;
};

// Why a value was refused; the caller adds where it came from.
struct ValueError {
    std::string expected;  // "an integer in (0, 259200]"
    std::string fix;       // "give a whole number of seconds in (0, 259200], e.g. 300"
};

// "[+-]digits", or "N.0" (the v1 docs allow "100.0" for a percent). nullopt otherwise.
std::optional<long long> parse_integer(std::string_view text);

// Reads `text` as an integer in `range`; throws ValueError whose fix shows `example`.
long long parse_in_range(std::string_view text, const IntRange& range, std::string_view example);

// Sets the setting `key` (v2 dotted name: "retry_settings.timeout", "mini_batch_size",
// "error_threshold", ...) from its text and records `origin`. Throws ValueError.
void apply_setting(JobSpec& spec, std::string_view key, std::string_view text, Origin origin);

// prs_mpi's flag name for an override (CommandLine::overrides key) -> setting key:
// "timeout" -> "retry_settings.timeout"; nullopt for names that are not settings.
std::optional<std::string> setting_for_flag(std::string_view flag);

// Marks every setting as Default in spec.origins (readers overwrite what they set).
void record_defaults(JobSpec& spec);

}  // namespace prs::config::detail
