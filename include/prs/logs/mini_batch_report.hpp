#pragma once
// logs/sys/job_report/processed_mini-batches.csv: one row per attempt, Azure's columns.

#include <filesystem>
#include <string>

#include "prs/logs/log_file.hpp"
#include "prs/protocol/messages.hpp"

namespace prs::logs {

class MiniBatchReport {
public:
    explicit MiniBatchReport(const std::filesystem::path& file);  // writes the header row
    void add(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d);
    // A piece of a mini-batch split to isolate its failing items (--isolate_failed_items):
    // the row shows the parent's id, and its detail the piece's items [lo, hi) of the parent.
    struct Piece {
        std::uint64_t parent = 0;
        std::uint64_t lo = 0;
        std::uint64_t hi = 0;
    };
    void add(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d, const Piece& piece);
    void flush();

private:
    LogFile file_;
    std::string buffer_;
    std::string detail_;  // the Mini-batch Detail JSON of the row being written
    void add_row(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d, const Piece* piece);
};

}  // namespace prs::logs
