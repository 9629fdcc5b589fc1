#pragma once
// Length-prefixed messages over a stream socket (agent <-> worker child).
// Frame: u32 little-endian byte count, then codec bytes.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "prs/protocol/codec.hpp"
#include "prs/util/unique_fd.hpp"

namespace prs::protocol {

// The largest frame either side sends or accepts (one mini-batch's rows must fit). A header
// announcing more, or an empty or unknown message, is an error as soon as its first five
// bytes are here: bytes an entry script wrote to the socket must not leave the reader
// waiting for a gigabyte that never comes.
inline constexpr std::size_t kMaxFrameBytes = std::size_t{1} << 30;

// Appends one frame (u32 length, then the codec bytes of `m`) to `out`. Throws
// ProtocolError, leaving `out` as it was, when the message exceeds kMaxFrameBytes.
template <LinkMessage L>
void append_frame(std::string& out, const L& m);
// The same for RunTask{d}, without copying `d`.
void append_run_task_frame(std::string& out, const MiniBatchDescriptor& d);
// The frame at the front of `bytes`: its message and how many bytes it took; nullopt
// while it is incomplete. Throws ProtocolError on garbage, a bad header as soon as it is here
// (a message type the link `L` does not carry is garbage).
template <LinkMessage L>
std::optional<std::pair<L, std::size_t>> read_frame(std::string_view bytes);

// The whole size of the frame at the front of `bytes` once all of it is here. Its header is
// checked as soon as it arrives, before the body it announces (ProtocolError).
template <LinkMessage L>
std::optional<std::size_t> whole_frame_size(std::string_view bytes);

// The bytes of a worker's socket, both ways: frames queued and written, bytes read and
// not yet taken as messages. Channel below gives them their message types.
class FrameStream {
public:
    FrameStream() = default;
    explicit FrameStream(util::UniqueFd fd) : fd_(std::move(fd)) {}

    int fd() const { return fd_.get(); }
    explicit operator bool() const { return bool(fd_); }

    // Writes what the socket takes now without blocking; the rest waits for the next
    // call (poll for POLLOUT while has_output()). False if the peer is gone.
    bool write_available();
    // Writes everything queued (blocking). False if the peer is gone (EPIPE/ECONNRESET);
    // never raises SIGPIPE.
    bool flush();
    bool has_output() const { return sent_ < out_.size(); }
    std::size_t output_bytes() const { return out_.size() - sent_; }

    // Reads whatever the socket has now without blocking (the fd should be polled
    // first). Returns false on EOF or error: the peer is gone.
    bool read_available();
    // Blocks until at least one more byte arrives. Returns false on EOF/error.
    bool read_blocking();

    // Bytes read and not yet taken as messages: once next() returns nullopt, the start of an
    // incomplete frame.
    std::size_t input_bytes() const { return in_.view().size(); }

protected:
    // Where the next frame goes: after the frames not yet written.
    std::string& outgoing();
    std::string_view incoming() const { return in_.view(); }
    void consume(std::size_t n) { in_.consume(n); }

private:
    // Bytes read and not yet consumed: data_[begin_, end_). Uninitialised storage, so that
    // a large frame (a result's rows) is received in place, with no zero-fill or copy.
    class InBuffer {
    public:
        std::string_view view() const { return {data_.get() + begin_, end_ - begin_}; }
        void consume(std::size_t n) { begin_ += n; }
        // Room for at least `n` more bytes after end_; returns where they go.
        char* room(std::size_t n);
        void filled(std::size_t n) { end_ += n; }

    private:
        std::unique_ptr<char[]> data_;
        std::size_t capacity_ = 0, begin_ = 0, end_ = 0;
    };
    void drop_sent();  // once everything queued is written, the buffer starts over
    bool read_some(int flags);
    bool write_some(int flags);
    util::UniqueFd fd_;
    InBuffer in_;
    std::string out_;  // frames not yet written, from out_[sent_]
    std::size_t sent_ = 0;
};

// One end of a worker's socket: sends `Out`, receives `In` (the aliases below).
template <LinkMessage Out, LinkMessage In>
class Channel : public FrameStream {
public:
    using FrameStream::FrameStream;

    // Writes the whole frame, and anything queued before it (blocking). Returns false if
    // the peer is gone.
    bool send(const Out& m) {
        queue(m);
        return flush();
    }
    // Adds a frame to the outgoing bytes without writing: several frames then leave in
    // one system call (the agent sends a worker its next mini-batches together).
    void queue(const Out& m) { append_frame(outgoing(), m); }
    void queue_run_task(const MiniBatchDescriptor& d) requires std::is_same_v<Out, AgentToWorker> {
        append_run_task_frame(outgoing(), d);
    }

    // The next complete message already read, if any. Throws ProtocolError on garbage.
    std::optional<In> next() {
        auto frame = read_frame<In>(incoming());
        if (!frame) return std::nullopt;
        consume(frame->second);
        return std::move(frame->first);
    }
    // Whether a whole message is here, reading what the socket has first if need be
    // (without blocking): receive() would not wait. Throws ProtocolError on a bad header.
    bool has_message() {
        const auto whole = [&] {
            return whole_frame_size<In>(incoming()).has_value();
        };
        return whole() || (read_available() && whole());
    }
    // Blocks until a whole message arrives; nullopt on EOF.
    std::optional<In> receive() {
        for (;;) {
            if (auto m = next()) return m;
            if (!read_blocking()) return std::nullopt;
        }
    }
};

using ChannelToWorker = Channel<AgentToWorker, WorkerToAgent>;  // the agent's end
using ChannelToAgent = Channel<WorkerToAgent, AgentToWorker>;   // the worker's end

}  // namespace prs::protocol
