#pragma once
// Append-only text logs with Azure's system-log line format:
//   2020-10-09 01:38:51,269|INFO|356|140501711763200|Start scheduling.
// Each line is written with one write(2) on an O_APPEND descriptor, so a crash loses
// at most the line being written and several processes can share a file.

#include <filesystem>
#include <string>
#include <string_view>

#include "prs/util/unique_fd.hpp"

namespace prs::logs {

std::string timestamp_now();        // "2020-10-09 01:38:51,269" (local time)
std::string iso_timestamp(long long epoch_us);  // "2020-10-24T02:59:04.227237"
std::string hour_stamp_now();       // "2020102402"

class LogFile {
public:
    LogFile() = default;
    explicit LogFile(const std::filesystem::path& file);  // creates parent folders
    void line(std::string_view level, std::string_view message);
    void raw(std::string_view text);
    explicit operator bool() const { return bool(fd_); }

private:
    util::UniqueFd fd_;
};

// Replaces `file` atomically with `text` (write to a temporary, then rename).
void write_file_atomically(const std::filesystem::path& file, std::string_view text);

}  // namespace prs::logs
