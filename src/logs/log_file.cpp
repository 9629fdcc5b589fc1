#include "prs/logs/log_file.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <system_error>

#include <fmt/format.h>

#include "prs/logs/layout.hpp"

namespace prs::logs {

namespace {
std::tm local_tm(std::time_t t) {
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm;
}
// Logging must never take the job down: a failed write is dropped.
void write_fully(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t w = ::write(fd, text.data(), text.size());
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        text.remove_prefix(static_cast<std::size_t>(w));
    }
}
}  // namespace

std::string process_name(int number) { return fmt::format("process{:03d}", number); }

std::string timestamp_now() {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    const std::tm tm = local_tm(tv.tv_sec);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return fmt::format("{},{:03d}", buf, tv.tv_usec / 1000);
}

std::string iso_timestamp(long long epoch_us) {
    const std::tm tm = local_tm(static_cast<std::time_t>(epoch_us / 1000000));
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:06d}", buf, epoch_us % 1000000);
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
    if (!fd_) throw std::system_error(errno, std::generic_category(), "cannot open log file " + file.string());
}

void LogFile::raw(std::string_view text) {
    if (fd_) write_fully(fd_.get(), text);
}

void LogFile::line(std::string_view level, std::string_view message) {
    raw(fmt::format("{}|{}|{}|{}|{}\n", timestamp_now(), level, ::getpid(),
                    static_cast<unsigned long>(pthread_self()), message));
}

void write_file_atomically(const std::filesystem::path& file, std::string_view text) {
    std::filesystem::create_directories(file.parent_path());
    const auto tmp = file.string() + ".tmp";
    {
        util::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!fd) throw std::system_error(errno, std::generic_category(), "cannot write " + tmp);
        write_fully(fd.get(), text);
    }
    std::filesystem::rename(tmp, file);
}

}  // namespace prs::logs
