#pragma once
// The event loop of a rank other than 0: takes orders from rank 0, runs them on its
// Agent, sends results back, until rank 0 says Drain or Abort.

#include <chrono>

#include "prs/agent/agent.hpp"
#include "prs/transport/transport.hpp"

namespace prs::agent {

// When a peer was last heard from and last spoken to. `now`: rank 0's orchestrator passes
// its own clock's (a simulated one in its tests and bench/).
class PeerClock {
public:
    using Clock = std::chrono::steady_clock;
    explicit PeerClock(Clock::time_point now = Clock::now()) : heard_(now), spoke_(now) {}
    void heard(Clock::time_point now = Clock::now()) { heard_ = now; }
    void spoke(Clock::time_point now = Clock::now()) { spoke_ = now; }
    bool should_heartbeat(Clock::time_point now = Clock::now()) const { return now - spoke_ > std::chrono::seconds(1); }
    bool silent_for(int seconds, Clock::time_point now = Clock::now()) const {
        return now - heard_ > std::chrono::seconds(seconds);
    }

private:
    Clock::time_point heard_;
    Clock::time_point spoke_;
};

// How the rank should end. Finalize: normally. Abandon: some rank died, so MPI_Finalize
// would wait forever. RankZeroLost: rank 0 fell silent for the rank timeout; the
// workers were killed.
enum class AgentExit { Finalize, Abandon, RankZeroLost };
AgentExit run_agent_loop(Agent& agent, transport::AgentEndpoint& transport, int rank_timeout_s);

// How long an event loop may sleep in poll() while MPI messages, which do not wake
// poll(), may arrive: a millisecond (agents hold more than that of work, so nobody waits
// on it, and oversubscribed ranks leave the cores to the workers), zero while sends are
// in flight (a large message crosses only while its sender keeps calling MPI).
int mpi_poll_timeout_ms(transport::Transport& transport, int cap);

}  // namespace prs::agent
