#pragma once
// "Did you mean ...?" for misspelt job-file keys and command-line flags.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prs::config {

// Optimal-string-alignment distance (insert, delete, substitute, swap two neighbours),
// ignoring case and treating '-' and '_' as the same letter, so that `--dry_run` is
// one step from nothing but `--dry-run`'s spelling.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate a typo of `word` most likely meant: the nearest one within a third of
// the word's length (at least 1), else the only candidate that starts with `word`.
// nullopt when nothing is close enough to be worth suggesting.
std::optional<std::string> closest_key(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace prs::config
