#include "prs/partition/row_window.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "prs/partition/delimited_rows.hpp"
#include "prs/partition/input_file.hpp"
#include "prs/partition/partition.hpp"
#include "prs/partition/tabular.hpp"
#include "prs/partition/text_encoding.hpp"

namespace prs::partition {

namespace {

constexpr std::size_t kChunk = 1u << 20;

// Walks one file's rows from `begin`, calling on_row(start, end) for each non-blank row
// until it returns false. Returns false when stopped early.
template <class F>
bool for_each_row(const InputFile& file, std::uint64_t begin, const protocol::InputFormat& format, F&& on_row) {
    const bool delimited = format.kind == protocol::InputKind::Delimited;
    const char delimiter = delimited ? format.delimiter.at(0) : '\0';
    DelimitedScanner scanner(delimited ? delimiter : ',');
    std::string chunk(kChunk, '\0');
    std::string row;  // the row in progress, across chunks
    std::uint64_t row_start = begin;
    std::uint64_t at = begin;
    const auto finish = [&](std::uint64_t end) {
        const bool blank = is_blank_row(trim_line_break(row), delimiter);
        row.clear();
        const std::uint64_t start = row_start;
        row_start = end;
        return blank || on_row(start, end);
    };
    for (;;) {
        const std::size_t n = file.read_at(at, chunk.data(), chunk.size());
        if (n == 0) break;
        const char* p = chunk.data();
        const char* const stop = p + n;
        while (p < stop) {
            const char* end = nullptr;
            if (delimited && format.support_multi_line) {
                end = scanner.row_end(p, stop);
            } else if (const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(stop - p))) {
                end = static_cast<const char*>(nl) + 1;
            }
            if (!end) {
                row.append(p, stop);
                break;
            }
            row.append(p, end);
            const std::uint64_t row_end = at + static_cast<std::uint64_t>(end - chunk.data());
            p = end;
            if (!finish(row_end)) return false;
        }
        at += n;
    }
    if (!row.empty() && !finish(file.size())) return false;
    return true;
}

}  // namespace

RowWindow RowWindow::skipped(std::uint64_t n) const {
    RowWindow w = *this;
    w.skip += n;
    if (w.take) w.take = *w.take > n ? *w.take - n : 0;
    return w;
}

RowWindow RowWindow::taken(std::uint64_t n) const {
    RowWindow w = *this;
    w.take = std::min(n, take.value_or(n));
    return w;
}

std::vector<FileRange> row_window_ranges(const std::vector<std::string>& files, const protocol::InputFormat& format,
                                         const RowWindow& window) {
    std::vector<FileRange> out;
    std::uint64_t row = 0;  // rows of the table before the one being looked at
    const std::uint64_t stop = window.take ? window.skip + *window.take : UINT64_MAX;
    for (const auto& path : files) {
        if (row >= stop) break;
        const InputFile file(path);
        if (!file.regular())
            throw InputError(
                util::Problem{"",
                              fmt::format("'{}' is not a regular file: skip/take need to count its rows", path),
                              "copy it to a regular file, or remove skip/take",
                              {}});
        const std::uint64_t data_begin = has_header_row(path, format) ? first_row_end(file, format) : 0;
        // Rows of this file are in the window from its first row when the skip is behind.
        FileRange range{path, row >= window.skip ? data_begin : file.size(), file.size()};
        const bool complete = for_each_row(file, data_begin, format, [&](std::uint64_t start, std::uint64_t end) {
            if (row == window.skip) range.begin = start;
            ++row;
            if (row == stop) {
                range.end = end;
                return false;
            }
            return true;
        });
        if (row > window.skip && range.begin < range.end) {
            if (complete) range.end = file.size();
            out.push_back(std::move(range));
        }
    }
    return out;
}

}  // namespace prs::partition
