#pragma once
// The event loop of a rank other than 0: takes orders from rank 0, runs them on its
// Agent, sends results back, until rank 0 says Drain or Abort.

#include "prs/agent/agent.hpp"
#include "prs/transport/transport.hpp"

namespace prs::agent {

void run_agent_loop(Agent& agent, transport::Transport& transport);

// How long an event loop may sleep in poll() while MPI messages may be waiting:
// zero right after traffic (hot path), a millisecond when idle so that
// oversubscribed ranks leave the cores to the workers.
class PollPacer {
public:
    int timeout_ms(int cap) const;
    void saw_traffic();

private:
    long long last_traffic_us_ = 0;
};

}  // namespace prs::agent
