#include "prs/protocol/channel.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace prs::protocol {

void Channel::queue(const Message& m) {
    if (sent_ == out_.size()) {
        out_.clear();
        sent_ = 0;
    }
    const std::size_t start = out_.size();
    out_.append(4, '\0');
    encode_into(m, out_);
    const auto n = static_cast<std::uint32_t>(out_.size() - start - 4);
    std::memcpy(out_.data() + start, &n, 4);
}

bool Channel::write_some(int flags) {
    while (sent_ < out_.size()) {
        // MSG_NOSIGNAL: a crashed worker must surface as a return value, not kill us.
        const ssize_t w = ::send(fd_.get(), out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL | flags);
        if (w < 0) {
            if (errno == EINTR) continue;
            return (flags & MSG_DONTWAIT) && (errno == EAGAIN || errno == EWOULDBLOCK);
        }
        sent_ += static_cast<std::size_t>(w);
    }
    return true;
}

bool Channel::send(const Message& m) {
    queue(m);
    return write_some(0);
}

bool Channel::write_available() { return write_some(MSG_DONTWAIT); }

bool Channel::read_some(int flags) {
    if (consumed_ > 0 && consumed_ == in_.size()) {
        in_.clear();
        consumed_ = 0;
    }
    char buf[65536];
    bool got_bytes = false;
    for (;;) {
        const ssize_t r = ::recv(fd_.get(), buf, sizeof buf, flags);
        if (r > 0) {
            in_.append(buf, static_cast<std::size_t>(r));
            got_bytes = true;
            if (static_cast<std::size_t>(r) < sizeof buf) return true;
            flags |= MSG_DONTWAIT;  // drain what is already there, then stop
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        // EOF or error right after data (a worker that sent its last message and exited):
        // report the data now; the next read reports the EOF.
        return got_bytes;
    }
}

bool Channel::read_available() { return read_some(MSG_DONTWAIT); }
bool Channel::read_blocking() { return read_some(0); }

std::optional<Message> Channel::next() {
    const std::size_t avail = in_.size() - consumed_;
    if (avail < 4) return std::nullopt;
    std::uint32_t n = 0;
    std::memcpy(&n, in_.data() + consumed_, 4);
    if (avail < 4 + std::size_t{n}) return std::nullopt;
    Message m = decode(std::string_view(in_).substr(consumed_ + 4, n));
    consumed_ += 4 + std::size_t{n};
    if (consumed_ > (1u << 20) && consumed_ * 2 > in_.size()) {
        in_.erase(0, consumed_);  // keep the buffer from growing without bound
        consumed_ = 0;
    }
    return m;
}

std::optional<Message> Channel::receive() {
    for (;;) {
        if (auto m = next()) return m;
        if (!read_blocking()) return std::nullopt;
    }
}

}  // namespace prs::protocol
