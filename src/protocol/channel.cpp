#include "prs/protocol/channel.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

namespace prs::protocol {

namespace {
// The byte count in a frame's header, once its four bytes are here.
std::optional<std::uint32_t> frame_length(std::string_view bytes) {
    if (bytes.size() < 4) return std::nullopt;
    std::uint32_t n = 0;
    std::memcpy(&n, bytes.data(), 4);
    return n;
}

// The whole size of the frame at the front of `bytes` once all of it is here. Its header
// is checked as soon as it arrives, before the body it announces.
std::optional<std::size_t> whole_frame_size(std::string_view bytes) {
    const auto n = frame_length(bytes);
    if (!n) return std::nullopt;
    if (*n == 0) throw ProtocolError("empty frame");
    if (*n > kMaxFrameBytes)
        throw ProtocolError("frame header announces " + std::to_string(*n) + " bytes, more than the limit of " +
                            std::to_string(kMaxFrameBytes));
    if (bytes.size() < 5) return std::nullopt;
    check_message_type(static_cast<std::uint8_t>(bytes[4]));
    if (bytes.size() - 4 < *n) return std::nullopt;
    return 4 + std::size_t{*n};
}

template <class Encode>
void append_frame_with(std::string& out, Encode&& encode) {
    const std::size_t start = out.size();
    out.append(4, '\0');
    encode(out);
    const std::size_t size = out.size() - start - 4;
    if (size > kMaxFrameBytes) {
        out.resize(start);
        throw ProtocolError("a message of " + std::to_string(size) + " bytes is more than the frame limit of " +
                            std::to_string(kMaxFrameBytes) + " (a mini-batch's rows must fit in it)");
    }
    const auto n = static_cast<std::uint32_t>(size);
    std::memcpy(out.data() + start, &n, 4);
}
}  // namespace

void append_frame(std::string& out, const Message& m) {
    append_frame_with(out, [&](std::string& o) { encode_into(m, o); });
}

void append_run_task_frame(std::string& out, const MiniBatchDescriptor& d) {
    append_frame_with(out, [&](std::string& o) { encode_run_task_into(d, o); });
}

std::optional<std::pair<Message, std::size_t>> read_frame(std::string_view bytes) {
    const auto size = whole_frame_size(bytes);
    if (!size) return std::nullopt;
    return std::make_pair(decode(bytes.substr(4, *size - 4)), *size);
}

void Channel::queue(const Message& m) {
    drop_sent();
    append_frame(out_, m);
}

void Channel::queue_run_task(const MiniBatchDescriptor& d) {
    drop_sent();
    append_run_task_frame(out_, d);
}

void Channel::drop_sent() {
    if (sent_ == out_.size()) {
        out_.clear();
        sent_ = 0;
    }
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

bool Channel::flush() { return write_some(0); }

char* Channel::InBuffer::room(std::size_t n) {
    if (begin_ == end_) begin_ = end_ = 0;
    if (capacity_ - end_ >= n) return data_.get() + end_;
    const std::size_t live = end_ - begin_;
    if (live + n <= capacity_) {
        std::memmove(data_.get(), data_.get() + begin_, live);
    } else {
        const std::size_t capacity = std::max(live + n, 2 * capacity_);
        auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
        if (live) std::memcpy(bigger.get(), data_.get() + begin_, live);  // the first buffer copies from null
        data_ = std::move(bigger);
        capacity_ = capacity;
    }
    begin_ = 0;
    end_ = live;
    return data_.get() + end_;
}

bool Channel::read_some(int flags) {
    constexpr std::size_t kRead = 65536;
    constexpr std::size_t kReadMax = 64u << 20;  // a bogus length must not allocate gigabytes at once
    bool got_bytes = false;
    for (;;) {
        // Room for the rest of the frame being received, so a large one lands in one piece.
        std::size_t want = kRead;
        const auto pending = in_.view();
        if (const auto n = frame_length(pending); n && 4 + std::size_t{*n} > pending.size())
            want = std::clamp(4 + std::size_t{*n} - pending.size(), kRead, kReadMax);
        char* at = in_.room(want);
        const ssize_t r = ::recv(fd_.get(), at, want, flags);
        if (r > 0) {
            in_.filled(static_cast<std::size_t>(r));
            got_bytes = true;
            if (static_cast<std::size_t>(r) < want) return true;
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
    auto frame = read_frame(in_.view());
    if (!frame) return std::nullopt;
    in_.consume(frame->second);
    return std::move(frame->first);
}

bool Channel::has_message() {
    const auto whole = [&] {
        return whole_frame_size(in_.view()).has_value();
    };
    return whole() || (read_available() && whole());
}

std::optional<Message> Channel::receive() {
    for (;;) {
        if (auto m = next()) return m;
        if (!read_blocking()) return std::nullopt;
    }
}

}  // namespace prs::protocol
