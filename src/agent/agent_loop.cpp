#include "prs/agent/agent_loop.hpp"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace prs::agent {

namespace {
long long steady_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
constexpr long long kHotWindowUs = 300;
// A remote agent holds a little more than its workers' pipelines: the MPI round trip to
// rank 0 must hide behind the work it already has.
constexpr int kRemoteExtraCredit = 2;
// After Bye, rank 0's last word says whether MPI_Finalize is safe.
AgentExit wait_for_finish(transport::Transport& transport, PeerClock& rank0, int rank_timeout_s) {
    for (;;) {
        while (auto in = transport.receive()) {
            rank0.heard();
            if (auto* f = std::get_if<protocol::Finish>(&in->second))
                return f->abandon ? AgentExit::Abandon : AgentExit::Finalize;
        }
        if (rank0.silent_for(rank_timeout_s)) return AgentExit::RankZeroLost;
        if (rank0.should_heartbeat()) {
            transport.send(0, protocol::Heartbeat{});
            rank0.spoke();
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
}
}  // namespace

int PollPacer::timeout_ms(int cap) const {
    if (steady_us() - last_traffic_us_ < kHotWindowUs) {
        ::sched_yield();
        return 0;
    }
    return std::min(cap, 1);
}

void PollPacer::saw_traffic() { last_traffic_us_ = steady_us(); }

AgentExit run_agent_loop(Agent& agent, transport::Transport& transport, int rank_timeout_s) {
    PollPacer pacer;
    PeerClock rank0;
    bool stopping = false;
    int credit = 0;  // rank 0 starts every agent with its default
    for (;;) {
        const int wait_ms = transport.progress() ? 0 : pacer.timeout_ms(agent.next_deadline_ms(1000));
        for (auto& m : agent.poll(wait_ms)) {
            transport.send(0, m);
            rank0.spoke();
            pacer.saw_traffic();
        }
        if (const int wanted = agent.wanted_credit() + kRemoteExtraCredit; wanted != credit && !stopping) {
            credit = wanted;
            transport.send(0, protocol::Credit{credit});
        }
        transport.post();
        if (rank0.should_heartbeat()) {
            transport.send(0, protocol::Heartbeat{});
            rank0.spoke();
        }
        if (rank0.silent_for(rank_timeout_s)) {
            agent.abort();
            return AgentExit::RankZeroLost;
        }
        while (auto in = transport.receive()) {
            rank0.heard();
            pacer.saw_traffic();
            std::visit(
                [&](auto& msg) {
                    using M = std::decay_t<decltype(msg)>;
                    if constexpr (std::is_same_v<M, protocol::Assign>) {
                        agent.enqueue(std::move(msg.descriptor));
                    } else if constexpr (std::is_same_v<M, protocol::Drain>) {
                        agent.drain();
                        stopping = true;
                    } else if constexpr (std::is_same_v<M, protocol::Abort>) {
                        agent.abort();
                        stopping = true;
                    }
                },
                in->second);
        }
        if (stopping && agent.finished()) {
            for (auto& m : agent.poll(0)) transport.send(0, m);
            transport.send(0, protocol::Bye{});
            return wait_for_finish(transport, rank0, rank_timeout_s);
        }
    }
}

}  // namespace prs::agent
