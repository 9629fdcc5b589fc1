#pragma once
// MLTable `pattern:` paths: glob patterns, as Python's glob with recursive=True reads
// them (glibc's glob(3) has no `**`).

#include <filesystem>
#include <string>
#include <vector>

namespace prs::partition {

// Regular files matching `pattern`, absolute and sorted. A relative pattern is taken
// from `base`. Within one path segment `*`, `?` and `[...]` match as fnmatch(3) does
// (names starting with '.' only when the pattern does); a whole segment `**` matches
// any number of folders, none included.
std::vector<std::string> match_files(const std::filesystem::path& base, const std::string& pattern);

}  // namespace prs::partition
