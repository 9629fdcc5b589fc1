#pragma once
// How rank 0 and the agents reach each other. MpiTransport (mpi_transport.hpp) is the
// real one; the orchestrator and agent loops only see these interfaces.

#include <optional>
#include <utility>

#include "prs/protocol/messages.hpp"

namespace prs::transport {

// What both ends do, whatever they send.
class Transport {
public:
    virtual ~Transport() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    virtual void post() = 0;   // sends what send() gathered
    virtual void flush() = 0;  // waits until all sends completed
    // Moves sends along; true while some are still in flight. A large message crosses
    // in fragments, each needing a call on the sending side, so a loop that has sends
    // in flight must not sleep.
    virtual bool progress() = 0;
};

// One end of the rank link: sends `Out`, receives `In` (the aliases below).
template <protocol::LinkMessage Out, protocol::LinkMessage In>
class Endpoint : public Transport {
public:
    // Never blocks. Messages to the same rank may be gathered and leave together at the
    // next post(), receive() or flush(); their order is kept. False when the message
    // cannot be sent (the peer is gone).
    virtual bool send(int to, const Out& m) = 0;
    virtual std::optional<std::pair<int, In>> receive() = 0;  // non-blocking
};

using RankZeroEndpoint = Endpoint<protocol::RankZeroToAgent, protocol::AgentToRankZero>;  // the orchestrator's
using AgentEndpoint = Endpoint<protocol::AgentToRankZero, protocol::RankZeroToAgent>;     // every other rank's

}  // namespace prs::transport
