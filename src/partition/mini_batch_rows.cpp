#include "prs/partition/mini_batch_rows.hpp"

#include <cstring>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "prs/partition/delimited_rows.hpp"
#include "prs/partition/input_file.hpp"
#include "prs/partition/partition_keys.hpp"
#include "prs/partition/plain_rows.hpp"
#include "prs/partition/tabular.hpp"
#include "prs/partition/text_encoding.hpp"
#include "prs/util/text.hpp"

namespace prs::partition {

namespace {

using Header = protocol::InputFormat::Header;

// JSON lines: past the next '\n', or nullptr.
const char* line_end(const char* p, const char* stop) {
    const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(stop - p));
    return nl ? static_cast<const char*>(nl) + 1 : nullptr;
}

class RowCollector {
public:
    RowCollector(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& format)
        : d_(d),
          format_(format),
          delimited_(format.kind == protocol::InputKind::Delimited),
          delimiter_(delimited_ ? format.delimiter.at(0) : '\0'),  // JSON lines: no fields
          encoding_(parse_encoding(format.encoding).value_or(Encoding::Utf8)),
          filter_(delimited_ && d.keys_from_columns),
          keep_origins_(!format.mltable_file.empty()) {}

    MiniBatchRows collect() {
        if (d_.partition_values.empty()) {
            add_file(0, d_.begin, d_.end);
        } else {
            // A partition: every row of every file holding its key values (whole files).
            for (std::uint32_t i = 0; i < d_.files.size(); ++i) add_file(i, 0, 0);
        }
        return std::move(out_);
    }

private:
    // One file's rows in [begin, end) (end 0 = to its end).
    void add_file(std::uint32_t index, std::uint64_t begin, std::uint64_t end) {
        const std::string& path = d_.files.at(index);
        const InputFile file(path);
        const bool header = has_header_row(path, format_);
        std::string bytes;
        std::uint64_t base = begin;  // file offset of bytes[0]
        std::string header_row;
        if (header && begin == 0) {
            // The range starts at the file's start (a stream, or a partition's whole file):
            // the header is its first row.
            bytes = file.read_range(0, end);
            DelimitedScanner scanner(delimiter_);
            const char* row_end = scanner.row_end(bytes.data(), bytes.data() + bytes.size());
            const std::size_t n = row_end ? static_cast<std::size_t>(row_end - bytes.data()) : bytes.size();
            header_row = std::string(trim_line_break(std::string_view(bytes).substr(0, n)));
            if (header_row.rfind(kUtf8Bom, 0) == 0) header_row.erase(0, kUtf8Bom.size());
            bytes.erase(0, n);
            base = n;
        } else {
            if (header) header_row = read_header_row(file, format_);
            bytes = file.read_range(begin, end);
        }
        if (delimited_) set_names(path, header, header_row);
        if (!bytes.empty() && bytes.back() != '\n') bytes += '\n';  // the last row of a file may lack one
        if (!scan_plain(index, bytes, base)) scan(index, path, bytes, base, end);
    }

    // Rows as they mostly are (plain_rows.hpp): the bytes are the text, moved rather than
    // copied row by row. JSON lines need no origins to name a bad line then: the text is the
    // bytes from `base` of the one file (text_offset). False (nothing kept) when the bytes are
    // not plain: scan() then decides row by row and names the bad row.
    bool scan_plain(std::uint32_t index, std::string& bytes, std::uint64_t base) {
        if (filter_) return false;
        if (!delimited_ && (!d_.partition_values.empty() || !out_.text.empty())) return false;
        std::vector<std::uint64_t> starts;
        const auto plain = scan_plain_rows(bytes, delimiter_, out_.names.size(), keep_origins_ ? &starts : nullptr);
        if (!plain) return false;
        if (delimited_ && out_.names.empty() && plain->rows > 0) out_.names = numbered_column_names(plain->fields);
        for (const auto start : starts) out_.origins.push_back({index, base + start});
        if (!delimited_) out_.text_offset = base;
        if (out_.text.empty())
            out_.text = std::move(bytes);
        else
            out_.text += bytes;
        out_.rows += plain->rows;
        if (out_.file_rows.size() <= index) out_.file_rows.resize(index + 1);
        out_.file_rows[index] += plain->rows;
        return true;
    }

    void set_names(const std::string& path, bool header, const std::string& header_row) {
        if (header) {
            if (format_.header == Header::AllFilesSameHeaders) check_same_header(path, header_row);
            if (out_.names.empty()) out_.names = header_names(header_row, format_);
        } else if (format_.header == Header::FromFirstFile && out_.names.empty()) {
            out_.names = header_names(first_file_header(), format_);
        }
        // no_header: named from the first row's field count, in scan().
    }

    const std::string& first_file_header() {
        if (!first_header_) first_header_ = read_header_row(InputFile(format_.first_file), format_);
        return *first_header_;
    }

    // all_files_same_headers: a file whose header differs would put its values under
    // the wrong names. The first file is only compared when it is a regular file (a
    // FIFO would block this worker).
    void check_same_header(const std::string& path, const std::string& header_row) {
        if (format_.first_file.empty() || path == format_.first_file) return;
        const InputFile first(format_.first_file);
        if (!first.regular()) return;
        if (header_row == first_file_header()) return;
        throw DataError(
            fmt::format("header of {} differs from the header of {} (header: all_files_same_headers): "
                        "[{}] vs [{}]. Fix: give every file the same header row, or split the input",
                        path, format_.first_file, util::join(header_names(header_row, format_), ", "),
                        util::join(header_names(first_file_header(), format_), ", ")));
    }

    void scan(std::uint32_t index, const std::string& path, const std::string& bytes, std::uint64_t base,
              std::uint64_t end) {
        const char* const data = bytes.data();
        const char* const stop = data + bytes.size();
        DelimitedScanner scanner(delimiter_);
        std::uint64_t row_number = 0;
        for (const char* p = data; p < stop;) {
            const char* row_end = delimited_ ? scanner.row_end(p, stop) : line_end(p, stop);
            const std::uint64_t offset = base + static_cast<std::uint64_t>(p - data);
            ++row_number;
            if (!row_end) {
                throw DataError(fmt::format(
                    "unterminated quoted field in {} at byte {} (row {} of the mini-batch's rows from byte {}): the "
                    "quote opened in this row is not closed before {}. Fix: if fields hold line breaks, set "
                    "support_multi_line: true under read_delimited in the MLTable; otherwise close the quote",
                    path, offset, row_number, base,
                    end ? fmt::format("byte {}", end) : std::string("the end of the file")));
            }
            std::string_view row(p, static_cast<std::size_t>(row_end - p));
            p = row_end;
            if (offset == 0 && row.substr(0, kUtf8Bom.size()) == kUtf8Bom) row.remove_prefix(kUtf8Bom.size());
            if (is_blank_row(row, delimiter_)) continue;
            if (delimited_ && !take_row(path, row, scanner.fields(), offset, row_number, base)) continue;
            const std::size_t bad = append_utf8(out_.text, row, encoding_);
            if (bad != std::string_view::npos)
                throw DataError(
                    fmt::format("undecodable bytes in {} at byte {} for encoding {} (row {} of the "
                                "mini-batch's rows from byte {}). Fix: write the file's real encoding "
                                "under read_delimited/read_json_lines in the MLTable ({}), or repair "
                                "the file",
                                path, offset + bad, format_.encoding, row_number, base, supported_encodings()));
            ++out_.rows;
            if (out_.file_rows.size() <= index) out_.file_rows.resize(index + 1);
            ++out_.file_rows[index];
            if (keep_origins_ || !delimited_) out_.origins.push_back({index, offset});
        }
    }

    // Checks a delimited row and says whether it belongs to the mini-batch.
    bool take_row(const std::string& path, std::string_view row, std::size_t fields, std::uint64_t offset,
                  std::uint64_t row_number, std::uint64_t base) {
        if (out_.names.empty()) out_.names = numbered_column_names(fields);
        if (filter_) {
            if (key_columns_.empty()) key_columns_ = key_columns(out_.names, format_.partition_keys, path);
            const auto values = row_key_values(trim_line_break(row), key_columns_, format_, scratch_);
            if (!values)
                throw DataError(
                    fmt::format("ragged row in {} at byte {} (row {} of the file's rows from byte {}): {} "
                                "fields, too few to hold the partition keys [{}], so it belongs to no "
                                "partition. Fix: repair the row",
                                path, offset, row_number, base, fields, util::join(format_.partition_keys, ", ")));
            if (*values != d_.partition_values) return false;
        }
        if (fields != out_.names.size())
            throw DataError(
                fmt::format("ragged row in {} at byte {} (row {} of the mini-batch's rows from byte {}): "
                            "{} fields, the header has {}. Fix: repair the row, or quote fields that "
                            "hold the delimiter",
                            path, offset, row_number, base, fields, out_.names.size()));
        return true;
    }

    const protocol::MiniBatchDescriptor& d_;
    const protocol::InputFormat& format_;
    const bool delimited_;
    const char delimiter_;
    const Encoding encoding_;
    const bool filter_;
    // Each row's offset is kept only where it is needed: for the MLTable's steps
    // (take_random_sample decides rows by it), and for JSON lines read row by row (a line
    // pandas rejects is named by it).
    const bool keep_origins_;
    std::optional<std::string> first_header_;
    std::vector<std::size_t> key_columns_;
    std::vector<std::string> scratch_;
    MiniBatchRows out_;
};

}  // namespace

MiniBatchRows read_mini_batch_rows(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& format) {
    return RowCollector(d, format).collect();
}

}  // namespace prs::partition
