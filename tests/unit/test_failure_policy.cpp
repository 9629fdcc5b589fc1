// Every rule that ends a job (include/prs/orchestrator/failure_policy.hpp, numbered there), at,
// below and above its boundary; the clock-driven ones on a fake clock.

#include <gtest/gtest.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "prs/orchestrator/error_summary.hpp"
#include "prs/orchestrator/exit_codes.hpp"
#include "prs/orchestrator/failure_policy.hpp"

using namespace prs;
using namespace prs::orchestrator;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

namespace {

// The time the rules are asked at: a fixed origin the test moves forward, never the real clock.
struct FakeClock {
    Clock::time_point t{};
    Clock::time_point now() const { return t; }
    void advance(Clock::duration d) { t += d; }
};

config::JobSpec thresholds(long mini_batches, long items, int percent) {
    config::JobSpec job;
    job.mini_batch_error_threshold = mini_batches;
    job.error_threshold = items;
    job.allowed_failed_percent = percent;
    return job;
}

// A job where only the clock-driven rules can trip, with round numbers.
config::JobSpec timed_job() {
    config::JobSpec job;
    job.timeout = 60;  // init timeout: 3 x 60 + 30 = 210 s
    job.first_task_creation_timeout = 600;
    job.progress_update_timeout = 30;
    return job;
}

ErrorSummary init_error() {
    ErrorSummary e;
    e.add_init_failure("node 0 process001", "ImportError: no module named foo");
    return e;
}

}  // namespace

// Rule 1.
TEST(FailurePolicyRules, MiniBatchThresholdAtBelowAndAbove) {
    const FailurePolicy p(thresholds(2, -1, 100));
    JobCounters c;
    c.mini_batches_total = 10;
    c.mini_batches_failed = 1;
    EXPECT_FALSE(p.check(c, true));
    c.mini_batches_failed = 2;
    EXPECT_FALSE(p.check(c, true)) << "at the threshold is allowed";
    c.mini_batches_failed = 3;
    const auto f = p.check(c, false);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "mini_batch_error_threshold");
    EXPECT_EQ(f->detail, "3 mini-batches failed, more than mini_batch_error_threshold = 2");
    EXPECT_EQ(f->fix,
              "raise `mini_batch_error_threshold` (v1: allowed_failed_count) in the job file, or -1 to ignore failed "
              "mini-batches");
    EXPECT_TRUE(f->wait_for_in_flight);
    EXPECT_FALSE(f->resumable);
}

TEST(FailurePolicyRules, ZeroMeansTheFirstFailureAndMinusOneNever) {
    JobCounters c;
    c.mini_batches_total = 1000;
    c.mini_batches_failed = 1;
    c.items_failed = 1;
    EXPECT_EQ(FailurePolicy(thresholds(0, -1, 100)).check(c, true)->rule, "mini_batch_error_threshold");
    EXPECT_EQ(FailurePolicy(thresholds(-1, 0, 100)).check(c, true)->rule, "error_threshold");
    c.mini_batches_failed = 999;
    c.items_failed = 1'000'000;
    EXPECT_FALSE(FailurePolicy(thresholds(-1, -1, 100)).check(c, true));
}

// Rule 2.
TEST(FailurePolicyRules, ItemThresholdAtBelowAndAbove) {
    const FailurePolicy p(thresholds(-1, 5, 100));
    JobCounters c;
    c.items_failed = 4;
    EXPECT_FALSE(p.check(c, true));
    c.items_failed = 5;
    EXPECT_FALSE(p.check(c, true));
    c.items_failed = 6;
    const auto f = p.check(c, false);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "error_threshold");
    EXPECT_EQ(f->detail, "6 items failed, more than --error_threshold = 5");
    EXPECT_NE(f->fix.find("raise `--error_threshold` in task.program_arguments"), std::string::npos);
    EXPECT_TRUE(f->wait_for_in_flight);
}

TEST(FailurePolicyRules, TheMiniBatchRuleIsNamedFirstWhenBothTrip) {
    const FailurePolicy p(thresholds(0, 0, 0));
    JobCounters c;
    c.mini_batches_total = 1;
    c.mini_batches_failed = 1;
    c.items_failed = 1;
    EXPECT_EQ(p.check(c, true)->rule, "mini_batch_error_threshold");
}

// Rule 3.
TEST(FailurePolicyRules, PercentAtBelowAndAboveOnceAllAreScheduled) {
    const FailurePolicy p(thresholds(-1, -1, 20));
    JobCounters c;
    c.mini_batches_total = 10;
    c.mini_batches_failed = 1;
    EXPECT_FALSE(p.check(c, true));
    c.mini_batches_failed = 2;  // 20%
    EXPECT_FALSE(p.check(c, true)) << "at the percentage is allowed";
    c.mini_batches_failed = 3;  // 30%
    EXPECT_FALSE(p.check(c, false)) << "checked only once every mini-batch is scheduled";
    const auto f = p.check(c, true);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "allowed_failed_percent");
    EXPECT_EQ(f->detail, "30.0% of the 10 mini-batches failed, more than --allowed_failed_percent = 20");
    EXPECT_EQ(f->fix, "raise `--allowed_failed_percent` in task.program_arguments, or 100 to ignore");
    EXPECT_TRUE(f->wait_for_in_flight);
}

TEST(FailurePolicyRules, PercentOfHundredOrOfNoMiniBatchesNeverTrips) {
    JobCounters c;
    c.mini_batches_total = 4;
    c.mini_batches_failed = 4;
    EXPECT_FALSE(FailurePolicy(thresholds(-1, -1, 100)).check(c, true));
    c.mini_batches_total = 0;  // a byte-range input before its total is known
    EXPECT_FALSE(FailurePolicy(thresholds(-1, -1, 0)).check(c, true));
}

// check_running applies rules 1-3 first.
TEST(FailurePolicyRules, RunningChecksTheThresholdsFirst) {
    const FailurePolicy p(thresholds(0, -1, 100));
    JobCounters c;
    c.mini_batches_failed = 1;
    const JobActivity a{Clock::time_point{}, 0, 0, false, false, Clock::time_point{}};  // rule 4 would trip too
    const auto f = p.check_running(c, false, a, ErrorSummary{}, Clock::time_point{});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "mini_batch_error_threshold");
}

// Rule 4.
TEST(FailurePolicyRules, NoRankLeftEndsTheJobAtOnce) {
    const FailurePolicy p(timed_job());
    FakeClock clock;
    JobActivity a{clock.now(), 1, 3, false, false, clock.now()};
    EXPECT_FALSE(p.check_running({}, false, a, init_error(), clock.now()));
    a.live_agents = 0;
    const auto f = p.check_running({}, false, a, init_error(), clock.now());
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "init failure");
    EXPECT_EQ(f->detail,
              "init() failed on every worker (3 failures), so no worker is left. First error: INIT_FAILED: "
              "ImportError: no module named foo");
    EXPECT_EQ(f->fix, "fix the entry script's init() (see logs/job_error.txt and logs/user/stderr/)");
    EXPECT_FALSE(f->wait_for_in_flight);
}

// Rule 5: 2 x nodes x workers-per-node init failures, after 2 minutes.
TEST(FailurePolicyRules, AzuresSecondInitRuleCountsAndWaitsTwoMinutes) {
    const FailurePolicy p(timed_job(), PolicyTopology{2, 2, false});  // limit 2 x 2 x 2 = 8
    FakeClock clock;
    JobActivity a{clock.now(), 2, 8, true, true, clock.now()};
    clock.advance(seconds(120));
    a.last_result = clock.now();  // progress keeps rules 7-8 quiet
    EXPECT_FALSE(p.check_running({}, false, a, init_error(), clock.now())) << "at 2 minutes the job goes on";
    clock.advance(seconds(1));
    a.last_result = clock.now();
    a.init_failures = 7;
    EXPECT_FALSE(p.check_running({}, false, a, init_error(), clock.now())) << "below 8 failures";
    a.init_failures = 8;
    auto f = p.check_running({}, false, a, init_error(), clock.now());
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "init failure");
    EXPECT_EQ(f->detail, "init() failed 8 times in 121 s. First error: INIT_FAILED: ImportError: no module named foo");
    EXPECT_EQ(f->fix, "fix the entry script's init() (see logs/job_error.txt)");
    a.init_failures = 9;
    EXPECT_TRUE(p.check_running({}, false, a, init_error(), clock.now()));
}

// Rule 6: 3 x retry_settings.timeout + 30 s without a ready worker.
TEST(FailurePolicyRules, AzuresThirdInitRuleIsATimeoutForTheFirstReadyWorker) {
    const FailurePolicy p(timed_job());
    FakeClock clock;
    JobActivity a{clock.now(), 1, 0, false, false, clock.now()};
    clock.advance(seconds(210));
    EXPECT_FALSE(p.check_running({}, false, a, ErrorSummary{}, clock.now()));
    clock.advance(seconds(1));
    const auto f = p.check_running({}, false, a, ErrorSummary{}, clock.now());
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "init timeout");
    EXPECT_EQ(f->detail, "no worker finished init() within 3 x retry_settings.timeout + 30 s = 210 s");
    EXPECT_EQ(f->fix, "make init() faster or raise retry_settings.timeout");
    a.any_worker_ready = true;
    EXPECT_FALSE(p.check_running({}, false, a, ErrorSummary{}, clock.now()));
}

// Rule 7.
TEST(FailurePolicyRules, FirstTaskCreationTimeout) {
    const FailurePolicy p(timed_job());
    FakeClock clock;
    JobActivity a{clock.now(), 1, 0, true, false, clock.now()};
    clock.advance(seconds(600));
    EXPECT_FALSE(p.check_running({}, false, a, ErrorSummary{}, clock.now()));
    clock.advance(seconds(1));
    const auto f = p.check_running({}, false, a, ErrorSummary{}, clock.now());
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "first_task_creation_timeout");
    EXPECT_EQ(f->detail, "no mini-batch finished within --first_task_creation_timeout = 600 s");
    EXPECT_NE(f->fix.find("raise --first_task_creation_timeout in task.program_arguments"), std::string::npos);
    EXPECT_FALSE(f->wait_for_in_flight);
}

// Rule 8: from the latest result, not from the start.
TEST(FailurePolicyRules, ProgressUpdateTimeoutCountsFromTheLatestResult) {
    const FailurePolicy p(timed_job());
    FakeClock clock;
    JobActivity a{clock.now(), 1, 0, true, false, clock.now()};
    clock.advance(seconds(100));
    a.any_result = true;
    a.last_result = clock.now();
    clock.advance(seconds(30));
    EXPECT_FALSE(p.check_running({}, false, a, ErrorSummary{}, clock.now()));
    clock.advance(seconds(1));
    const auto f = p.check_running({}, false, a, ErrorSummary{}, clock.now());
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "progress_update_timeout");
    EXPECT_EQ(f->detail, "no mini-batch finished for --progress_update_timeout = 30 s");
    EXPECT_EQ(f->fix, "raise --progress_update_timeout in task.program_arguments");
    a.last_result = clock.now();
    EXPECT_FALSE(p.check_running({}, false, a, ErrorSummary{}, clock.now())) << "a new result resets it";
}

// Rule 9.
TEST(FailurePolicyRules, NoResultToAppend) {
    auto job = thresholds(-1, -1, 100);
    job.append_row_file = "out/parallel_run_step.txt";
    const FailurePolicy p(job);
    JobCounters c;
    c.mini_batches_total = c.mini_batches_succeeded = 2;
    auto f = p.check_end(c, JobEnding{});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "no result to append");
    EXPECT_EQ(f->detail, "NoResultToAppendError: There is no succeeded mini batch item returned from run()");
    EXPECT_EQ(f->fix, "check that the input holds items");
    EXPECT_FALSE(f->resumable);
    EXPECT_EQ(p.check_end(c, JobEnding{true, 0, ""})->fix, "see logs/job_error.txt for the entry script's errors");
    c.rows_written = 1;
    EXPECT_FALSE(p.check_end(c, JobEnding{}));
    EXPECT_FALSE(FailurePolicy(thresholds(-1, -1, 100)).check_end(JobCounters{}, JobEnding{}))
        << "summary_only: nothing is appended";
}

// Rule 10.
TEST(FailurePolicyRules, NothingSucceeded) {
    const FailurePolicy p(thresholds(-1, -1, 100));
    JobCounters c;
    c.mini_batches_total = c.mini_batches_failed = 3;
    const auto f = p.check_end(c, JobEnding{true, 0, ""});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "nothing succeeded");
    EXPECT_EQ(f->detail, "all 3 mini-batches failed and no item succeeded");
    EXPECT_EQ(f->fix, "see logs/job_error.txt for the entry script's errors");
    c.items_succeeded = 1;  // an isolated mini-batch whose good items succeeded
    EXPECT_FALSE(p.check_end(c, JobEnding{true, 0, ""}));
    c.items_succeeded = 0;
    c.mini_batches_succeeded = 1;  // run() returned [] under error_threshold -1
    EXPECT_FALSE(p.check_end(c, JobEnding{true, 0, ""}));
    EXPECT_FALSE(p.check_end(JobCounters{}, JobEnding{})) << "an empty input fails nothing";
}

// Rule 11.
TEST(FailurePolicyRules, ALostRankFailsTheJobResumablyWithoutRecovery) {
    auto job = thresholds(-1, -1, 100);
    job.rank_timeout = 30;
    JobCounters c;
    c.mini_batches_total = c.mini_batches_succeeded = 4;
    const FailurePolicy p(job);
    EXPECT_FALSE(p.check_end(c, JobEnding{false, 0, ""}));
    auto f = p.check_end(c, JobEnding{false, 1, "rank 2"});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule, "lost rank");
    EXPECT_EQ(f->detail,
              "rank 2 fell silent for --rank_timeout = 30 s and was dropped; its mini-batches ran on the other ranks, "
              "but without mpirun --enable-recovery a rank that does not finish fails the job");
    EXPECT_NE(f->fix.find("mpirun --enable-recovery"), std::string::npos);
    EXPECT_TRUE(f->resumable);
    f = p.check_end(c, JobEnding{false, 2, "ranks 1, 3"});
    ASSERT_TRUE(f);
    EXPECT_NE(f->detail.find("ranks 1, 3 fell silent for --rank_timeout = 30 s and were dropped; their "),
              std::string::npos);
    EXPECT_FALSE(FailurePolicy(job, PolicyTopology{2, 1, true}).check_end(c, JobEnding{false, 1, "rank 2"}));
}

// Rule 12.
TEST(FailurePolicyRules, AnErrorEndsTheJobResumablyAtOnce) {
    const auto io = failure_on_error(std::system_error(ENOSPC, std::generic_category(), "write out.txt"));
    EXPECT_EQ(io.rule, "I/O error");
    EXPECT_NE(io.detail.find("write out.txt"), std::string::npos);
    EXPECT_FALSE(io.fix.empty());
    EXPECT_TRUE(io.resumable);
    EXPECT_FALSE(io.wait_for_in_flight);
    const auto internal = failure_on_error(std::runtime_error("bad state"));
    EXPECT_EQ(internal.rule, "internal error");
    EXPECT_EQ(internal.detail, "bad state");
    EXPECT_TRUE(internal.resumable);
}

// Rule 13: 3 x workers init failures on a rank.
TEST(FailurePolicyRules, AzuresFirstInitRuleStopsRespawning) {
    EXPECT_TRUE(may_respawn(0, 2));
    EXPECT_TRUE(may_respawn(5, 2));
    EXPECT_FALSE(may_respawn(6, 2));
    EXPECT_FALSE(may_respawn(7, 2));
    EXPECT_TRUE(may_respawn(2, 1));
    EXPECT_FALSE(may_respawn(3, 1));
}

// Rule 14.
TEST(FailurePolicyRules, AShortReturnSucceedsOnlyWithoutAnItemThreshold) {
    EXPECT_TRUE(FailurePolicy(thresholds(-1, -1, 100)).short_return_succeeds());
    EXPECT_FALSE(FailurePolicy(thresholds(-1, 0, 100)).short_return_succeeds());
    EXPECT_FALSE(FailurePolicy(thresholds(-1, 10, 100)).short_return_succeeds());
}

// Rule 15.
TEST(FailurePolicyRules, ASignalStopsResumablyUnlessTheWorkIsDone) {
    JobCounters c;
    c.mini_batches_total = 10;
    c.mini_batches_succeeded = 9;
    EXPECT_FALSE(stopped_by_signal(0, false, false, 1, c)) << "no signal";
    EXPECT_TRUE(stopped_by_signal(15, false, false, 1, c));
    EXPECT_TRUE(stopped_by_signal(15, false, true, 1, c)) << "one still running";
    EXPECT_TRUE(stopped_by_signal(15, false, true, 0, c)) << "one never ran";
    EXPECT_FALSE(stopped_by_signal(15, true, false, 1, c)) << "a failure ends the job as failed";
    c.mini_batches_failed = 1;
    EXPECT_TRUE(stopped_by_signal(15, false, true, 1, c)) << "counted done, but an attempt still runs";
    EXPECT_FALSE(stopped_by_signal(15, false, true, 0, c)) << "all done: it ends as usual";
}

TEST(FailurePolicyRules, GracePeriodsAreOneRunTimeout) {
    auto job = timed_job();
    const FailurePolicy p(job);
    FakeClock clock;
    clock.advance(seconds(1000));
    EXPECT_EQ(p.stop_deadline(1, clock.now()), clock.now() + seconds(60));
    EXPECT_EQ(p.stop_deadline(2, clock.now()), clock.now()) << "a second signal stops at once";
    JobFailure threshold{"error_threshold", "", "", true};
    EXPECT_EQ(p.failure_deadline(threshold, clock.now()), clock.now() + seconds(60));
    threshold.wait_for_in_flight = false;
    EXPECT_EQ(p.failure_deadline(threshold, clock.now()), clock.now());
}

TEST(FailurePolicyRules, ExitCodesAndResultNames) {
    EXPECT_EQ(exit_code(JobResult::Succeeded), 0);
    EXPECT_EQ(exit_code(JobResult::Failed), 42);
    EXPECT_EQ(exit_code(JobResult::Stopped), 75);
    EXPECT_EQ(exit_code(JobResult::Failed), kExitJobFailed);
    EXPECT_EQ(exit_code(JobResult::Stopped), kExitResumable);
    EXPECT_EQ(result_name(JobResult::Succeeded), "succeeded");
    EXPECT_EQ(result_name(JobResult::Failed), "failed");
    EXPECT_EQ(result_name(JobResult::Stopped), "stopped");
}
