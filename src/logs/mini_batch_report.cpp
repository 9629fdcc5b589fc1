#include "prs/logs/mini_batch_report.hpp"

#include <fmt/format.h>

#include "prs/util/text.hpp"

namespace prs::logs {

namespace {
constexpr std::size_t kFlushBytes = 1u << 20;

std::string detail_json(const protocol::MiniBatchDescriptor& d) {
    std::string json = "{\"files\": [";
    for (std::size_t i = 0; i < d.files.size(); ++i) {
        if (i) json += ", ";
        json += util::json_quote(d.files[i]);
    }
    json += "]";
    if (d.kind != protocol::InputKind::FileList) json += fmt::format(", \"begin\": {}, \"end\": {}", d.begin, d.end);
    if (!d.partition_values.empty()) {
        json += ", \"partition_key_value\": [";
        for (std::size_t i = 0; i < d.partition_values.size(); ++i)
            json += (i ? ", " : "") + util::json_quote(d.partition_values[i]);
        json += "]";
    }
    return json + "}";
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
    const std::uint32_t failed = r.succeeded >= r.total ? 0 : r.total - r.succeeded;
    fmt::format_to(std::back_inserter(buffer_), "{},{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{},{},{},{}\n",
                   r.mini_batch_id, r.attempt + 1, r.node_id, r.process,
                   r.start_us ? iso_timestamp(r.start_us) : std::string(), r.total, r.succeeded, failed, r.elapsed_s,
                   r.process_cpu_s, r.run_method_s, protocol::status_name(r.status), r.error_category,
                   util::csv_field(r.error_message), util::csv_field(detail_json(d)));
    if (buffer_.size() >= kFlushBytes) flush();
}

void MiniBatchReport::flush() {
    file_.raw(buffer_);
    buffer_.clear();
}

}  // namespace prs::logs
