#include "prs/output/row_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "prs/util/user_error.hpp"
#include "prs/util/write_fully.hpp"

namespace prs::output {

namespace {
constexpr std::size_t kFlushBytes = 4u << 20;  // large writes: append_row must run at disk speed
constexpr std::size_t kDirectBytes = 256u << 10;
}  // namespace

RowWriter::RowWriter(const std::filesystem::path& file, bool header_first, std::uint64_t keep_bytes)
    : path_(file), waiting_for_header_(header_first && keep_bytes == 0), bytes_(keep_bytes) {
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
    fd_.reset(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));  // read: the committer checksums it
    if (!fd_) throw util::errno_error("cannot open output file " + file.string());
    // Rows past the kept length belong to mini-batches that were never committed.
    if (::ftruncate(fd_.get(), static_cast<off_t>(keep_bytes)) != 0 ||
        ::lseek(fd_.get(), static_cast<off_t>(keep_bytes), SEEK_SET) < 0)
        throw util::errno_error("cannot truncate output file " + file.string());
}

RowWriter::~RowWriter() {
    try {
        flush();
    } catch (...) {  // a destructor must not throw; close() reports errors
    }
}

void RowWriter::offer_header(std::string_view header) {
    if (!waiting_for_header_) return;
    waiting_for_header_ = false;
    buffer_.insert(0, header);
    if (buffer_.size() >= kFlushBytes) flush();
}

void RowWriter::append(std::string_view rows) {
    if (!waiting_for_header_ && rows.size() >= kDirectBytes) {
        // A large block goes to the kernel as it is, after what was buffered: no copy.
        flush();
        write_all(rows);
        return;
    }
    buffer_.append(rows);
    if (!waiting_for_header_ && buffer_.size() >= kFlushBytes) flush();
}

void RowWriter::write_all(std::string_view bytes) {
    if (const int error = util::write_fully(fd_.get(), bytes))
        throw util::errno_error(error, "cannot write output file " + path_.string());
    bytes_ += bytes.size();
}

void RowWriter::flush() {
    if (waiting_for_header_ || buffer_.empty() || !fd_) return;
    write_all(buffer_);
    buffer_.clear();
}

bool RowWriter::flush_for_commit() {
    if (waiting_for_header_) return false;
    flush();
    return true;
}

void RowWriter::stop_waiting_for_header() {
    waiting_for_header_ = false;
    flush();
}

void RowWriter::close() {
    waiting_for_header_ = false;
    flush();
    if (fd_ && ::fsync(fd_.get()) != 0 && errno != EINVAL)
        throw util::errno_error("cannot sync output file " + path_.string());
    fd_.reset();
}

InputOrderSequencer::InputOrderSequencer(RowWriter& writer, std::vector<bool> already_done)
    : writer_(writer), done_(std::move(already_done)) {
    skip_done();
}

void InputOrderSequencer::skip_done() {
    while (next_ < done_.size() && done_[next_]) ++next_;
}

std::vector<std::uint64_t> InputOrderSequencer::put(std::uint64_t id, std::string rows) {
    std::vector<std::uint64_t> released;
    waiting_.emplace(id, std::move(rows));
    for (auto it = waiting_.begin(); it != waiting_.end() && it->first == next_; it = waiting_.erase(it)) {
        writer_.append(it->second);
        released.push_back(next_);
        ++next_;
        skip_done();
    }
    return released;
}

}  // namespace prs::output
