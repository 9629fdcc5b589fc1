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

template <LinkMessage L>
std::optional<std::size_t> whole_frame_size(std::string_view bytes) {
    const auto n = frame_length(bytes);
    if (!n) return std::nullopt;
    if (*n == 0) throw ProtocolError("empty frame");
    if (*n > kMaxFrameBytes)
        throw ProtocolError("frame header announces " + std::to_string(*n) + " bytes, more than the limit of " +
                            std::to_string(kMaxFrameBytes));
    if (bytes.size() < 5) return std::nullopt;
    check_message_type<L>(static_cast<std::uint8_t>(bytes[4]));
    if (bytes.size() - 4 < *n) return std::nullopt;
    return 4 + std::size_t{*n};
}

template <LinkMessage L>
void append_frame(std::string& out, const L& m) {
    append_frame_with(out, [&](std::string& o) { encode_into(m, o); });
}

void append_run_task_frame(std::string& out, const MiniBatchDescriptor& d) {
    append_frame_with(out, [&](std::string& o) { encode_run_task_into(d, o); });
}

template <LinkMessage L>
std::optional<std::pair<L, std::size_t>> read_frame(std::string_view bytes) {
    const auto size = whole_frame_size<L>(bytes);
    if (!size) return std::nullopt;
    return std::make_pair(decode<L>(bytes.substr(4, *size - 4)), *size);
}

// The links, framed here only.
template std::optional<std::size_t> whole_frame_size<AgentToWorker>(std::string_view);
template std::optional<std::size_t> whole_frame_size<WorkerToAgent>(std::string_view);
template std::optional<std::size_t> whole_frame_size<RankZeroToAgent>(std::string_view);
template std::optional<std::size_t> whole_frame_size<AgentToRankZero>(std::string_view);
template void append_frame<AgentToWorker>(std::string&, const AgentToWorker&);
template void append_frame<WorkerToAgent>(std::string&, const WorkerToAgent&);
template void append_frame<RankZeroToAgent>(std::string&, const RankZeroToAgent&);
template void append_frame<AgentToRankZero>(std::string&, const AgentToRankZero&);
template std::optional<std::pair<AgentToWorker, std::size_t>> read_frame<AgentToWorker>(std::string_view);
template std::optional<std::pair<WorkerToAgent, std::size_t>> read_frame<WorkerToAgent>(std::string_view);
template std::optional<std::pair<RankZeroToAgent, std::size_t>> read_frame<RankZeroToAgent>(std::string_view);
template std::optional<std::pair<AgentToRankZero, std::size_t>> read_frame<AgentToRankZero>(std::string_view);

std::string& FrameStream::outgoing() {
    drop_sent();
    return out_;
}

void FrameStream::drop_sent() {
    if (sent_ == out_.size()) {
        out_.clear();
        sent_ = 0;
    }
}

bool FrameStream::write_some(int flags) {
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

bool FrameStream::write_available() { return write_some(MSG_DONTWAIT); }

bool FrameStream::flush() { return write_some(0); }

char* FrameStream::InBuffer::room(std::size_t n) {
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

bool FrameStream::read_some(int flags) {
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

bool FrameStream::read_available() { return read_some(MSG_DONTWAIT); }
bool FrameStream::read_blocking() { return read_some(0); }

}  // namespace prs::protocol
