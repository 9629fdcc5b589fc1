#include "prs/orchestrator/committer.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "prs/util/file_checksum.hpp"
#include "prs/util/user_error.hpp"

namespace prs::orchestrator {

Committer::Committer(Journal& journal, int output_fd, std::filesystem::path output_file, std::uint64_t start_offset,
                     std::uint32_t start_checksum)
    : journal_(journal),
      output_fd_(output_fd),
      output_file_(std::move(output_file)),
      checked_offset_(start_offset),
      checksum_(start_checksum),
      thread_([this] { loop(); }) {}

Committer::~Committer() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void Committer::rethrow_error() {
    if (error_) std::rethrow_exception(error_);  // sticky: the thread has stopped
}

void Committer::request(const std::vector<std::uint64_t>& ids, std::uint64_t output_offset,
                        const JobCounters& counters) {
    {
        const std::lock_guard lock(mutex_);
        rethrow_error();
        ids_.insert(ids_.end(), ids.begin(), ids.end());
        offset_ = output_offset;
        counters_ = counters;
    }
    changed_.notify_all();
}

void Committer::wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return (ids_.empty() && !busy_) || error_; });
    rethrow_error();
}

void Committer::commit_failed(const std::vector<std::uint64_t>& ids, std::uint64_t output_offset,
                              const JobCounters& counters) {
    wait();
    const std::lock_guard lock(mutex_);  // the thread is idle: its checksum is ours to extend
    if (output_fd_ >= 0 && ::fdatasync(output_fd_) != 0 && errno != EINVAL)
        throw util::errno_error("cannot sync the output file " + output_file_.string());
    const auto kept_offset = checked_offset_;
    const auto kept_checksum = checksum_;
    if (output_fd_ >= 0 && output_offset > checked_offset_) {
        if (const int error = util::crc32_extend_from_file(checksum_, output_fd_, checked_offset_, output_offset))
            throw util::errno_error(error, "cannot read back the output file " + output_file_.string());
        checked_offset_ = output_offset;
    }
    journal_.record_failed(ids, kept_offset, kept_checksum, output_fd_ >= 0 ? output_offset : 0, checksum_, counters);
}

void Committer::loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return !ids_.empty() || stopping_; });
        if (ids_.empty()) return;  // stopping, nothing left
        const auto ids = std::exchange(ids_, {});
        const auto offset = offset_;
        const auto counters = counters_;
        busy_ = true;
        lock.unlock();
        try {
            // The rows reach the disk before the journal says they are there.
            if (output_fd_ >= 0 && ::fdatasync(output_fd_) != 0 && errno != EINVAL)
                throw util::errno_error("cannot sync the output file " + output_file_.string());
            if (output_fd_ >= 0 && offset > checked_offset_) {
                if (const int error = util::crc32_extend_from_file(checksum_, output_fd_, checked_offset_, offset))
                    throw util::errno_error(error, "cannot read back the output file " + output_file_.string());
                checked_offset_ = offset;
            }
            journal_.commit(ids, offset, checksum_, counters);
        } catch (...) {
            lock.lock();
            error_ = std::current_exception();
            busy_ = false;
            changed_.notify_all();
            return;  // nothing more is committed: a rerun redoes what was not
        }
        lock.lock();
        busy_ = false;
        changed_.notify_all();
    }
}

}  // namespace prs::orchestrator
