#include "prs/logs/mini_batch_report.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include "prs/util/text.hpp"

namespace prs::logs {

namespace {
constexpr std::size_t kFlushBytes = 1u << 20;

void append_detail_json(std::string& json, const protocol::MiniBatchDescriptor& d) {
    json += "{\"files\": [";
    for (std::size_t i = 0; i < d.files.size(); ++i) {
        if (i) json += ", ";
        util::append_json_quoted(json, d.files[i]);
    }
    json += "]";
    if (d.kind != protocol::InputKind::FileList)
        fmt::format_to(std::back_inserter(json), ", \"begin\": {}, \"end\": {}", d.begin, d.end);
    if (!d.partition_values.empty()) {
        json += ", \"partition_key_value\": [";
        for (std::size_t i = 0; i < d.partition_values.size(); ++i) {
            if (i) json += ", ";
            util::append_json_quoted(json, d.partition_values[i]);
        }
        json += "]";
    }
    json += "}";
}
}  // namespace

MiniBatchReport::MiniBatchReport(const std::filesystem::path& file) : file_(file) {
    // A resumed run appends to the report of the interrupted one.
    std::error_code ec;
    if (std::filesystem::file_size(file, ec) == 0 || ec)
        file_.raw(
            "Mini-batch Id,Picked Count,Node Id,Process,Process Start Time,Total,Succeeded,Failed,Elapsed Seconds,"
            "Process Seconds,Run Method Seconds,Status,Error Category,Error Message,Mini-batch Detail\n");
}

void MiniBatchReport::add(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d) {
    add_row(r, d, nullptr);
}

void MiniBatchReport::add(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d,
                          const Piece& piece) {
    add_row(r, d, &piece);
}

void MiniBatchReport::add_row(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d,
                              const Piece* piece) {
    // One row per attempt on rank 0's hot path: appended piece by piece, no temporaries.
    const std::uint32_t failed = r.succeeded >= r.total ? 0 : r.total - r.succeeded;
    const auto out = std::back_inserter(buffer_);
    fmt::format_to(out, FMT_COMPILE("{},{},{},"), piece ? piece->parent : r.mini_batch_id, r.attempt + 1, r.node_id);
    util::append_csv_field(buffer_, r.process);
    buffer_ += ',';
    if (r.start_us) append_iso_timestamp(buffer_, r.start_us);
    fmt::format_to(out, FMT_COMPILE(",{},{},{},"), r.total, r.succeeded, failed);
    for (const double seconds : {r.elapsed_s, r.process_cpu_s, r.run_method_s}) {
        util::append_fixed(buffer_, seconds, 6);
        buffer_ += ',';
    }
    buffer_ += protocol::status_name(r.status);
    buffer_ += ',';
    buffer_ += r.error_category;
    buffer_ += ',';
    util::append_csv_field(buffer_, r.error_message);
    buffer_ += ',';
    detail_.clear();
    append_detail_json(detail_, d);
    if (piece) {
        detail_.pop_back();
        fmt::format_to(std::back_inserter(detail_),
                       ", \"isolating\": {{\"parent_mini_batch_id\": {}, \"items\": [{}, {}]}}}}", piece->parent,
                       piece->lo, piece->hi);
    }
    util::append_csv_field(buffer_, detail_);
    buffer_ += '\n';
    if (buffer_.size() >= kFlushBytes) flush();
}

void MiniBatchReport::flush() {
    file_.raw(buffer_);
    buffer_.clear();
}

}  // namespace prs::logs
