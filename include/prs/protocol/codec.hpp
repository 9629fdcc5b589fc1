#pragma once
// Byte form of protocol messages: a one-byte type tag (the same on every link) followed by
// the fields in declaration order (little-endian integers, u32-length-prefixed strings).
// The same bytes travel in an MPI message or, length-prefixed, over a worker's socket.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "prs/protocol/messages.hpp"

namespace prs::protocol {

class ProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// For each link type (messages.hpp); a message goes in as the link's variant, so that one
// the link does not carry fails to compile.
template <LinkMessage L>
std::string encode(const L& m);
// Appends encode(m) to out (avoids a copy on hot paths).
template <LinkMessage L>
void encode_into(const L& m, std::string& out);
// Appends encode(AgentToWorker{RunTask{d}}) to out without copying the descriptor into a message.
void encode_run_task_into(const MiniBatchDescriptor& d, std::string& out);
// Throws ProtocolError on malformed input, and on a message of a type the link does not carry.
template <LinkMessage L>
L decode(std::string_view bytes);
// Throws ProtocolError unless `tag` (a message's first byte) names a message type L carries.
template <LinkMessage L>
void check_message_type(std::uint8_t tag);

}  // namespace prs::protocol
