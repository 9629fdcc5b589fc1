#pragma once
// What rank 0's orchestrator needs of the agent on its own rank, beside transport::RankZeroEndpoint
// for the others: Agent (agent.hpp) is the real one, which spawns worker processes; the
// orchestrator's tests and bench/ put a fake in its place.

#include <vector>

#include "prs/protocol/messages.hpp"

namespace prs::agent {

class LocalAgent {
public:
    virtual ~LocalAgent() = default;
    virtual void enqueue(protocol::MiniBatchDescriptor d) = 0;
    virtual void drain() = 0;  // no more work will come
    virtual void abort() = 0;  // kill everything now
    // Waits up to `timeout_ms` for worker activity, handles it and returns what the
    // orchestrator must hear (Result, WorkerEvent).
    virtual std::vector<protocol::AgentToRankZero> poll(int timeout_ms) = 0;
    virtual bool finished() const = 0;  // drained/aborted and no worker left
    // How many mini-batches rank 0 should let this agent hold.
    virtual int wanted_credit() const = 0;
    // Milliseconds until the agent's next deadline falls due (or `cap`).
    virtual int next_deadline_ms(int cap) const = 0;
};

}  // namespace prs::agent
