#pragma once
// Small text encoders used by the logs and reports.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace prs::util {

std::string json_quote(std::string_view s);   // "..." with JSON escapes
std::string csv_field(std::string_view s);    // RFC 4180: quoted only when needed
std::string html_escape(std::string_view s);  // &, <, > and " as HTML entities
std::string join(const std::vector<std::string>& items, std::string_view separator);  // "a, b" for ", "
// The same, appended to `out` (per-mini-batch report rows: no temporary strings).
void append_json_quoted(std::string& out, std::string_view s);
void append_csv_field(std::string& out, std::string_view s);
// A non-negative number with `decimals` (0-9) digits after the point, rounded to the
// nearest, as printf's "%.<decimals>f" would write it for log figures (times in
// seconds). For rows of per-mini-batch logs, where fmt's general float code is the
// costliest part of the line.
void append_fixed(std::string& out, double value, int decimals);

// A small file's whole text, or "" when it is missing or cannot be read (optional files:
// a settings file, a step's marker or log).
std::string read_text_if_exists(const std::filesystem::path& file);

}  // namespace prs::util
