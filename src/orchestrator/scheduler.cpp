#include "prs/orchestrator/scheduler.hpp"

#include <algorithm>

namespace prs::orchestrator {

Scheduler::Scheduler(partition::Partition& source, int max_retries) : source_(source), max_retries_(max_retries) {}

int Scheduler::add_agent(int credit) {
    agents_.push_back(Agent{credit, 0, true});
    ++live_;
    const int agent = static_cast<int>(agents_.size()) - 1;
    update_room(agent);
    return agent;
}

void Scheduler::set_credit(int agent, int credit) {
    agents_[static_cast<std::size_t>(agent)].credit = credit;
    update_room(agent);
}

void Scheduler::update_room(int agent) {
    const auto& a = agents_[static_cast<std::size_t>(agent)];
    if (a.alive && a.held < a.credit)
        with_room_.insert(agent);
    else
        with_room_.erase(agent);
}

std::optional<protocol::MiniBatchDescriptor> Scheduler::take_for(int agent) {
    // A retry goes elsewhere when it can: the failure may belong to that node.
    for (auto it = retries_.begin(); it != retries_.end(); ++it) {
        if (it->avoid_agent != agent || live_agents() == 1) {
            auto d = std::move(it->descriptor);
            retries_.erase(it);
            return d;
        }
    }
    while (!source_done_) {
        auto d = source_.next();
        if (!d) {
            source_done_ = true;
            break;
        }
        if (d->id < done_.size() && done_[d->id]) continue;
        return d;
    }
    return std::nullopt;
}

std::vector<Assignment> Scheduler::assign() {
    std::vector<Assignment> out;
    if (stopped_) return out;
    // Round-robin one at a time so that a short tail spreads over all agents.
    bool progress = true;
    // Without work left, no agent would take any: the tail of a job on many agents skips them.
    const auto work_left = [this] {
        return !source_done_ || !retries_.empty();
    };
    while (progress && work_left()) {
        progress = false;
        for (auto it = with_room_.begin(); it != with_room_.end() && work_left();) {
            const int i = *it;
            auto& a = agents_[static_cast<std::size_t>(i)];
            auto d = take_for(i);
            if (!d) {
                ++it;
                continue;
            }
            ++a.held;
            it = a.held < a.credit ? std::next(it) : with_room_.erase(it);
            in_flight_.emplace(d->id, InFlight{i, *d});
            out.push_back(Assignment{i, std::move(*d)});
            progress = true;
        }
    }
    return out;
}

void Scheduler::add_piece(protocol::MiniBatchDescriptor piece) {
    single_attempt_.insert(piece.id);
    retries_.push_back(Retry{std::move(piece), -1});
}

Verdict Scheduler::settle(InFlight&& f, bool ok, protocol::MiniBatchDescriptor* attempted) {
    const bool single = single_attempt_.erase(f.descriptor.id) > 0;
    if (attempted) *attempted = ok ? std::move(f.descriptor) : f.descriptor;
    if (ok) return Verdict::Succeeded;
    // A stop can be the very cause of the failure (signals, killed workers): such a
    // mini-batch is not final, so a resumed run does it again.
    if (stopped_) return Verdict::Interrupted;
    if (!single && static_cast<int>(f.descriptor.attempt) < max_retries_) {
        f.descriptor.attempt += 1;
        retries_.push_back(Retry{std::move(f.descriptor), f.agent});
        return Verdict::WillRetry;
    }
    return Verdict::Failed;
}

Verdict Scheduler::on_result(int agent, const protocol::AttemptResult& result, protocol::MiniBatchDescriptor* attempted,
                             bool short_succeeds) {
    auto it = in_flight_.find(result.mini_batch_id);
    if (it == in_flight_.end() || it->second.agent != agent || it->second.descriptor.attempt != result.attempt)
        return Verdict::Stale;
    InFlight f = std::move(it->second);
    in_flight_.erase(it);
    --agents_[static_cast<std::size_t>(agent)].held;
    update_room(agent);
    const bool ok = result.ok() || (short_succeeds && result.status == protocol::AttemptStatus::RunDone);
    return settle(std::move(f), ok, attempted);
}

std::vector<std::pair<protocol::MiniBatchDescriptor, Verdict>> Scheduler::on_agent_lost(int agent) {
    auto& a = agents_[static_cast<std::size_t>(agent)];
    if (a.alive) --live_;
    a.alive = false;
    a.held = 0;
    update_room(agent);
    std::vector<std::pair<protocol::MiniBatchDescriptor, Verdict>> out;
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
        if (it->second.agent != agent) {
            ++it;
            continue;
        }
        InFlight f = std::move(it->second);
        it = in_flight_.erase(it);
        protocol::MiniBatchDescriptor d;
        const Verdict v = settle(std::move(f), false, &d);
        out.emplace_back(std::move(d), v);
    }
    return out;
}

}  // namespace prs::orchestrator
