#include "prs/agent/agent_loop.hpp"

#include <sched.h>

#include <algorithm>
#include <chrono>

namespace prs::agent {

namespace {
long long steady_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
constexpr long long kHotWindowUs = 300;
}  // namespace

int PollPacer::timeout_ms(int cap) const {
    if (steady_us() - last_traffic_us_ < kHotWindowUs) {
        ::sched_yield();
        return 0;
    }
    return std::min(cap, 1);
}

void PollPacer::saw_traffic() { last_traffic_us_ = steady_us(); }

void run_agent_loop(Agent& agent, transport::Transport& transport) {
    PollPacer pacer;
    bool stopping = false;
    for (;;) {
        for (auto& m : agent.poll(pacer.timeout_ms(agent.next_deadline_ms(1000)))) {
            transport.send(0, m);
            pacer.saw_traffic();
        }
        while (auto in = transport.receive()) {
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
            transport.flush();
            return;
        }
    }
}

}  // namespace prs::agent
