#pragma once
// The append_row text of a DataFrame run() returned, written in C++ from its columns'
// arrays: what pandas' to_csv(header=False, index=False, sep=...) gives for the same
// values, without to_csv's per-value Python work (it was a third of a scoring worker's
// time per mini-batch: issue #19). Values whose text only to_csv knows (quoting, NaN as
// na_rep, dates) are refused, and the caller uses to_csv.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace prs::output {

// A numpy bool column: one byte, 0 or 1, per row.
struct Booleans {
    std::span<const std::uint8_t> values;
};

using FrameColumn = std::variant<std::span<const std::int64_t>, std::span<const std::uint64_t>, std::span<const double>,
                                 Booleans, std::span<const std::string_view>>;

// Appends one line per row (fields joined by `sep`, each line ended by '\n') to `out`.
// False, with `out` as it was, when a value needs to_csv: a NaN (its na_rep), a string
// that is empty or holds `sep`, '"', '\r' or '\n' (csv quoting). Every column has `rows`
// values.
bool append_frame_text(std::string& out, const std::vector<FrameColumn>& columns, std::size_t rows, char sep);

// A double as Python's repr() writes it (and numpy's str, which to_csv uses): the
// shortest text that reads back the same, fixed from 1e-4 up to 1e16 ("100.0"),
// scientific outside ("1e-05", "1.5e+16"), "inf", "-inf". NaN is the caller's business.
void append_python_repr(std::string& out, double value);

}  // namespace prs::output
