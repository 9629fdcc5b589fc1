#pragma once
// MLTable `skip` and `take` over the whole table: rows [skip, skip + take) in file order.
// Rank 0 finds the byte offsets where that window begins and ends by scanning rows from
// the start of the first file, which reads about skip + take rows, not the table; the
// window is then cut into byte ranges as usual and the workers do not apply the steps
// again. Rows are counted as the workers read them: headers and blank rows are no rows,
// quoted line breaks are inside a row with support_multi_line.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "prs/protocol/messages.hpp"

namespace prs::partition {

struct RowWindow {
    std::uint64_t skip = 0;
    std::optional<std::uint64_t> take;  // nullopt: to the end

    // The window after `skip: n` or `take: n` applied to this one.
    RowWindow skipped(std::uint64_t n) const;
    RowWindow taken(std::uint64_t n) const;
    bool whole() const { return skip == 0 && !take; }
};

// A file's part of the window: [begin, end) bytes, end being the file's size for "to its end".
struct FileRange {
    std::string file;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

// The files (in order) holding rows of the window, with their byte ranges. Throws
// InputError for a file that cannot be read or is not a regular file.
std::vector<FileRange> row_window_ranges(const std::vector<std::string>& files, const protocol::InputFormat& format,
                                         const RowWindow& window);

}  // namespace prs::partition
