#pragma once
// The common case of a tabular mini-batch's bytes, recognised at memory speed: ASCII only
// (the same bytes in every 8-bit encoding, nothing to decode), no blank row, and for
// delimited rows no quote (so every delimiter parts two fields) and the same field count
// in every row. Such bytes are the text pandas gets as they are; anything else is read
// row by row (mini_batch_rows.cpp), which names the bad row.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace prs::partition {

struct PlainRows {
    std::uint32_t rows = 0;
    std::size_t fields = 0;  // of every row (0 for JSON lines)
};

// `bytes` end in '\n'. `delimiter` '\0': JSON lines (no fields; quotes are the JSON's).
// `fields`: the field count every row must have, 0 = the first row's. `row_starts`, if
// given, gets each row's offset in `bytes`. nullopt: the bytes are not plain.
std::optional<PlainRows> scan_plain_rows(std::string_view bytes, char delimiter, std::size_t fields,
                                         std::vector<std::uint64_t>* row_starts = nullptr);

}  // namespace prs::partition
