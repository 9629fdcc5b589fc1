// Rank 0's orchestrator against simulated ranks (simulated_ranks.hpp): no processes, no MPI,
// simulated time. What a user sees: exit codes, the output's rows, logs/job_result.txt.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "prs/orchestrator/exit_codes.hpp"
#include "prs/orchestrator/orchestrator.hpp"
#include "simulated_ranks.hpp"

namespace fs = std::filesystem;
using namespace prs;
using namespace std::chrono_literals;

namespace {

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// "0".."n-1", each once, in any order (or in order when `ordered`).
void expect_rows(const std::vector<std::string>& rows, std::uint64_t n, bool ordered = false) {
    ASSERT_EQ(rows.size(), n);
    std::set<std::string> distinct(rows.begin(), rows.end());
    EXPECT_EQ(distinct.size(), n) << "a row is doubled";
    for (std::uint64_t i = 0; i < n; ++i) {
        EXPECT_EQ(distinct.count(std::to_string(i)), 1u) << "row " << i << " is missing";
        if (ordered) {
            EXPECT_EQ(rows[i], std::to_string(i));
        }
    }
}

protocol::WorkerEvent event(protocol::WorkerEvent::Kind kind, int node, std::string message) {
    protocol::WorkerEvent e;
    e.kind = kind;
    e.node_id = node;
    e.process = "process001";
    e.message = std::move(message);
    return e;
}

protocol::AttemptResult raised(const protocol::MiniBatchDescriptor& d) {
    protocol::AttemptResult r;
    r.status = protocol::AttemptStatus::RunException;
    r.total = d.items;
    r.error_category = "UserError";
    r.error_message = "ValueError: bad item";
    return r;
}

class OrchestratorTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/prs_orchestrator_XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        job_.inputs = {config::InputSpec{"data", config::InputType::UriFolder, dir_ / "input", "", {}, ""}};
        job_.major_input = "data";
        job_.timeout = 10;
        job_.rank_timeout = 3;
        job_.progress_update_timeout = 3600;
        output_ = dir_ / "out.txt";
    }
    void TearDown() override { fs::remove_all(dir_); }

    orchestrator::Environment environment() {
        orchestrator::Environment env;
        env.now = [this] {
            return clock_.now();
        };
        env.stop_request = [this] {
            return stop_at_ && clock_.now() >= *stop_at_ ? orchestrator::StopRequest{SIGTERM, stop_count_}
                                                         : orchestrator::StopRequest{};
        };
        return env;
    }
    // Runs the job over `n` mini-batches on the local agent and `ranks`' ranks 1...
    int run(std::uint64_t n, sim::SimulatedAgent& local, sim::SimulatedTransport* ranks,
            const orchestrator::JournalState* resumed = nullptr) {
        sim::SyntheticPartition partition(n);
        auto journal = resumed ? orchestrator::Journal::resume(dir_ / "journal", *resumed)
                               : orchestrator::Journal::create(dir_ / "journal", "fingerprint");
        topology_.world_size = ranks ? ranks->size() : 1;
        orchestrator::Orchestrator orch(job_, logs::Layout(dir_), partition, local, ranks, topology_, output_, journal,
                                        resumed, environment());
        const int code = orch.run();
        lost_ranks_ = orch.lost_ranks();
        return code;
    }
    std::vector<std::string> rows() const { return lines_of(read_text(output_)); }
    std::string result() const { return read_text(dir_ / "logs" / "job_result.txt"); }
    orchestrator::JournalState journal() const { return *orchestrator::Journal::read(dir_ / "journal", 1u << 20); }

    fs::path dir_;
    fs::path output_;
    config::JobSpec job_;
    orchestrator::Topology topology_;
    sim::SimClock clock_;
    std::optional<sim::Clock::time_point> stop_at_;
    int stop_count_ = 1;
    int lost_ranks_ = 0;
};

TEST_F(OrchestratorTest, AloneEveryMiniBatchSucceedsAndItsRowIsWrittenOnce) {
    sim::SimulatedAgent local(clock_);
    EXPECT_EQ(run(50, local, nullptr), kExitSucceeded);
    expect_rows(rows(), 50);
    EXPECT_TRUE(local.drained());
    EXPECT_FALSE(local.aborted());
    EXPECT_TRUE(journal().finished);
    EXPECT_TRUE(journal().succeeded);
}

TEST_F(OrchestratorTest, JobResultTextNamesTheCountsAndTheOutput) {
    sim::SimulatedAgent local(clock_);
    ASSERT_EQ(run(7, local, nullptr), kExitSucceeded);
    const auto text = result();
    const std::string expected =
        "Job succeeded.\n"
        "Mini-batches: 7 succeeded, 0 failed, 7 total (7 attempts, 0 failed attempts).\n"
        "Items: 7 succeeded, 0 failed, 7 total.\n"
        "Rows: 7 written to " +
        output_.string() + ".\nElapsed: ";
    EXPECT_EQ(text.substr(0, expected.size()), expected) << text;
    EXPECT_EQ(text.back(), '\n');
}

TEST_F(OrchestratorTest, ManyRanksShareTheWorkAndEachRowIsWrittenOnce) {
    sim::SimulatedTransport ranks(clock_, 5);
    ranks.at(3).behaviour.run_time = 3ms;  // a slower node
    sim::SimulatedAgent local(clock_);
    ASSERT_EQ(run(2000, local, &ranks), kExitSucceeded);
    expect_rows(rows(), 2000);
    EXPECT_GT(local.self().assigned, 0u);
    for (int r = 1; r < 5; ++r) {
        EXPECT_GT(ranks.at(r).assigned, 0u) << "rank " << r;
        EXPECT_TRUE(ranks.at(r).draining) << "rank " << r << " was told Drain";
        ASSERT_TRUE(ranks.at(r).finish) << "rank " << r;
        EXPECT_FALSE(ranks.at(r).finish->abandon);
    }
    EXPECT_EQ(lost_ranks_, 0);
}

TEST_F(OrchestratorTest, FailedAttemptsAreRetriedElsewhereAndOnlyTheFinalRowIsWritten) {
    sim::SimulatedTransport ranks(clock_, 3);
    // Rank 1 fails every attempt; the retries go to the others.
    ranks.at(1).behaviour.answer = raised;
    sim::SimulatedAgent local(clock_);
    ASSERT_EQ(run(300, local, &ranks), kExitSucceeded);
    expect_rows(rows(), 300);
    EXPECT_NE(result().find("Mini-batches: 300 succeeded, 0 failed"), std::string::npos) << result();
}

TEST_F(OrchestratorTest, StopSignalLetsRunningMiniBatchesFinishAndResumes) {
    sim::SimulatedTransport ranks(clock_, 4);
    sim::SimulatedAgent local(clock_);
    stop_at_ = clock_.now() + 100ms;
    ASSERT_EQ(run(5000, local, &ranks), kExitResumable);
    const auto kept = rows();
    const auto state = journal();
    EXPECT_FALSE(state.finished);
    // Every finished mini-batch is kept and journaled, none twice; nothing new was handed out.
    EXPECT_EQ(state.done_count(), kept.size());
    EXPECT_GT(kept.size(), 0u);
    EXPECT_LT(kept.size(), 5000u);
    std::uint64_t assigned = local.self().assigned;
    for (int r = 1; r < 4; ++r) {
        assigned += ranks.at(r).assigned;
        EXPECT_TRUE(ranks.at(r).aborted) << "rank " << r << " was told Abort";
    }
    EXPECT_EQ(assigned, kept.size()) << "a mini-batch was handed out after the stop, or one running was dropped";
    EXPECT_EQ(result(), fmt::format("Job stopped by signal {} after {} of 5000 mini-batches; nothing is lost.\n"
                                    "Resume: run the same command again; finished mini-batches are skipped and "
                                    "their rows kept.\n",
                                    SIGTERM, kept.size()));

    // The rerun does the rest: every row once.
    stop_at_.reset();
    sim::SimulatedTransport again(clock_, 4);
    sim::SimulatedAgent local_again(clock_);
    ASSERT_EQ(run(5000, local_again, &again, &state), kExitSucceeded);
    expect_rows(rows(), 5000);
    EXPECT_NE(
        result().find(fmt::format("Resumed: {} mini-batches and their {} rows were kept", kept.size(), kept.size())),
        std::string::npos)
        << result();
}

TEST_F(OrchestratorTest, StopWaitsForARunningMiniBatchAtMostOneTimeout) {
    sim::SimulatedTransport ranks(clock_, 3);
    ranks.at(2).behaviour.run_time = 1h;  // its mini-batch hangs
    sim::SimulatedAgent local(clock_);
    stop_at_ = clock_.now() + 50ms;
    ASSERT_EQ(run(1000, local, &ranks), kExitResumable);
    const auto waited = clock_.now() - *stop_at_;
    EXPECT_GE(waited, std::chrono::seconds(job_.timeout));
    EXPECT_LT(waited, std::chrono::seconds(job_.timeout + 1));
    EXPECT_EQ(journal().done_count(), rows().size());
}

TEST_F(OrchestratorTest, SecondStopSignalStopsAtOnce) {
    sim::SimulatedTransport ranks(clock_, 3);
    ranks.at(2).behaviour.run_time = 1h;
    sim::SimulatedAgent local(clock_);
    stop_at_ = clock_.now() + 50ms;
    stop_count_ = 2;
    ASSERT_EQ(run(1000, local, &ranks), kExitResumable);
    EXPECT_LT(clock_.now() - *stop_at_, 1s);
    EXPECT_EQ(journal().done_count(), rows().size());
}

TEST_F(OrchestratorTest, ThresholdAbortsEveryRankAndTheJobFails) {
    job_.mini_batch_error_threshold = 0;
    job_.max_retries = 0;
    sim::SimulatedTransport ranks(clock_, 3);
    ranks.at(2).behaviour.answer = raised;
    sim::SimulatedAgent local(clock_);
    ASSERT_EQ(run(1000, local, &ranks), kExitJobFailed);
    EXPECT_TRUE(local.aborted());
    for (int r = 1; r < 3; ++r) {
        EXPECT_TRUE(ranks.at(r).aborted) << "rank " << r << " was told Abort";
        ASSERT_TRUE(ranks.at(r).finish);
    }
    const auto text = result();
    EXPECT_EQ(text.rfind("Job failed.\nReason (", 0), 0u) << text;
    EXPECT_NE(text.find("mini_batch_error_threshold"), std::string::npos) << text;
    // The failed mini-batch (its attempt returned no rows) runs again on resume; no row is unjournaled.
    EXPECT_EQ(journal().failed_count(), 1u);
    EXPECT_EQ(journal().done_count(), rows().size());
}

TEST_F(OrchestratorTest, InitFailingOnEveryWorkerEndsTheJob) {
    sim::RankBehaviour broken;
    broken.credit = 0;
    broken.ready = false;
    sim::SimulatedTransport ranks(clock_, 2, broken);
    sim::SimulatedAgent local(clock_, broken);
    using K = protocol::WorkerEvent::Kind;
    local.inject(event(K::InitFailed, 0, "ImportError: no module named foo"));
    local.inject(event(K::GaveUp, 0, "init() failed on every worker"));
    ranks.inject(1, event(K::InitFailed, 1, "ImportError: no module named foo"));
    ranks.inject(1, event(K::GaveUp, 1, "init() failed on every worker"));
    ASSERT_EQ(run(10, local, &ranks), kExitJobFailed);
    EXPECT_EQ(result().rfind("Job failed.\nReason (init failure): init() failed on every worker (2 failures), so no "
                             "worker is left. First error: ",
                             0),
              0u)
        << result();
    EXPECT_LT(clock_.now() - sim::SimClock().now(), 1s) << "the job waited";
}

TEST_F(OrchestratorTest, InitFailuresEndTheJobAfterTwoMinutesAtTwiceTheWorkers) {
    topology_.node_count = 2;
    topology_.workers_per_node = 1;
    sim::RankBehaviour slow;
    slow.run_time = 1s;
    sim::SimulatedTransport ranks(clock_, 2, slow);
    sim::SimulatedAgent local(clock_, slow);
    using K = protocol::WorkerEvent::Kind;
    // 2 x 2 nodes x 1 worker: the fourth failure crosses Azure's rule, once two minutes passed.
    for (int i = 0; i < 4; ++i) ranks.inject(1, event(K::InitFailed, 1, "RuntimeError: no GPU"));
    ASSERT_EQ(run(1000, local, &ranks), kExitJobFailed);
    EXPECT_EQ(result().rfind("Job failed.\nReason (init failure): init() failed 4 times in 120 s.", 0), 0u) << result();
    const auto elapsed = clock_.now() - sim::SimClock().now();
    EXPECT_GE(elapsed, 2min);
    EXPECT_LT(elapsed, 2min + 2s);
}

TEST_F(OrchestratorTest, FewerInitFailuresThanTwiceTheWorkersLeaveTheJobRunning) {
    topology_.node_count = 2;
    topology_.workers_per_node = 1;
    sim::RankBehaviour slow;
    slow.run_time = 1s;
    sim::SimulatedTransport ranks(clock_, 2, slow);
    sim::SimulatedAgent local(clock_, slow);
    for (int i = 0; i < 3; ++i)
        ranks.inject(1, event(protocol::WorkerEvent::Kind::InitFailed, 1, "RuntimeError: no GPU"));
    ASSERT_EQ(run(400, local, &ranks), kExitSucceeded) << result();
    expect_rows(rows(), 400);
}

TEST_F(OrchestratorTest, NoWorkerReadyWithinThreeTimeoutsAndThirtySecondsEndsTheJob) {
    sim::RankBehaviour starting;
    starting.credit = 0;
    starting.ready = false;
    sim::SimulatedTransport ranks(clock_, 2, starting);
    sim::SimulatedAgent local(clock_, starting);
    ASSERT_EQ(run(10, local, &ranks), kExitJobFailed);
    EXPECT_EQ(result().rfind("Job failed.\nReason (init timeout): no worker finished init() within 3 x "
                             "retry_settings.timeout + 30 s = 60 s.",
                             0),
              0u)
        << result();
    const auto elapsed = clock_.now() - sim::SimClock().now();
    EXPECT_GE(elapsed, 60s);
    EXPECT_LT(elapsed, 62s);
}

TEST_F(OrchestratorTest, SilentRankIsDroppedItsWorkRunsElsewhereAndTheJobFailsResumably) {
    sim::SimulatedTransport ranks(clock_, 4);
    ranks.at(2).behaviour.silent_from = clock_.now() + 200ms;
    sim::SimulatedAgent local(clock_);
    ASSERT_EQ(run(20000, local, &ranks), kExitJobFailed);
    EXPECT_EQ(lost_ranks_, 1);
    expect_rows(rows(), 20000);
    const auto text = result();
    EXPECT_EQ(text.rfind("Job failed.\nReason (lost rank): rank 2 fell silent for --rank_timeout = 3 s and was "
                         "dropped; its mini-batches ran on the other ranks",
                         0),
              0u)
        << text;
    EXPECT_NE(text.find("Dropped: rank 2 (silent for --rank_timeout = 3 s)"), std::string::npos) << text;
    EXPECT_FALSE(journal().finished) << "the rerun resumes";
    for (int r : {1, 3}) {
        ASSERT_TRUE(ranks.at(r).finish) << "rank " << r;
        EXPECT_TRUE(ranks.at(r).finish->abandon) << "MPI_Finalize would wait for rank 2";
    }
    EXPECT_FALSE(ranks.at(2).finish);
}

TEST_F(OrchestratorTest, SilentRankIsDroppedAndTheJobSucceedsUnderEnableRecovery) {
    topology_.survives_lost_ranks = true;
    sim::SimulatedTransport ranks(clock_, 4);
    ranks.at(2).behaviour.silent_from = clock_.now() + 200ms;
    sim::SimulatedAgent local(clock_);
    ASSERT_EQ(run(20000, local, &ranks), kExitSucceeded) << result();
    EXPECT_EQ(lost_ranks_, 1);
    expect_rows(rows(), 20000);
    EXPECT_EQ(result().rfind("Job succeeded.\n", 0), 0u);
    EXPECT_NE(result().find("Dropped: rank 2 (silent for --rank_timeout = 3 s)"), std::string::npos) << result();
    EXPECT_TRUE(journal().succeeded);
}

TEST_F(OrchestratorTest, HeartbeatsKeepABusyButQuietRankAlive) {
    // Rank 1's mini-batch takes longer than --rank_timeout; its heartbeats say it lives.
    sim::SimulatedTransport ranks(clock_, 2);
    ranks.at(1).behaviour.run_time = 8s;
    ranks.at(1).behaviour.credit = 1;
    sim::SimulatedAgent local(clock_);
    local.self().behaviour.run_time = 100ms;
    ASSERT_EQ(run(200, local, &ranks), kExitSucceeded) << result();
    EXPECT_EQ(lost_ranks_, 0);
    expect_rows(rows(), 200);
    EXPECT_GT(ranks.at(1).heartbeats_heard, 0u) << "rank 0 says it lives too";
}

TEST_F(OrchestratorTest, ResumeInInputOrderRunsTheHeldRowsAgainAndKeepsTheOrder) {
    job_.output_order_input = true;
    // Ranks of different speeds: results come out of order, and rows wait for earlier ones.
    sim::SimulatedTransport ranks(clock_, 4);
    ranks.at(1).behaviour.run_time = 7ms;
    ranks.at(2).behaviour.run_time = 2ms;
    sim::SimulatedAgent local(clock_);
    stop_at_ = clock_.now() + 300ms;
    ASSERT_EQ(run(3000, local, &ranks), kExitResumable);
    const auto state = journal();
    const auto kept = rows();
    ASSERT_GT(kept.size(), 0u);
    // Only the rows in order are written and journaled; the ones held behind a gap are not.
    expect_rows(kept, kept.size(), true);
    EXPECT_EQ(state.done_count(), kept.size());

    stop_at_.reset();
    sim::SimulatedTransport again(clock_, 4);
    again.at(1).behaviour.run_time = 7ms;
    sim::SimulatedAgent local_again(clock_);
    ASSERT_EQ(run(3000, local_again, &again, &state), kExitSucceeded);
    expect_rows(rows(), 3000, true);
    std::uint64_t assigned = local_again.self().assigned;
    for (int r = 1; r < 4; ++r) assigned += again.at(r).assigned;
    EXPECT_EQ(assigned, 3000 - kept.size()) << "the rerun skips exactly the journaled mini-batches";
}

}  // namespace
