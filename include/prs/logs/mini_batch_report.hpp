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
    void flush();

private:
    LogFile file_;
    std::string buffer_;
    std::string detail_;   // the Mini-batch Detail JSON of the row being written
};

}  // namespace prs::logs
