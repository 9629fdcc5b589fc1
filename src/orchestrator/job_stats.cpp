#include "prs/orchestrator/job_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prs::orchestrator {

JobStats::JobStats() : finished_(kHistogramBuckets, 0) {}

std::uint32_t JobStats::worker_index(int node, const std::string& process) {
    // By node, then a linear search among that node's few workers: a job may run on
    // thousands of nodes, and a search through all workers per attempt would cost rank 0
    // O(ranks) per mini-batch (bench/bench_orchestrator).
    auto& on_node = by_node_[node];
    for (const auto i : on_node)
        if (workers_[i].process == process) return i;
    const auto index = static_cast<std::uint32_t>(workers_.size());
    workers_.push_back(WorkerStats{node, process, 0, 0, 0, 0});
    on_node.push_back(index);
    return index;
}

void JobStats::add(const protocol::AttemptResult& r) {
    const std::uint32_t index = worker_index(r.node_id, r.process);
    WorkerStats& w = workers_[index];
    const bool ok = r.ok();
    ++w.attempts;
    if (!ok) ++w.failed_attempts;
    w.items_succeeded += std::min(r.succeeded, r.total);
    w.busy_s += r.elapsed_s;

    const AttemptRecord a{
        r.mini_batch_id,
        seq_++,
        r.start_us,
        static_cast<float>(r.elapsed_s),
        static_cast<float>(std::min(r.run_method_s, r.elapsed_s)),
        r.total,
        r.succeeded,
        index,
        static_cast<std::uint16_t>(std::min<std::uint32_t>(r.attempt, std::numeric_limits<std::uint16_t>::max())),
        r.status,
        ok};
    keep_slowest(a);
    if (!ok && failed_++ < kFailuresKept) failures_.push_back(a);
    if (a.start_us) {
        const auto end_us = a.start_us + static_cast<std::int64_t>(r.elapsed_s * 1e6);
        begin_us_ = begin_us_ ? std::min(begin_us_, a.start_us) : a.start_us;
        end_us_ = std::max(end_us_, end_us);
        if (!origin_us_) origin_us_ = a.start_us;
        count_finish(end_us);
    }
    if (!sampled(a)) return;
    if (sample_.size() == kSampleCap) {
        // Every other attempt of the sample is also every (2 * stride)-th attempt.
        stride_ *= 2;
        std::erase_if(sample_, [this](const AttemptRecord& s) { return !sampled(s); });
        if (!sampled(a)) return;
    }
    sample_.push_back(a);
}

void JobStats::keep_slowest(const AttemptRecord& a) {
    if (slowest_.size() == kSlowest && a.elapsed_s <= slowest_.back().elapsed_s) return;
    const auto at = std::upper_bound(slowest_.begin(), slowest_.end(), a,
                                     [](const auto& x, const auto& y) { return x.elapsed_s > y.elapsed_s; });
    slowest_.insert(at, a);
    if (slowest_.size() > kSlowest) slowest_.pop_back();
}

void JobStats::count_finish(std::int64_t end_us) {
    const auto offset = std::max<std::int64_t>(0, end_us - origin_us_);  // reported late, ended before the origin
    while (offset / bucket_us_ >= static_cast<std::int64_t>(kHistogramBuckets)) {
        for (std::size_t i = 0; i < kHistogramBuckets / 2; ++i) finished_[i] = finished_[2 * i] + finished_[2 * i + 1];
        std::fill(finished_.begin() + kHistogramBuckets / 2, finished_.end(), 0);
        bucket_us_ *= 2;
    }
    ++finished_[static_cast<std::size_t>(offset / bucket_us_)];
}

std::vector<const AttemptRecord*> JobStats::timeline() const {
    std::vector<const AttemptRecord*> out;
    for (const auto& a : sample_) out.push_back(&a);
    for (const auto& a : failures_)
        if (!sampled(a)) out.push_back(&a);
    return out;
}

Span JobStats::span() const { return Span{begin_us_, end_us_}; }

std::vector<double> JobStats::throughput(int slices) const {
    const Span s = span();
    std::vector<double> rate(static_cast<std::size_t>(slices), 0);
    if (s.seconds() <= 0) return rate;
    const double slice_us = static_cast<double>(s.end_us - s.begin_us) / slices;
    // Buckets double only once an end falls past the last one, so they are at most
    // 2 x span / kHistogramBuckets wide, far narrower than a slice: each goes whole to the
    // slice holding its middle.
    for (std::size_t b = 0; b < finished_.size(); ++b) {
        if (!finished_[b]) continue;
        const double middle_us = static_cast<double>(origin_us_ - s.begin_us) +
                                 (static_cast<double>(b) + 0.5) * static_cast<double>(bucket_us_);
        const auto slice = std::clamp(static_cast<int>(std::floor(middle_us / slice_us)), 0, slices - 1);
        rate[static_cast<std::size_t>(slice)] += static_cast<double>(finished_[b]);
    }
    for (double& r : rate) r /= slice_us / 1e6;
    return rate;
}

}  // namespace prs::orchestrator
