#include "prs/partition/tabular.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "prs/partition/delimited_rows.hpp"
#include "prs/partition/text_encoding.hpp"

namespace prs::partition {

namespace {

constexpr std::size_t kFirstWindow = 4096;     // a few rows: where most cuts find their '\n'
constexpr std::size_t kMaxWindow = 1u << 20;   // long rows: read on in growing windows
constexpr std::size_t kScanBuffer = 1u << 20;  // support_multi_line's sequential scan
// Cuts whose windows are asked for ahead: on a cold cache or a network filesystem the
// reads then overlap instead of paying one latency each.
constexpr std::uint64_t kPrefetchCuts = 64;

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return a / b + (a % b != 0); }

bool quote_aware(const protocol::InputFormat& format) {
    return format.kind == protocol::InputKind::Delimited && format.support_multi_line;
}

// The first row start at or after `t` (0 < t): the row in progress at t - 1 ends at the
// first '\n' from there. Reads a small window, more only for rows longer than it.
std::uint64_t plain_row_start(const InputFile& file, std::uint64_t t, std::string& buf, CutStats& stats) {
    std::uint64_t at = t - 1;
    std::size_t window = kFirstWindow;
    while (at < file.size()) {
        buf.resize(static_cast<std::size_t>(std::min<std::uint64_t>(window, file.size() - at)));
        const std::size_t n = file.read_at(at, buf.data(), buf.size());
        ++stats.reads;
        stats.bytes_read += n;
        if (n == 0) break;
        if (const void* nl = std::memchr(buf.data(), '\n', n))
            return at + static_cast<std::uint64_t>(static_cast<const char*>(nl) - buf.data()) + 1;
        at += n;
        window = std::min(window * 2, kMaxWindow);
    }
    return file.size();
}

// A quote-aware scan forward from a known row start; it only moves forward, so cutting
// a whole file reads it once.
class QuotedScan {
public:
    QuotedScan(const InputFile& file, char delimiter, std::uint64_t row_start)
        : file_(file), scanner_(delimiter), buffer_offset_(row_start), row_start_(row_start) {}

    std::uint64_t row_start_at_or_after(std::uint64_t t, CutStats& stats) {
        while (row_start_ < t) {
            if (next_ == buffer_.size()) {
                buffer_offset_ += buffer_.size();
                buffer_.resize(kScanBuffer);
                buffer_.resize(file_.read_at(buffer_offset_, buffer_.data(), buffer_.size()));
                ++stats.reads;
                stats.bytes_read += buffer_.size();
                next_ = 0;
                if (buffer_.empty()) return row_start_ = file_.size();  // the last row has no '\n'
            }
            const char* base = buffer_.data();
            const char* end = scanner_.row_end(base + next_, base + buffer_.size());
            if (!end) {
                next_ = buffer_.size();
                continue;
            }
            next_ = static_cast<std::size_t>(end - base);
            row_start_ = buffer_offset_ + next_;
        }
        return row_start_;
    }

private:
    const InputFile& file_;
    DelimitedScanner scanner_;
    std::string buffer_;
    std::uint64_t buffer_offset_;  // file offset of buffer_[0]
    std::size_t next_ = 0;         // buffer_ index the scanner goes on from
    std::uint64_t row_start_;
};

}  // namespace

bool has_header_row(const std::string& file, const protocol::InputFormat& format) {
    if (format.kind != protocol::InputKind::Delimited) return false;
    switch (format.header) {
        case protocol::InputFormat::Header::AllFilesSameHeaders:
            return true;
        case protocol::InputFormat::Header::FromFirstFile:
            return file == format.first_file;
        case protocol::InputFormat::Header::NoHeader:
            return false;
    }
    return false;
}

std::uint64_t first_row_end(const InputFile& file, const protocol::InputFormat& format) {
    CutStats ignored;
    if (quote_aware(format)) return QuotedScan(file, format.delimiter.at(0), 0).row_start_at_or_after(1, ignored);
    std::string buf;
    return plain_row_start(file, 1, buf, ignored);
}

std::string read_header_row(const InputFile& file, const protocol::InputFormat& format) {
    std::string row = file.read_range(0, first_row_end(file, format));
    if (row.rfind(kUtf8Bom, 0) == 0) row.erase(0, kUtf8Bom.size());
    return std::string(trim_line_break(row));
}

std::vector<std::string> header_names(std::string_view header_row, const protocol::InputFormat& format) {
    std::vector<std::string> fields;
    split_fields(to_utf8_lossy(header_row, parse_encoding(format.encoding).value_or(Encoding::Utf8)),
                 format.delimiter.at(0), fields);
    return column_names(std::move(fields));
}

// One file's cuts. A file that is not regular is never opened: it is one mini-batch.
class ByteRangePartition::FileCutter {
public:
    // `range`: only the rows in [begin, end), both row starts (a skip/take window).
    FileCutter(const std::string& path, bool regular, const protocol::InputFormat& format, std::uint64_t target,
               CutStats& stats, std::optional<std::pair<std::uint64_t, std::uint64_t>> range)
        : target_(target), stats_(stats) {
        if (!regular || is_wide_encoding(format.encoding)) return;  // one mini-batch, read whole by the worker
        file_.emplace(path);
        size_ = file_->size();
        data_begin_ = has_header_row(path, format) ? first_row_end(*file_, format) : 0;
        cursor_ = data_begin_;
        if (range) {
            cursor_ = std::max(cursor_, range->first);
            size_ = std::min(size_, range->second);
            cell_ = (cursor_ - data_begin_) / target_ + 1;
        }
        if (quote_aware(format)) quoted_.emplace(*file_, format.delimiter.at(0), cursor_);
    }

    std::optional<std::pair<std::uint64_t, std::uint64_t>> next() {
        if (!file_) {
            if (stream_done_) return std::nullopt;
            stream_done_ = true;
            return std::pair<std::uint64_t, std::uint64_t>{0, 0};
        }
        if (cursor_ >= size_) return std::nullopt;
        const std::uint64_t t = data_begin_ + cell_ * target_;
        std::uint64_t end = size_;
        if (t < size_) {
            ++stats_.cuts;
            if (!quoted_) prefetch_windows();
            end = std::min(size_, quoted_ ? quoted_->row_start_at_or_after(t, stats_)
                                          : plain_row_start(*file_, t, window_, stats_));
        }
        const std::pair<std::uint64_t, std::uint64_t> range{cursor_, end};
        cursor_ = end;
        cell_ = (end - data_begin_) / target_ + 1;  // the first grid point past this cut
        return range;
    }

    std::uint64_t bound() const {
        if (!file_) return stream_done_ ? 0 : 1;
        return cursor_ >= size_ ? 0 : ceil_div(size_ - cursor_, target_);
    }

private:
    void prefetch_windows() {
        prefetched_ = std::max(prefetched_, cell_);
        for (; prefetched_ < cell_ + kPrefetchCuts; ++prefetched_) {
            const std::uint64_t t = data_begin_ + prefetched_ * target_;
            if (t >= size_) break;
            file_->prefetch(t - 1, kFirstWindow);
        }
    }

    std::optional<InputFile> file_;
    std::optional<QuotedScan> quoted_;
    std::uint64_t target_;
    CutStats& stats_;
    std::uint64_t size_ = 0;
    std::uint64_t data_begin_ = 0;
    std::uint64_t cursor_ = 0;
    std::uint64_t cell_ = 1;
    std::uint64_t prefetched_ = 0;  // grid cells below this one have been prefetched
    std::string window_;
    bool stream_done_ = false;
};

ByteRangePartition::ByteRangePartition(std::vector<std::string> files, protocol::InputFormat format,
                                       std::uint64_t target_bytes)
    : files_(std::move(files)), format_(std::move(format)), target_(std::max<std::uint64_t>(1, target_bytes)) {
    for (const auto& f : files_) {
        struct stat st {};
        if (::stat(f.c_str(), &st) != 0)
            throw InputError(fmt::format("cannot stat input file '{}': {}", f, std::strerror(errno)));
        const bool cut = S_ISREG(st.st_mode) && !is_wide_encoding(format_.encoding);
        bounds_.push_back(cut ? ceil_div(static_cast<std::uint64_t>(st.st_size), target_) : 1);
        later_bound_ += bounds_.back();
    }
}

ByteRangePartition::ByteRangePartition(const std::vector<FileRange>& ranges, protocol::InputFormat format,
                                       std::uint64_t target_bytes)
    : format_(std::move(format)), target_(std::max<std::uint64_t>(1, target_bytes)) {
    for (const auto& r : ranges) {
        files_.push_back(r.file);
        ranges_.emplace_back(r.begin, r.end);
        bounds_.push_back(ceil_div(r.end - r.begin, target_));
        later_bound_ += bounds_.back();
    }
}

ByteRangePartition::~ByteRangePartition() = default;

bool ByteRangePartition::open_next_file() {
    if (next_file_ >= files_.size()) return false;
    const std::string& path = files_[next_file_];
    struct stat st {};
    const bool regular = ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
    std::optional<std::pair<std::uint64_t, std::uint64_t>> range;
    if (!ranges_.empty()) range = ranges_[next_file_];
    cutter_ = std::make_unique<FileCutter>(path, regular, format_, target_, stats_, range);
    later_bound_ -= bounds_[next_file_];
    ++next_file_;
    return true;
}

std::optional<protocol::MiniBatchDescriptor> ByteRangePartition::next() {
    for (;;) {
        if (!cutter_ && !open_next_file()) return std::nullopt;
        if (const auto range = cutter_->next()) {
            protocol::MiniBatchDescriptor d;
            d.id = next_id_++;
            d.kind = format_.kind;
            d.files.push_back(files_[next_file_ - 1]);
            d.begin = range->first;
            d.end = range->second;
            return d;
        }
        cutter_.reset();
    }
}

std::uint64_t ByteRangePartition::mini_batch_count() const {
    return next_id_ + (cutter_ ? cutter_->bound() : 0) + later_bound_;
}

}  // namespace prs::partition
