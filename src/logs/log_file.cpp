#include "prs/logs/log_file.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <system_error>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "prs/logs/layout.hpp"
#include "prs/util/user_error.hpp"
#include "prs/util/write_fully.hpp"

namespace prs::logs {

namespace {
std::tm local_tm(std::time_t t) {
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm;
}
}  // namespace

std::string process_name(int number) { return fmt::format("process{:03d}", number); }

namespace {
// strftime and localtime_r cost more than the rest of a log line; the date and time
// change once a second, so each thread keeps the last second's text.
struct SecondText {
    std::time_t second = -1;
    char text[32] = {};
    std::size_t size = 0;
};
std::string_view second_text(SecondText& cache, std::time_t t, const char* format) {
    if (cache.second != t) {
        const std::tm tm = local_tm(t);
        cache.size = std::strftime(cache.text, sizeof cache.text, format, &tm);
        cache.second = t;
    }
    return {cache.text, cache.size};
}

// `separator` and the fraction's `digits` leading digits, zero-padded: ",269" or ".227237".
void append_fraction(std::string& out, char separator, long value, int digits) {
    char text[8];
    text[0] = separator;
    for (int i = digits; i > 0; --i, value /= 10) text[i] = static_cast<char>('0' + value % 10);
    out.append(text, static_cast<std::size_t>(digits) + 1);
}

void append_timestamp_now(std::string& out) {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    thread_local SecondText cache;
    out += second_text(cache, tv.tv_sec, "%Y-%m-%d %H:%M:%S");
    append_fraction(out, ',', tv.tv_usec / 1000, 3);
}
}  // namespace

std::string timestamp_now() {
    std::string out;
    append_timestamp_now(out);
    return out;
}

void append_iso_timestamp(std::string& out, long long epoch_us) {
    thread_local SecondText cache;
    out += second_text(cache, static_cast<std::time_t>(epoch_us / 1000000), "%Y-%m-%dT%H:%M:%S");
    append_fraction(out, '.', static_cast<long>(epoch_us % 1000000), 6);
}

long long epoch_us_now() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string iso_now() { return iso_timestamp(epoch_us_now()); }

std::string iso_timestamp(long long epoch_us) {
    std::string out;
    append_iso_timestamp(out, epoch_us);
    return out;
}

void append_line_start(std::string& out, std::string_view level) {
    // getpid() is a system call in this glibc; the thread id is per thread anyway.
    thread_local const auto pid = ::getpid();
    thread_local const auto tid = static_cast<unsigned long>(pthread_self());
    append_timestamp_now(out);
    fmt::format_to(std::back_inserter(out), FMT_COMPILE("|{}|{}|{}|"), level, pid, tid);
}

std::string log_line(std::string_view level, std::string_view message) {
    std::string line;
    line.reserve(64 + message.size());
    append_line_start(line, level);
    line += message;
    line += '\n';
    return line;
}

std::string hour_stamp_now() {
    const std::tm tm = local_tm(std::time(nullptr));
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y%m%d%H", &tm);
    return buf;
}

LogFile::LogFile(const std::filesystem::path& file) {
    std::filesystem::create_directories(file.parent_path());
    fd_.reset(::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!fd_) throw util::errno_error("cannot open log file " + file.string());
}

void LogFile::raw(std::string_view text) {
    // Logging must never take the job down: a failed write is dropped.
    if (fd_) util::write_fully(fd_.get(), text);
}

void LogFile::line(std::string_view level, std::string_view message) { raw(log_line(level, message)); }

BufferedLog& BufferedLog::operator=(BufferedLog&& other) noexcept {
    if (this != &other) {
        flush();
        file_ = std::move(other.file_);
        pending_ = std::move(other.pending_);
    }
    return *this;
}

void BufferedLog::line(std::string_view level, std::string_view message) {
    line_with(level, [&](std::string& out) { out += message; });
}

void BufferedLog::end_line() {
    pending_ += '\n';
    if (pending_.size() >= (64u << 10)) flush();
}

void BufferedLog::flush() {
    if (pending_.empty()) return;
    file_.raw(pending_);
    pending_.clear();
}

void write_file_atomically(const std::filesystem::path& file, std::string_view text) {
    std::filesystem::create_directories(file.parent_path());
    const auto tmp = file.string() + ".tmp";
    {
        util::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!fd) throw util::errno_error("cannot write " + tmp);
        // A short write (a full disk) must not replace a good file with a cut one.
        if (const int error = util::write_fully(fd.get(), text)) {
            std::filesystem::remove(tmp);
            throw util::errno_error(error, "cannot write " + tmp);
        }
    }
    std::filesystem::rename(tmp, file);
}

}  // namespace prs::logs
