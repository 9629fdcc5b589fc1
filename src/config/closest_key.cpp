#include "prs/config/closest_key.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace prs::config {

namespace {

char fold(char c) {
    if (c == '-') return '_';
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool starts_with_folded(std::string_view s, std::string_view prefix) {
    if (prefix.size() > s.size()) return false;
    return std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) { return fold(a) == fold(b); });
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Three rolling rows: the swap rule looks two rows back.
    std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = fold(a[i - 1]) == fold(b[j - 1]) ? 0 : 1;
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1]))
                current[j] = std::min(current[j], before[j - 2] + 1);
        }
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return previous[b.size()];
}

std::optional<std::string> closest_key(std::string_view word, const std::vector<std::string>& candidates) {
    const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
    std::size_t best = std::numeric_limits<std::size_t>::max();
    std::optional<std::string> nearest;
    for (const auto& candidate : candidates) {
        const std::size_t d = edit_distance(word, candidate);
        if (d < best) {
            best = d;
            nearest = candidate;
        }
    }
    if (nearest && best <= limit) return nearest;

    // A truncated key ("mini_batch" for "mini_batch_size") is far in edits but obvious.
    std::optional<std::string> extension;
    if (word.size() >= 3) {
        for (const auto& candidate : candidates) {
            if (!starts_with_folded(candidate, word)) continue;
            if (extension) return std::nullopt;  // several: no single good guess
            extension = candidate;
        }
    }
    return extension;
}

}  // namespace prs::config
