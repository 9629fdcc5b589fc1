#pragma once
// How rank 0 and the agents reach each other. MpiTransport (mpi_transport.hpp) is the
// real one; the orchestrator and agent loops only see this interface.

#include <optional>
#include <utility>

#include "prs/protocol/messages.hpp"

namespace prs::transport {

class Transport {
public:
    virtual ~Transport() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // Never blocks. Messages to the same rank may be gathered and leave together at the
    // next post(), receive() or flush(); their order is kept. False when the message
    // cannot be sent (the peer is gone).
    virtual bool send(int to, const protocol::Message& m) = 0;
    virtual void post() = 0;                                                 // sends what send() gathered
    virtual std::optional<std::pair<int, protocol::Message>> receive() = 0;  // non-blocking
    virtual void flush() = 0;                                                // waits until all sends completed
    // Moves sends along; true while some are still in flight. A large message crosses
    // in fragments, each needing a call on the sending side, so a loop that has sends
    // in flight must not sleep.
    virtual bool progress() = 0;
};

}  // namespace prs::transport
