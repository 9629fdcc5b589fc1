#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "prs/orchestrator/job_stats.hpp"

using namespace prs;
using orchestrator::JobStats;

namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000'000;  // µs since the epoch

protocol::AttemptResult attempt(std::uint64_t id, std::int64_t start_us, double elapsed_s, bool ok = true,
                                const std::string& process = "process001") {
    protocol::AttemptResult r;
    r.mini_batch_id = id;
    r.total = 1;
    r.succeeded = ok ? 1 : 0;
    r.status = ok ? protocol::AttemptStatus::RunDone : protocol::AttemptStatus::RunException;
    r.process = process;
    r.start_us = start_us;
    r.elapsed_s = elapsed_s;
    return r;
}

std::set<std::uint64_t> drawn_ids(const JobStats& s) {
    std::set<std::uint64_t> ids;
    for (const auto* a : s.timeline()) ids.insert(a->mini_batch_id);
    return ids;
}

}  // namespace

TEST(JobStats, SmallJobsKeepEveryAttempt) {
    JobStats s;
    for (std::uint64_t i = 0; i < 12; ++i) s.add(attempt(i, kT0 + 1000 * static_cast<std::int64_t>(i), 0.001, i != 3));
    EXPECT_EQ(s.attempts(), 12u);
    EXPECT_EQ(s.timeline().size(), 12u);
    EXPECT_EQ(s.failed_attempts(), 1u);
    ASSERT_EQ(s.failures().size(), 1u);
    EXPECT_EQ(s.failures()[0].mini_batch_id, 3u);
    EXPECT_EQ(s.span().begin_us, kT0);
    EXPECT_EQ(s.span().end_us, kT0 + 12000);
}

TEST(JobStats, TimelineIsAnEvenBoundedSamplePlusTheFailures) {
    JobStats s;
    const std::uint64_t n = 100'000;
    for (std::uint64_t i = 0; i < n; ++i)
        s.add(attempt(i, kT0 + 100 * static_cast<std::int64_t>(i), 0.0001, i % 1000 != 999));
    const auto drawn = s.timeline();
    EXPECT_LE(drawn.size(), JobStats::kSampleCap + JobStats::kFailuresKept);
    EXPECT_GE(drawn.size(), JobStats::kSampleCap / 2);
    // Even: consecutive sampled attempts are the same stride apart, from the first to the last part of the job.
    std::vector<std::uint64_t> sampled;
    for (const auto* a : drawn)
        if (a->ok) sampled.push_back(a->seq);
    std::sort(sampled.begin(), sampled.end());
    ASSERT_GE(sampled.size(), 2u);
    const auto stride = sampled[1] - sampled[0];
    EXPECT_EQ(sampled.front(), 0u);
    EXPECT_GT(sampled.back(), n - 2 * stride);
    for (std::size_t i = 1; i < sampled.size(); ++i) EXPECT_EQ(sampled[i] - sampled[i - 1], stride) << i;
    // Every failure kept is drawn, once.
    const auto ids = drawn_ids(s);
    EXPECT_EQ(ids.size(), drawn.size());
    EXPECT_EQ(s.failed_attempts(), 100u);
    for (const auto& f : s.failures()) EXPECT_TRUE(ids.count(f.mini_batch_id)) << f.mini_batch_id;
}

TEST(JobStats, FailuresAreCappedButCounted) {
    JobStats s;
    for (std::uint64_t i = 0; i < 2000; ++i) s.add(attempt(i, kT0, 0.01, false));
    EXPECT_EQ(s.failures().size(), JobStats::kFailuresKept);
    EXPECT_EQ(s.failures().back().mini_batch_id, JobStats::kFailuresKept - 1);
    EXPECT_EQ(s.failed_attempts(), 2000u);
    EXPECT_EQ(s.workers()[0].failed_attempts, 2000u);
}

TEST(JobStats, SlowestAreExactOverTheWholeJob) {
    JobStats s;
    for (std::uint64_t i = 0; i < 50'000; ++i) s.add(attempt(i, kT0, static_cast<double>((i * 7919) % 50'000) / 1000));
    ASSERT_EQ(s.slowest().size(), JobStats::kSlowest);
    for (std::size_t k = 0; k < JobStats::kSlowest; ++k)
        EXPECT_FLOAT_EQ(s.slowest()[k].elapsed_s, static_cast<float>(49'999 - k) / 1000) << k;
}

TEST(JobStats, ThroughputHistogramKeepsEveryFinishAcrossWidenings) {
    JobStats s;
    // 10 attempts finish per second for 1,000 s: the histogram widens many times over.
    for (std::int64_t i = 0; i < 10'000; ++i) s.add(attempt(static_cast<std::uint64_t>(i), kT0 + i * 100'000, 0.05));
    const auto rate = s.throughput(50);
    ASSERT_EQ(rate.size(), 50u);
    const double slice_s = s.span().seconds() / 50;
    EXPECT_NEAR(std::accumulate(rate.begin(), rate.end(), 0.0) * slice_s, 10'000, 1e-6);
    for (const double r : rate) EXPECT_NEAR(r, 10, 0.5);
}

TEST(JobStats, LostRanksAttemptsCountButAreNotDrawnInTime) {
    JobStats s;
    s.add(attempt(0, kT0, 1.0));
    s.add(attempt(1, 0, 0, false, ""));  // never started: its rank was lost
    EXPECT_EQ(s.attempts(), 2u);
    EXPECT_EQ(s.span().end_us, kT0 + 1'000'000);
    EXPECT_EQ(s.workers().size(), 2u);
    EXPECT_NEAR(s.throughput(10)[9], 1.0 / 0.1, 1e-9);
}
