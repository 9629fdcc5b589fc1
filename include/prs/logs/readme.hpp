#pragma once
#include <string>

namespace prs::logs {
// The text of logs/readme.txt: a map of the log tree for whoever opens it first.
std::string readme_text();
}  // namespace prs::logs
