#pragma once
// What rank 0 remembers about every attempt for job_summary.json and report.html:
// per-worker totals (always exact) and a compact per-attempt record for the timeline.
// The timeline keeps the first kTimelineCap attempts (about 4 MB) and counts the rest,
// so a job of millions of mini-batches does not grow rank 0 without bound.

#include <cstdint>
#include <string>
#include <vector>

#include "prs/protocol/messages.hpp"

namespace prs::orchestrator {

struct WorkerStats {
    int node = 0;
    std::string process;                // "process001"; empty: a lost rank's attempt
    std::uint64_t attempts = 0;
    std::uint64_t failed_attempts = 0;
    std::uint64_t items_succeeded = 0;
    double busy_s = 0;                  // sum of the attempts' elapsed seconds
};

struct AttemptRecord {
    std::uint64_t mini_batch_id = 0;
    std::int64_t start_us = 0;          // 0: never started on a worker (its rank was lost)
    float elapsed_s = 0;
    std::uint32_t worker = 0;           // index into JobStats::workers()
    std::uint16_t attempt = 0;
    protocol::AttemptStatus status = protocol::AttemptStatus::RunDone;
    bool ok = false;
};

class JobStats {
public:
    static constexpr std::size_t kTimelineCap = 100000;

    void add(const protocol::AttemptResult& r);
    const std::vector<WorkerStats>& workers() const { return workers_; }
    const std::vector<AttemptRecord>& timeline() const { return timeline_; }
    std::uint64_t timeline_dropped() const { return dropped_; }

private:
    std::uint32_t worker_index(int node, const std::string& process);

    std::vector<WorkerStats> workers_;  // in order of first appearance; a job has few
    std::vector<AttemptRecord> timeline_;
    std::uint64_t dropped_ = 0;
};

}  // namespace prs::orchestrator
