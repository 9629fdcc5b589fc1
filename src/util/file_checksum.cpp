#include "prs/util/file_checksum.hpp"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace prs::util {

std::uint32_t crc32_extend(std::uint32_t crc, std::string_view bytes) {
    return static_cast<std::uint32_t>(
        ::crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<z_size_t>(bytes.size())));
}

int crc32_extend_from_file(std::uint32_t& crc, int fd, std::uint64_t from, std::uint64_t to) {
    std::vector<char> buffer(std::min<std::uint64_t>(to - std::min(from, to), 1u << 20));
    while (from < to) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), to - from));
        const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(from));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return EIO;
        crc = crc32_extend(crc, std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        from += static_cast<std::uint64_t>(n);
    }
    return 0;
}

}  // namespace prs::util
