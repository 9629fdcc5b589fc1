#pragma once
// Tabular inputs (MLTable read_delimited / read_json_lines) cut into byte ranges of
// whole rows, about mini_batch_size bytes each, never across a file boundary.
//
// Where the cuts fall: a file's rows occupy [data_begin, size), data_begin being past
// the header row when the file has one. Cut k is the first row start at or after
// data_begin + k * mini_batch_size; a mini-batch runs from one cut to the next (grid
// cells inside one long row give no mini-batch). A cut costs one small read at its
// offset: the row in progress ends at the next '\n'. With support_multi_line a '\n' may
// sit inside quotes, which only a quote-aware scan from a known row start can tell, so
// in that mode each file is scanned once, sequentially.
// Files that are not regular (FIFOs), and UTF-16/32 files (where '\n' is not one byte),
// are one mini-batch [0, 0) each and are never opened here.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prs/partition/input_file.hpp"
#include "prs/partition/partition.hpp"
#include "prs/partition/row_window.hpp"

namespace prs::partition {

// Whether `file` starts with a header row: every file for all_files_same_headers, only
// the first for from_first_file, none for no_header and JSON lines.
bool has_header_row(const std::string& file, const protocol::InputFormat& format);

// Where the first row ends (past its '\n'; the size when there is none), quote-aware
// with support_multi_line.
std::uint64_t first_row_end(const InputFile& file, const protocol::InputFormat& format);

// The header row at the start of `file` (line break trimmed, a UTF-8 byte order mark
// dropped), as bytes in the file's encoding.
std::string read_header_row(const InputFile& file, const protocol::InputFormat& format);
// Column names from a header row, decoded to UTF-8 and named as pandas names them.
std::vector<std::string> header_names(std::string_view header_row, const protocol::InputFormat& format);

// What cutting cost, for the benchmark: reads issued and bytes they returned.
struct CutStats {
    std::uint64_t cuts = 0;
    std::uint64_t reads = 0;
    std::uint64_t bytes_read = 0;
};

class ByteRangePartition final : public Partition {
public:
    // `files` absolute and in order; `target_bytes` > 0. Reads nothing but file sizes
    // here; each next() reads about one window.
    ByteRangePartition(std::vector<std::string> files, protocol::InputFormat format, std::uint64_t target_bytes);
    // Only rows in [begin, end) of each file (row starts; skip/take windows), in order.
    ByteRangePartition(const std::vector<FileRange>& ranges, protocol::InputFormat format, std::uint64_t target_bytes);
    ~ByteRangePartition() override;

    std::optional<protocol::MiniBatchDescriptor> next() override;
    // An upper bound until the cut is done: mini-batches given out, plus one per started
    // mini_batch_size of what remains of each file (headers and long rows make fewer).
    // Exact once next() has returned nullopt.
    std::uint64_t mini_batch_count() const override;
    // Rows are only counted by the workers that read them.
    std::uint64_t item_count() const override { return 0; }

    const CutStats& stats() const { return stats_; }

private:
    class FileCutter;
    bool open_next_file();

    std::vector<std::string> files_;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;  // per file when given: [begin, end)
    std::vector<std::uint64_t> bounds_;  // per file: ceil(size / target), 1 for a non-regular file
    protocol::InputFormat format_;
    std::uint64_t target_;
    std::size_t next_file_ = 0;
    std::uint64_t later_bound_ = 0;       // sum of bounds_ of files not opened yet
    std::unique_ptr<FileCutter> cutter_;  // the file being cut
    std::uint64_t next_id_ = 0;
    CutStats stats_;
};

}  // namespace prs::partition
