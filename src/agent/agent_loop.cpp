#include "prs/agent/agent_loop.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace prs::agent {

namespace {
// After Bye, rank 0's last word says whether MPI_Finalize is safe.
AgentExit wait_for_finish(transport::AgentEndpoint& transport, PeerClock& rank0, int rank_timeout_s) {
    for (;;) {
        while (auto in = transport.receive()) {
            rank0.heard();
            // Anything else is moot now: heartbeats, orders sent before rank 0 had the Bye.
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

int mpi_poll_timeout_ms(transport::Transport& transport, int cap) {
    return transport.progress() ? 0 : std::min(cap, 1);
}

AgentExit run_agent_loop(Agent& agent, transport::AgentEndpoint& transport, int rank_timeout_s) {
    PeerClock rank0;
    bool stopping = false;
    int credit = 0;  // rank 0 starts every agent with its default
    for (;;) {
        for (auto& m : agent.poll(mpi_poll_timeout_ms(transport, agent.next_deadline_ms(1000)))) {
            transport.send(0, m);
            rank0.spoke();
        }
        // Twice its workers' pipelines: the MPI round trip to rank 0 and the millisecond
        // between two looks at MPI hide behind the work already here.
        if (const int wanted = 2 * agent.wanted_credit(); wanted != credit && !stopping) {
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
            std::visit(protocol::Overloaded{
                           [&](protocol::Assign& a) { agent.enqueue(std::move(a.descriptor)); },
                           [&](const protocol::Drain&) {
                               agent.drain();
                               stopping = true;
                           },
                           [&](const protocol::Abort&) {
                               agent.abort();
                               stopping = true;
                           },
                           // Rank 0 sends it only after this rank's Bye (wait_for_finish).
                           [](const protocol::Finish&) {},
                           [](const protocol::Heartbeat&) {},  // hearing it is the point
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
