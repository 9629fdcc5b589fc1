#pragma once
// Pull scheduling of mini-batches over agents (one per MPI rank), without MPI.
//
// Each agent has a credit: how many mini-batches it may hold at once (its workers
// times a small prefetch window), so a worker finds its next mini-batch already at
// its agent and never waits on a round trip to rank 0. Failed attempts come back for
// a retry, preferably on another agent, until max_retries is spent.

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "prs/partition/partition.hpp"
#include "prs/protocol/messages.hpp"

namespace prs::orchestrator {

struct Assignment {
    int agent;
    protocol::MiniBatchDescriptor descriptor;
};

// What became of a reported attempt.
enum class Verdict {
    Succeeded,    // final: first fully successful attempt
    Failed,       // final: the last allowed attempt failed
    WillRetry,    // not final: another attempt is queued; its rows must not be written
    Stale,        // not in flight (e.g. its agent was declared lost): ignore it
    Interrupted,  // failed while the job was stopping: not final, a resumed run does it again
};

class Scheduler {
public:
    Scheduler(partition::Partition& source, int max_retries);

    // Registers an agent able to hold `credit` mini-batches at once. Returns its index.
    int add_agent(int credit);
    void set_credit(int agent, int credit);

    // Hands out work up to every live agent's free credit, retries first.
    std::vector<Assignment> assign();

    // `attempted`, when given, receives the descriptor the attempt ran (not for Stale).
    // `short_succeeds`: a run() that returned fewer items than it got is a success (Azure's
    // rule when error_threshold is -1).
    Verdict on_result(int agent, const protocol::AttemptResult& result,
                      protocol::MiniBatchDescriptor* attempted = nullptr, bool short_succeeds = false);

    // The agent is gone: its in-flight mini-batches count as failed attempts.
    // Returns the verdict for each of them (by mini-batch id).
    std::vector<std::pair<protocol::MiniBatchDescriptor, Verdict>> on_agent_lost(int agent);

    // A piece of a mini-batch being isolated (orchestrator/isolation.hpp): handed out before
    // new work, run once (its outcome is final).
    void add_piece(protocol::MiniBatchDescriptor piece);

    // No more new work is handed out (a threshold was crossed, or a stop was asked).
    void stop_dispatching() { stopped_ = true; }
    // Resume: mini-batches the journal already holds are never handed out again.
    void skip(std::vector<bool> done) { done_ = std::move(done); }

    bool all_scheduled() const { return source_done_ && retries_.empty(); }
    bool finished() const { return (all_scheduled() || stopped_) && in_flight_.empty(); }
    std::size_t in_flight() const { return in_flight_.size(); }
    bool agent_alive(int agent) const { return agents_[static_cast<std::size_t>(agent)].alive; }
    int live_agents() const { return live_; }

private:
    struct Agent {
        int credit = 0;
        int held = 0;
        bool alive = true;
    };
    struct InFlight {
        int agent;
        protocol::MiniBatchDescriptor descriptor;
    };
    struct Retry {
        protocol::MiniBatchDescriptor descriptor;
        int avoid_agent;
    };
    Verdict settle(InFlight&& f, bool ok, protocol::MiniBatchDescriptor* attempted);
    // Keeps `with_room_` in step with the agent's credit, held count and life.
    void update_room(int agent);
    std::optional<protocol::MiniBatchDescriptor> take_for(int agent);

    partition::Partition& source_;
    int max_retries_;
    bool source_done_ = false;
    bool stopped_ = false;
    std::vector<Agent> agents_;
    int live_ = 0;
    // The live agents that may take more, by index: assign() visits only these, so that a
    // result costs rank 0 the same with 10 or 10,000 agents (bench/bench_orchestrator).
    std::set<int> with_room_;
    std::deque<Retry> retries_;
    std::unordered_map<std::uint64_t, InFlight> in_flight_;
    std::vector<bool> done_;
    std::unordered_set<std::uint64_t> single_attempt_;  // pieces in flight or queued
};

}  // namespace prs::orchestrator
