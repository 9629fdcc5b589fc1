#pragma once
// mini_batch_size values: a count ("10") or a size ("10kb", "1 GB").

#include <cstdint>
#include <optional>
#include <string_view>

namespace prs::config {

// Accepts `^\d+([kKmMgG][bB])?$` (Azure SDK v2's pattern) and the v1 docs' spelling with
// one space before the unit ("1 GB", "10 MB"). kb/mb/gb are 1024, 1024^2, 1024^3.
// Returns nullopt for anything else ("10kib", "-1", "", overflow). When given,
// *has_unit tells whether a unit was written ("10kb": true, "10": false).
std::optional<std::uint64_t> parse_mini_batch_size(std::string_view text, bool* has_unit);

}  // namespace prs::config
