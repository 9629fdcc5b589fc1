#include "prs/util/write_fully.hpp"

#include <unistd.h>

#include <cerrno>

namespace prs::util {

int write_fully(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t w = ::write(fd, bytes.data(), bytes.size());
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return errno;
        if (w == 0) return EIO;  // no progress: report it rather than spin
        bytes.remove_prefix(static_cast<std::size_t>(w));
    }
    return 0;
}

}  // namespace prs::util
