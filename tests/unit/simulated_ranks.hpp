#pragma once
// Simulated ranks for rank 0's orchestrator, without processes or MPI: a simulated clock, a
// transport whose remote ranks a test scripts (they take Assign, keep a credit pipeline,
// answer with Results, send heartbeats, fall silent), a local agent in place of agent::Agent,
// and a synthetic partition of any size. tests/unit/test_orchestrator.cpp drives the real
// orchestrator with them, bench/bench_orchestrator.cpp thousands of ranks.
//
// Time passes only where the orchestrator would wait: in the local agent's poll(), which
// moves the clock on to its next event (or by its timeout), as the real one sleeps.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "prs/agent/local_agent.hpp"
#include "prs/partition/partition.hpp"
#include "prs/transport/transport.hpp"

namespace prs::sim {

using Clock = std::chrono::steady_clock;

class SimClock {
public:
    Clock::time_point now() const { return now_; }
    void advance(Clock::duration d) { now_ += d; }
    void advance_to(Clock::time_point t) { now_ = std::max(now_, t); }

private:
    Clock::time_point now_{std::chrono::hours(1)};
};

// `count` mini-batches of `items` items each, ids 0, 1, ..., naming no data.
class SyntheticPartition : public partition::Partition {
public:
    explicit SyntheticPartition(std::uint64_t count, std::uint32_t items = 1) : count_(count), items_(items) {}
    std::optional<protocol::MiniBatchDescriptor> next() override {
        if (next_ == count_) return std::nullopt;
        protocol::MiniBatchDescriptor d;
        d.id = next_++;
        d.items = items_;
        return d;
    }
    std::uint64_t mini_batch_count() const override { return count_; }
    std::uint64_t item_count() const override { return count_ * items_; }

private:
    std::uint64_t count_;
    std::uint32_t items_;
    std::uint64_t next_ = 0;
};

// How a simulated rank behaves. The defaults: one worker, ready at once, that runs its
// mini-batches one after another and returns one row per mini-batch ("<id>\n").
struct RankBehaviour {
    int credit = 4;                                           // what its Credit message asks for
    Clock::duration run_time = std::chrono::milliseconds(1);  // per mini-batch
    int rows = 1;                                             // per mini-batch
    std::size_t row_bytes = 0;  // each row padded to this length, '\n' included; 0: "<id>\n"
    bool ready = true;          // says WorkerEvent Ready when it starts
    // From then on it sends nothing and answers nothing: a hung rank, a dead node.
    std::optional<Clock::time_point> silent_from;
    // Replaces the successful answer; the result's id and attempt are filled in.
    std::function<protocol::AttemptResult(const protocol::MiniBatchDescriptor&)> answer;
};

inline protocol::AttemptResult success(const protocol::MiniBatchDescriptor& d, const RankBehaviour& b) {
    protocol::AttemptResult r;
    r.mini_batch_id = d.id;
    r.attempt = d.attempt;
    r.status = protocol::AttemptStatus::RunDone;
    r.total = d.items;
    r.succeeded = d.items;
    r.process = "process001";
    const std::string id = std::to_string(d.id);
    for (int i = 0; i < b.rows; ++i) {
        r.rows += id;
        if (b.row_bytes > id.size() + 1) r.rows.append(b.row_bytes - id.size() - 1, 'x');
        r.rows += '\n';
    }
    r.row_count = static_cast<std::uint32_t>(b.rows);
    return r;
}

// One rank's agent: a queue of mini-batches it runs one at a time, each taking run_time.
struct SimulatedRank {
    RankBehaviour behaviour;
    int rank = 0;
    std::deque<protocol::MiniBatchDescriptor> tasks;  // the first one runs
    Clock::time_point busy_until;                     // when the first one finishes
    bool draining = false;
    bool aborted = false;
    bool said_bye = false;
    std::uint64_t assigned = 0;
    std::uint64_t heartbeats_heard = 0;
    std::optional<protocol::Finish> finish;

    bool silent(Clock::time_point now) const { return behaviour.silent_from && now >= *behaviour.silent_from; }
    // Takes a mini-batch; true when it starts running at once (nothing was queued).
    bool take(protocol::MiniBatchDescriptor d, Clock::time_point now) {
        ++assigned;
        tasks.push_back(std::move(d));
        if (tasks.size() > 1) return false;
        busy_until = now + behaviour.run_time;
        return true;
    }
    // The first task's result; the next one starts.
    protocol::AttemptResult finish_first() {
        auto d = std::move(tasks.front());
        tasks.pop_front();
        auto r = behaviour.answer ? behaviour.answer(d) : success(d, behaviour);
        r.mini_batch_id = d.id;
        r.attempt = d.attempt;
        r.node_id = rank;
        busy_until += behaviour.run_time;
        return r;
    }
};

// Ranks 1..size-1 for rank 0. A rank starts (Credit, Ready) at the first receive().
class SimulatedTransport : public transport::RankZeroEndpoint {
public:
    SimulatedTransport(SimClock& clock, int size, RankBehaviour behaviour = {}) : clock_(clock) {
        ranks_.resize(static_cast<std::size_t>(size));
        last_spoke_.resize(ranks_.size());
        beat_queued_.resize(ranks_.size());
        for (int r = 0; r < size; ++r) {
            ranks_[static_cast<std::size_t>(r)].rank = r;
            ranks_[static_cast<std::size_t>(r)].behaviour = behaviour;
        }
    }
    SimulatedRank& at(int rank) { return ranks_[static_cast<std::size_t>(rank)]; }
    // A message from `rank` to rank 0, delivered at the next receive().
    void inject(int rank, protocol::AgentToRankZero m) { outbox_.emplace_back(rank, std::move(m)); }

    int rank() const override { return 0; }
    int size() const override { return static_cast<int>(ranks_.size()); }
    bool send(int to, const protocol::RankZeroToAgent& m) override {
        auto& r = at(to);
        const auto now = clock_.now();
        if (r.silent(now)) return true;  // MPI delivers it; nobody reads it
        if (auto* a = std::get_if<protocol::Assign>(&m)) {
            if (!r.aborted && r.take(a->descriptor, now)) running_.emplace(r.busy_until, to);
        } else if (std::holds_alternative<protocol::Heartbeat>(m)) {
            ++r.heartbeats_heard;
        } else if (std::holds_alternative<protocol::Drain>(m)) {
            r.draining = true;
            say_bye_when_idle(r);
        } else if (std::holds_alternative<protocol::Abort>(m)) {
            r.aborted = true;
            r.tasks.clear();
            say_bye_when_idle(r);
        } else if (auto* f = std::get_if<protocol::Finish>(&m)) {
            r.finish = *f;
        }
        return true;
    }
    void post() override {}
    std::optional<std::pair<int, protocol::AgentToRankZero>> receive() override {
        if (outbox_.empty()) step();
        if (outbox_.empty()) return std::nullopt;
        auto m = std::move(outbox_.front());
        outbox_.pop_front();
        return m;
    }
    void flush() override {}
    bool progress() override { return false; }

private:
    void speak(SimulatedRank& r, protocol::AgentToRankZero m) {
        outbox_.emplace_back(r.rank, std::move(m));
        const auto i = static_cast<std::size_t>(r.rank);
        last_spoke_[i] = clock_.now();
        if (!beat_queued_[i]) {
            beat_queued_[i] = true;
            heartbeats_.emplace(clock_.now() + std::chrono::seconds(1), r.rank);
        }
    }
    void say_bye_when_idle(SimulatedRank& r) {
        if (r.tasks.empty() && !r.said_bye) {
            r.said_bye = true;
            speak(r, protocol::Bye{});
        }
    }
    // What the ranks did until now: start, finish mini-batches, send heartbeats.
    void step() {
        const auto now = clock_.now();
        if (!started_) {
            started_ = true;
            for (std::size_t i = 1; i < ranks_.size(); ++i) {
                auto& r = ranks_[i];
                if (r.silent(now)) continue;
                speak(r, protocol::Credit{r.behaviour.credit});
                if (r.behaviour.ready) {
                    protocol::WorkerEvent e;
                    e.kind = protocol::WorkerEvent::Kind::Ready;
                    e.node_id = r.rank;
                    e.process = "process001";
                    e.message = "init() done";
                    speak(r, std::move(e));
                }
            }
        }
        while (!running_.empty() && running_.top().first <= now) {
            auto& r = at(running_.top().second);
            running_.pop();
            if (r.tasks.empty() || r.silent(now)) continue;  // aborted, or gone quiet
            speak(r, protocol::Result{r.finish_first()});
            if (!r.tasks.empty())
                running_.emplace(r.busy_until, r.rank);
            else if (r.draining)
                say_bye_when_idle(r);
        }
        // The agent loop's heartbeat: a rank that said nothing for a second says so. One
        // entry per rank, so that memory stays O(ranks) however many messages they send.
        while (!heartbeats_.empty() && heartbeats_.top().first < now) {
            const int rank = heartbeats_.top().second;
            heartbeats_.pop();
            const auto i = static_cast<std::size_t>(rank);
            beat_queued_[i] = false;
            auto& r = at(rank);
            if (r.silent(now) || r.finish) continue;
            if (now - last_spoke_[i] > std::chrono::seconds(1)) {
                speak(r, protocol::Heartbeat{});
            } else {
                beat_queued_[i] = true;
                heartbeats_.emplace(last_spoke_[i] + std::chrono::seconds(1), rank);
            }
        }
    }

    using Due = std::pair<Clock::time_point, int>;
    SimClock& clock_;
    std::vector<SimulatedRank> ranks_;
    std::deque<std::pair<int, protocol::AgentToRankZero>> outbox_;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> running_;     // when each busy rank's first task ends
    std::priority_queue<Due, std::vector<Due>, std::greater<>> heartbeats_;  // when a rank may owe one
    std::vector<bool> beat_queued_;
    std::vector<Clock::time_point> last_spoke_;
    bool started_ = false;
};

// Rank 0's own agent. poll() moves the clock on to its next result, at most by its timeout.
class SimulatedAgent : public agent::LocalAgent {
public:
    SimulatedAgent(SimClock& clock, RankBehaviour behaviour = {}) : clock_(clock) { self_.behaviour = behaviour; }
    SimulatedRank& self() { return self_; }
    // A message for the orchestrator at the next poll() (a WorkerEvent, a late Result).
    void inject(protocol::AgentToRankZero m) { events_.push_back(std::move(m)); }
    bool drained() const { return self_.draining; }
    bool aborted() const { return self_.aborted; }

    void enqueue(protocol::MiniBatchDescriptor d) override { self_.take(std::move(d), clock_.now()); }
    void drain() override { self_.draining = true; }
    void abort() override {
        self_.aborted = true;
        self_.tasks.clear();
    }
    std::vector<protocol::AgentToRankZero> poll(int timeout_ms) override {
        std::vector<protocol::AgentToRankZero> out;
        out.swap(events_);
        if (!out.empty()) return out;
        const auto deadline = clock_.now() + std::chrono::milliseconds(timeout_ms);
        if (self_.tasks.empty() || self_.busy_until > deadline) {
            clock_.advance_to(deadline);
            return out;
        }
        clock_.advance_to(self_.busy_until);
        while (!self_.tasks.empty() && self_.busy_until <= clock_.now())
            out.emplace_back(protocol::Result{self_.finish_first()});
        return out;
    }
    bool finished() const override { return (self_.draining || self_.aborted) && self_.tasks.empty(); }
    int wanted_credit() const override { return self_.behaviour.credit; }
    int next_deadline_ms(int cap) const override { return cap; }

private:
    SimClock& clock_;
    SimulatedRank self_;
    std::vector<protocol::AgentToRankZero> events_;
};

}  // namespace prs::sim
