#include "prs/orchestrator/job_stats.hpp"

#include <algorithm>
#include <limits>

namespace prs::orchestrator {

std::uint32_t JobStats::worker_index(int node, const std::string& process) {
    // Linear search: workers number in the tens to hundreds, attempts in the millions,
    // and the last one found is the likeliest next.
    for (std::size_t i = workers_.size(); i-- > 0;)
        if (workers_[i].node == node && workers_[i].process == process) return static_cast<std::uint32_t>(i);
    workers_.push_back(WorkerStats{node, process, 0, 0, 0, 0});
    return static_cast<std::uint32_t>(workers_.size() - 1);
}

void JobStats::add(const protocol::AttemptResult& r) {
    const std::uint32_t index = worker_index(r.node_id, r.process);
    WorkerStats& w = workers_[index];
    const bool ok = r.ok();
    ++w.attempts;
    if (!ok) ++w.failed_attempts;
    w.items_succeeded += std::min(r.succeeded, r.total);
    w.busy_s += r.elapsed_s;
    if (timeline_.size() >= kTimelineCap) {
        ++dropped_;
        return;
    }
    timeline_.push_back(AttemptRecord{r.mini_batch_id, r.start_us, static_cast<float>(r.elapsed_s), index,
                                      static_cast<std::uint16_t>(std::min<std::uint32_t>(
                                          r.attempt, std::numeric_limits<std::uint16_t>::max())),
                                      r.status, ok});
}

}  // namespace prs::orchestrator
