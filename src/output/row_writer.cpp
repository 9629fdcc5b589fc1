#include "prs/output/row_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace prs::output {

namespace {
constexpr std::size_t kFlushBytes = 4u << 20;  // large writes: append_row must run at disk speed
}

RowWriter::RowWriter(const std::filesystem::path& file, bool header_first)
    : path_(file), waiting_for_header_(header_first) {
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
    fd_.reset(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd_) throw std::system_error(errno, std::generic_category(), "cannot open output file " + file.string());
}

RowWriter::~RowWriter() {
    try {
        flush();
    } catch (...) {  // a destructor must not throw; close() reports errors
    }
}

void RowWriter::offer_header(std::string_view header) {
    if (!waiting_for_header_ || header.empty()) return;
    waiting_for_header_ = false;
    buffer_.insert(0, header);
    if (buffer_.size() >= kFlushBytes) flush();
}

void RowWriter::append(std::string_view rows) {
    buffer_.append(rows);
    if (!waiting_for_header_ && buffer_.size() >= kFlushBytes) flush();
}

void RowWriter::write_all(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t w = ::write(fd_.get(), bytes.data(), bytes.size());
        if (w < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "cannot write output file " + path_.string());
        }
        bytes.remove_prefix(static_cast<std::size_t>(w));
        bytes_ += static_cast<std::uint64_t>(w);
    }
}

void RowWriter::flush() {
    if (waiting_for_header_ || buffer_.empty() || !fd_) return;
    write_all(buffer_);
    buffer_.clear();
}

void RowWriter::close() {
    waiting_for_header_ = false;
    flush();
    if (fd_ && ::fsync(fd_.get()) != 0 && errno != EINVAL)
        throw std::system_error(errno, std::generic_category(), "cannot sync output file " + path_.string());
    fd_.reset();
}

void InputOrderSequencer::put(std::uint64_t id, std::string rows) {
    if (id != next_) {
        waiting_.emplace(id, std::move(rows));
        return;
    }
    writer_.append(rows);
    ++next_;
    for (auto it = waiting_.begin(); it != waiting_.end() && it->first == next_; it = waiting_.erase(it)) {
        writer_.append(it->second);
        ++next_;
    }
}

}  // namespace prs::output
