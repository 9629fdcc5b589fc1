#pragma once
// Small text encoders used by the logs and reports.

#include <string>
#include <string_view>

namespace prs::util {

std::string json_quote(std::string_view s);  // "..." with JSON escapes
std::string csv_field(std::string_view s);   // RFC 4180: quoted only when needed
// The same, appended to `out` (per-mini-batch report rows: no temporary strings).
void append_json_quoted(std::string& out, std::string_view s);
void append_csv_field(std::string& out, std::string_view s);

}  // namespace prs::util
