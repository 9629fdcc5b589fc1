#include "prs/partition/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "prs/partition/partition.hpp"

namespace prs::partition {

namespace {
[[noreturn]] void fail(const std::string& what, const std::string& path) {
    throw InputError(fmt::format("cannot {} '{}': {}", what, path, std::strerror(errno)));
}
}  // namespace

InputFile::InputFile(std::string path) : path_(std::move(path)) {
    fd_.reset(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd_) fail("open", path_);
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) fail("stat", path_);
    regular_ = S_ISREG(st.st_mode);
    size_ = regular_ ? static_cast<std::uint64_t>(st.st_size) : 0;
}

std::size_t InputFile::read_at(std::uint64_t offset, char* buf, std::size_t n) const {
    std::size_t done = 0;
    while (done < n) {
        const ssize_t got = ::pread(fd_.get(), buf + done, n - done, static_cast<off_t>(offset + done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) fail("read", path_);
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    return done;
}

void InputFile::prefetch(std::uint64_t offset, std::size_t n) const {
    ::posix_fadvise(fd_.get(), static_cast<off_t>(offset), static_cast<off_t>(n), POSIX_FADV_WILLNEED);
}

std::string InputFile::read_range(std::uint64_t begin, std::uint64_t end) const {
    std::string out;
    if (regular_) {
        const std::uint64_t stop = end == 0 || end > size_ ? size_ : end;
        if (stop <= begin) return out;
        out.resize(stop - begin);
        out.resize(read_at(begin, out.data(), out.size()));
        return out;
    }
    // A stream: read it all, then keep the range.
    char buf[1 << 16];
    for (;;) {
        const ssize_t got = ::read(fd_.get(), buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) fail("read", path_);
        if (got == 0) break;
        out.append(buf, static_cast<std::size_t>(got));
    }
    if (end != 0 && end < out.size()) out.resize(end);
    out.erase(0, std::min<std::uint64_t>(begin, out.size()));
    return out;
}

}  // namespace prs::partition
