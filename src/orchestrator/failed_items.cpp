#include "prs/orchestrator/failed_items.hpp"

#include <algorithm>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "prs/logs/layout.hpp"
#include "prs/logs/log_file.hpp"
#include "prs/partition/input_file.hpp"
#include "prs/partition/mini_batch_rows.hpp"
#include "prs/partition/tabular.hpp"
#include "prs/partition/text_encoding.hpp"
#include "prs/util/h5_copy.hpp"
#include "prs/util/text.hpp"

namespace prs::orchestrator {

namespace fs = std::filesystem;
using protocol::InputKind;

namespace {

bool tabular(InputKind k) { return k == InputKind::Delimited || k == InputKind::JsonLines; }

std::string json_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        util::append_json_quoted(out, items[i]);
    }
    return out + "]";
}

// The logs of the process that ran the last attempt, relative to the run directory.
std::vector<std::string> attempt_logs(const protocol::AttemptResult& r) {
    std::vector<std::string> logs{"logs/sys/job_report/processed_mini-batches.csv"};
    if (r.process.empty()) return logs;
    const logs::Layout layout("");
    for (const auto& p : {layout.user_error(r.node_id, r.process), layout.user_stderr(r.node_id, r.process),
                          layout.user_stdout(r.node_id, r.process), layout.node_process(r.node_id, r.process)})
        logs.push_back(p.relative_path().string());
    return logs;
}

std::string items_json(const FailedMiniBatch& f, const protocol::InputFormat& input, const RowSpan& rows) {
    const auto& d = f.descriptor;
    if (!d.partition_values.empty()) {
        std::string keys = "{";
        for (std::size_t i = 0; i < d.partition_values.size() && i < input.partition_keys.size(); ++i) {
            if (i) keys += ", ";
            util::append_json_quoted(keys, input.partition_keys[i]);
            keys += ": ";
            util::append_json_quoted(keys, d.partition_values[i]);
        }
        return fmt::format("[{{\"partition_key_value\": {}, \"files\": {}}}]", keys + "}", json_list(d.files));
    }
    switch (d.kind) {
        case InputKind::FileList:
            return json_list(d.files);
        case InputKind::Hdf5:
            return fmt::format("[{{\"file\": {}, \"datasets\": {}, \"rows\": [{}, {}]}}]",
                               util::json_quote(d.files.empty() ? "" : d.files[0]), json_list(input.datasets), d.begin,
                               d.end);
        case InputKind::Delimited:
        case InputKind::JsonLines:
            return fmt::format("[{{\"file\": {}, \"bytes\": [{}, {}], \"first_row\": {}, \"last_row\": {}}}]",
                               util::json_quote(d.files.empty() ? "" : d.files[0]), rows.begin, rows.end,
                               rows.first_row, rows.last_row);
    }
    return "[]";
}

// Where a tabular mini-batch's rows are; counts line breaks, so a quoted field holding one
// (support_multi_line) makes the row numbers those of lines.
RowSpan row_span(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& input, std::string& rows) {
    RowSpan span;
    const partition::InputFile file(d.files.at(0));
    const std::uint64_t data_begin =
        partition::has_header_row(d.files[0], input) ? partition::first_row_end(file, input) : 0;
    span.begin = d.begin;
    span.end = d.end == 0 ? file.size() : d.end;
    const std::string before = file.read_range(data_begin, std::max(data_begin, span.begin));
    span.first_row = static_cast<std::uint64_t>(std::count(before.begin(), before.end(), '\n')) + 1;
    rows = file.read_range(span.begin, span.end);
    if (!rows.empty() && rows.back() != '\n') rows += '\n';
    span.last_row = span.first_row + static_cast<std::uint64_t>(std::count(rows.begin(), rows.end(), '\n')) - 1;
    return span;
}

const char* header_name(protocol::InputFormat::Header h) {
    return h == protocol::InputFormat::Header::NoHeader ? "no_header" : "all_files_same_headers";
}

// partition_keys from columns: a failed group's rows are scattered over its files, so
// they are read as the worker read them (UTF-8, no header) and copied.
bool copies_groups(const std::vector<FailedMiniBatch>& failed) {
    return std::any_of(failed.begin(), failed.end(), [](const auto& f) { return f.descriptor.keys_from_columns; });
}

// The failed groups' rows, after one header row (UTF-8, as their rows) unless no_header.
std::string group_rows(const std::vector<FailedMiniBatch>& failed, const protocol::InputFormat& input) {
    std::string out;
    for (const auto& f : failed) {
        if (!f.descriptor.keys_from_columns) continue;
        const auto rows = partition::read_mini_batch_rows(f.descriptor, input);
        if (out.empty() && input.kind == InputKind::Delimited &&
            input.header != protocol::InputFormat::Header::NoHeader) {
            const bool first_file = input.header == protocol::InputFormat::Header::FromFirstFile;
            const auto& header_file = first_file ? input.first_file : f.descriptor.files.at(0);
            out = partition::to_utf8_lossy(
                      partition::read_header_row(partition::InputFile(header_file), input),
                      partition::parse_encoding(input.encoding).value_or(partition::Encoding::Utf8)) +
                  "\n";
        }
        out += rows.text;
    }
    return out;
}

// HDF5: Azure's MLTable has no HDF5 reader, so the failed rows go into HDF5 files of the
// same datasets (rows-00000.h5, ... one per input file, in the order they first failed),
// and the folder is itself a `type: hdf5` input (input.yml says how).
void write_hdf5_rows(const fs::path& dir, const std::vector<FailedMiniBatch>& failed,
                     const protocol::InputFormat& input) {
    std::vector<std::pair<std::string, std::vector<std::pair<std::uint64_t, std::uint64_t>>>> by_file;
    for (const auto& f : failed) {
        if (f.descriptor.files.empty()) continue;
        const auto& file = f.descriptor.files[0];
        auto it = std::find_if(by_file.begin(), by_file.end(), [&](const auto& e) { return e.first == file; });
        if (it == by_file.end()) it = by_file.insert(by_file.end(), {file, {}});
        it->second.emplace_back(f.descriptor.begin, f.descriptor.end);
    }
    for (std::size_t i = 0; i < by_file.size(); ++i)
        util::h5::copy_rows(by_file[i].first, input.datasets, by_file[i].second,
                            (dir / fmt::format("rows-{:05}.h5", i)).string());
    logs::write_file_atomically(
        dir / "input.yml",
        fmt::format("# The job input of the failed rows (written by prs_mpi): every .h5 file of this folder.\n"
                    "type: hdf5\npath: {}\ndatasets: {}\n",
                    util::json_quote(fs::absolute(dir).string()), json_list(input.datasets)));
}

}  // namespace

std::string failed_items_line(const FailedMiniBatch& f, const protocol::InputFormat& input, const RowSpan& rows) {
    const auto& r = f.last;
    return fmt::format(
        "{{\"mini_batch_id\": {}, \"items\": {}, \"attempts\": {}, \"status\": {}, "
        "\"error_category\": {}, \"error_message\": {}, \"logs\": {}}}\n",
        f.descriptor.id, items_json(f, input, rows), r.attempt + 1, util::json_quote(protocol::status_name(r.status)),
        util::json_quote(r.error_category), util::json_quote(r.error_message), json_list(attempt_logs(r)));
}

std::string failed_items_mltable(const std::vector<FailedMiniBatch>& failed, const protocol::InputFormat& input,
                                 const std::string& rows_file) {
    std::string out =
        "# The items of the mini-batches that failed (see failed_items.jsonl), written by prs_mpi.\n"
        "paths:\n";
    if (tabular(input.kind) && (input.partition_keys.empty() || copies_groups(failed))) {
        out += fmt::format("  - file: ./{}\ntransformations:\n", rows_file);
        if (input.kind == InputKind::JsonLines) return out + "  - read_json_lines:\n      encoding: utf8\n";
        // rows.csv has one header row (or none), whatever the input's files had; a group's
        // rows were read as UTF-8.
        return out + fmt::format(
                         "  - read_delimited:\n      delimiter: {}\n      header: {}\n      encoding: {}\n"
                         "      support_multi_line: {}\n",
                         util::json_quote(input.delimiter), header_name(input.header),
                         input.partition_keys.empty() ? input.encoding : "utf8",
                         input.support_multi_line ? "true" : "false");
    }
    if (input.kind == InputKind::Hdf5) return {};
    // A file list, or the files of failed partitions (the same partition_keys split them again).
    std::vector<std::string> files;
    for (const auto& f : failed) files.insert(files.end(), f.descriptor.files.begin(), f.descriptor.files.end());
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    for (const auto& file : files) out += fmt::format("  - file: {}\n", util::json_quote(fs::absolute(file).string()));
    if (tabular(input.kind)) {
        out += "transformations:\n";
        if (input.kind == InputKind::JsonLines) return out + "  - read_json_lines:\n      encoding: utf8\n";
        out += fmt::format("  - read_delimited:\n      delimiter: {}\n      header: {}\n      encoding: {}\n",
                           util::json_quote(input.delimiter),
                           input.header == protocol::InputFormat::Header::FromFirstFile ? "from_first_file"
                                                                                        : header_name(input.header),
                           input.encoding);
    }
    return out;
}

void write_failed_items_folder(const fs::path& dir, const std::vector<FailedMiniBatch>& whole,
                               const protocol::InputFormat& input) {
    // An isolated mini-batch hands back its failing items only.
    std::vector<FailedMiniBatch> failed;
    for (const auto& f : whole) {
        if (f.pieces.empty()) failed.push_back(f);
        for (const auto& piece : f.pieces) failed.push_back(piece);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);  // the last run's, or none
    if (failed.empty()) return;
    fs::create_directories(dir);
    const bool groups = tabular(input.kind) && !input.partition_keys.empty() && copies_groups(failed);
    const bool copy_rows = tabular(input.kind) && (input.partition_keys.empty() || groups);
    const std::string rows_file = input.kind == InputKind::JsonLines ? "rows.jsonl" : "rows.csv";
    std::string lines;
    std::string rows_out;
    std::string rows;
    for (const auto& f : failed) {
        RowSpan span;
        std::error_code not_regular;
        // A FIFO is never opened: opening one blocks until someone writes it. Its rows are not copied.
        if (tabular(f.descriptor.kind) && f.descriptor.partition_values.empty() && !f.descriptor.files.empty() &&
            fs::is_regular_file(f.descriptor.files[0], not_regular)) {
            span = row_span(f.descriptor, input, rows);
            if (rows_out.empty() && input.kind == InputKind::Delimited &&
                input.header != protocol::InputFormat::Header::NoHeader) {
                const bool first_file = input.header == protocol::InputFormat::Header::FromFirstFile;
                const auto& header_file = first_file ? input.first_file : f.descriptor.files[0];
                rows_out = partition::read_header_row(partition::InputFile(header_file), input) + "\n";
            }
            rows_out += rows;
        }
        lines += failed_items_line(f, input, span);
    }
    if (groups) rows_out = group_rows(failed, input);
    logs::write_file_atomically(dir / "failed_items.jsonl", lines);
    if (copy_rows) logs::write_file_atomically(dir / rows_file, rows_out);
    if (input.kind == InputKind::Hdf5) write_hdf5_rows(dir, failed, input);
    if (const auto mltable = failed_items_mltable(failed, input, rows_file); !mltable.empty())
        logs::write_file_atomically(dir / "MLTable", mltable);
}

}  // namespace prs::orchestrator
