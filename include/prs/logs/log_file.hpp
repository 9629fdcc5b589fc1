#pragma once
// Append-only text logs with Azure's system-log line format:
//   2020-10-09 01:38:51,269|INFO|356|140501711763200|Start scheduling.
// LogFile writes each line with one write(2) on an O_APPEND descriptor, so a crash loses
// at most the line being written and several processes can share a file. BufferedLog
// gathers lines for logs written once per mini-batch.

#include <filesystem>
#include <string>
#include <string_view>

#include "prs/util/unique_fd.hpp"

namespace prs::logs {

std::string timestamp_now();                    // "2020-10-09 01:38:51,269" (local time)
std::string iso_timestamp(long long epoch_us);  // "2020-10-24T02:59:04.227237"
long long epoch_us_now();                       // wall clock, µs since the epoch (what iso_timestamp takes)
std::string iso_now();                          // iso_timestamp(epoch_us_now())
// Appends iso_timestamp(epoch_us) to `out` (per-mini-batch paths: no allocation).
void append_iso_timestamp(std::string& out, long long epoch_us);
std::string hour_stamp_now();  // "2020102402"
// One line in the format above, "\n" included.
std::string log_line(std::string_view level, std::string_view message);
// Appends the start of such a line, up to the message: "2020-10-09 01:38:51,269|INFO|812|1403|".
void append_line_start(std::string& out, std::string_view level);

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

// A LogFile whose lines gather in memory and are written together by flush(), for logs
// with a line per mini-batch (sys/node/<node>/<process>.txt), where a write(2) per
// line would cost more than a short mini-batch. The owner flushes it every ~100 ms;
// destruction flushes, so only a crash of this process loses lines.
class BufferedLog {
public:
    BufferedLog() = default;
    explicit BufferedLog(const std::filesystem::path& file) : file_(file) {}
    BufferedLog(BufferedLog&& other) noexcept = default;
    BufferedLog& operator=(BufferedLog&& other) noexcept;
    ~BufferedLog() { flush(); }
    void line(std::string_view level, std::string_view message);
    // A line whose message `append_message(std::string&)` appends in place.
    template <class AppendMessage>
    void line_with(std::string_view level, AppendMessage&& append_message) {
        append_line_start(pending_, level);
        append_message(pending_);
        end_line();
    }
    void flush();

private:
    void end_line();
    LogFile file_;
    std::string pending_;
};

// Replaces `file` atomically with `text` (write to a temporary, then rename).
void write_file_atomically(const std::filesystem::path& file, std::string_view text);

}  // namespace prs::logs
