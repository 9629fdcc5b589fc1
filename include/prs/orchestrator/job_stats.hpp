#pragma once
// What rank 0 remembers about the attempts for job_summary.json and report.html, in
// memory that stays the same whatever the number of mini-batches (a million attempts
// kept one by one would cost rank 0 tens of MB, and their report.html hundreds):
//  - per-worker totals, the slowest attempts and the job's time span: exact;
//  - attempts finished over time: a histogram whose buckets widen as the job runs;
//  - failed attempts: the first kFailuresKept;
//  - the per-worker timeline: an even sample, every k-th attempt in the order they were
//    reported, k doubling each time the sample fills up; plus the failures kept.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "prs/protocol/messages.hpp"

namespace prs::orchestrator {

struct WorkerStats {
    int node = 0;
    std::string process;  // "process001"; empty: a lost rank's attempt
    std::uint64_t attempts = 0;
    std::uint64_t failed_attempts = 0;
    std::uint64_t items_succeeded = 0;
    double busy_s = 0;  // sum of the attempts' elapsed seconds
};

struct AttemptRecord {
    std::uint64_t mini_batch_id = 0;
    std::uint64_t seq = 0;      // the attempt's place in the order reported, from 0
    std::int64_t start_us = 0;  // 0: never started on a worker (its rank was lost)
    float elapsed_s = 0;
    float run_s = 0;              // of elapsed_s, inside run(); the rest is loading and overhead
    std::uint32_t total = 0;      // items in the mini-batch
    std::uint32_t succeeded = 0;  // items run() returned
    std::uint32_t worker = 0;     // index into JobStats::workers()
    std::uint16_t attempt = 0;
    protocol::AttemptStatus status = protocol::AttemptStatus::RunDone;
    bool ok = false;
};

// Wall-clock time from the first start to the last end of the attempts that ran on a worker.
struct Span {
    std::int64_t begin_us = 0;
    std::int64_t end_us = 0;
    double seconds() const { return end_us > begin_us ? static_cast<double>(end_us - begin_us) / 1e6 : 0; }
};

class JobStats {
public:
    static constexpr std::size_t kSampleCap = 4096;
    static constexpr std::size_t kSlowest = 10;
    static constexpr std::size_t kFailuresKept = 500;
    static constexpr std::size_t kHistogramBuckets = 4096;

    JobStats();
    void add(const protocol::AttemptResult& r);

    const std::vector<WorkerStats>& workers() const { return workers_; }
    std::uint64_t attempts() const { return seq_; }
    std::uint64_t failed_attempts() const { return failed_; }
    // Slowest first, at most kSlowest.
    const std::vector<AttemptRecord>& slowest() const { return slowest_; }
    // The first kFailuresKept failed attempts, in the order reported.
    const std::vector<AttemptRecord>& failures() const { return failures_; }
    // What the timeline draws: the sample, then the failures kept that it missed.
    std::vector<const AttemptRecord*> timeline() const;
    Span span() const;
    // Attempts finished per second in each of `slices` equal slices of span().
    std::vector<double> throughput(int slices) const;

private:
    std::uint32_t worker_index(int node, const std::string& process);
    bool sampled(const AttemptRecord& a) const { return a.seq % stride_ == 0; }
    void keep_slowest(const AttemptRecord& a);
    void count_finish(std::int64_t end_us);

    std::vector<WorkerStats> workers_;                             // in order of first appearance
    std::unordered_map<int, std::vector<std::uint32_t>> by_node_;  // node -> its workers' indices
    std::uint64_t seq_ = 0;
    std::uint64_t failed_ = 0;
    std::uint64_t stride_ = 1;
    std::vector<AttemptRecord> sample_;
    std::vector<AttemptRecord> slowest_;
    std::vector<AttemptRecord> failures_;
    std::int64_t begin_us_ = 0;  // 0 until an attempt ran on a worker
    std::int64_t end_us_ = 0;
    // Attempts finished in each bucket of bucket_us_ from origin_us_ (the first start
    // reported); when an end falls past the last bucket, pairs merge and buckets double.
    std::vector<std::uint64_t> finished_;
    std::int64_t origin_us_ = 0;
    std::int64_t bucket_us_ = 100;
};

}  // namespace prs::orchestrator
