#pragma once
// Byte form of protocol messages: a one-byte type tag followed by the fields in
// declaration order (little-endian integers, u32-length-prefixed strings). The same
// bytes travel in an MPI message or, length-prefixed, over a worker's socket.

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

std::string encode(const Message& m);
// Appends encode(m) to out (avoids a copy on hot paths).
void encode_into(const Message& m, std::string& out);
// Appends encode(RunTask{d}) to out without copying the descriptor into a message.
void encode_run_task_into(const MiniBatchDescriptor& d, std::string& out);
Message decode(std::string_view bytes);  // throws ProtocolError on malformed input
// Throws ProtocolError unless `tag` (a message's first byte) names a message type.
void check_message_type(std::uint8_t tag);

}  // namespace prs::protocol
