#pragma once
// The worker's side of a tabular mini-batch, before Python: reads its rows (a byte
// range of one file, or the rows of one partition key value from several files),
// checks them (field counts against the header, the encoding, equal headers across
// files) and returns UTF-8 text and column names for pandas. Bad data is a DataError
// naming the file and byte, which fails the mini-batch (LOAD_FAILED), not the job.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "prs/protocol/messages.hpp"

namespace prs::partition {

struct MiniBatchRows {
    std::vector<std::string> names;  // Delimited: the column names; JsonLines: none
    std::string text;                // the rows, UTF-8, each ending in '\n'; no header, no blank lines
    std::uint32_t rows = 0;
    // Each row's file (index into the descriptor's files) and the byte it starts at: a
    // JSON line pandas rejects is named by it, and take_random_sample decides rows by it.
    struct Origin {
        std::uint32_t file = 0;
        std::uint64_t offset = 0;
    };
    // Kept for JSON lines read row by row and whenever the MLTable has steps; else empty. JSON
    // lines read in bulk are files[0]'s bytes as they are from `text_offset` on: a row's byte
    // is then text_offset + its position in `text`.
    std::vector<Origin> origins;
    std::uint64_t text_offset = 0;
    // Rows from each of the descriptor's files, in order: each row's file, for path
    // columns and partition formats.
    std::vector<std::uint32_t> file_rows;
};

class DataError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws DataError for bad data, InputError for files that cannot be read.
MiniBatchRows read_mini_batch_rows(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& format);

}  // namespace prs::partition
