#pragma once
// Small text encoders used by the logs and reports.

#include <string>
#include <string_view>

namespace prs::util {

std::string json_quote(std::string_view s);  // "..." with JSON escapes
std::string csv_field(std::string_view s);   // RFC 4180: quoted only when needed

}  // namespace prs::util
