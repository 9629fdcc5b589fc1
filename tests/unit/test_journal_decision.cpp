#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "prs/orchestrator/committer.hpp"
#include "prs/orchestrator/journal_decision.hpp"

using namespace prs::orchestrator;
namespace fs = std::filesystem;

namespace {

constexpr const char* kFingerprint = "aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbb.cccccccccccccccc";
constexpr const char* kNewScript = "aaaaaaaaaaaaaaaa.dddddddddddddddd.cccccccccccccccc";
constexpr const char* kNewInput = "aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbb.eeeeeeeeeeeeeeee";

// A run directory whose journal says: mini-batch 0 succeeded (its row committed), mini-batch 1
// failed (its last attempt's row after it), and the run ended as `succeeded` says.
struct EndedRun {
    fs::path dir;
    fs::path journal;
    fs::path output;
    prs::config::JobSpec job;
    explicit EndedRun(bool succeeded) {
        char tmpl[] = "/tmp/prs_decision_XXXXXX";
        dir = ::mkdtemp(tmpl);
        journal = dir / "journal.bin";
        output = dir / "out.txt";
        job.append_row_file = output;
        const prs::util::UniqueFd fd(::open(output.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644));
        auto j = Journal::create(journal, kFingerprint);
        {
            Committer committer(j, fd.get(), output);
            write(fd.get(), "good\n");
            JobCounters kept;
            kept.mini_batches_succeeded = 1;
            committer.request({0}, 5, kept);
            write(fd.get(), "partial\n");
            JobCounters all = kept;
            all.mini_batches_failed = 1;
            committer.commit_failed({1}, 13, all);
        }
        j.finish(succeeded);
    }
    ~EndedRun() { fs::remove_all(dir); }
    static void write(int fd, std::string_view s) {
        ASSERT_EQ(::write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size()));
    }
    JournalDecision decide(const std::string& fingerprint, bool retry_failed) const {
        return decide_from_journal(job, journal, fingerprint, false, retry_failed, 3);
    }
};

}  // namespace

TEST(JournalDecision, AFailedRunResumesWithoutItsFailedMiniBatches) {
    const EndedRun run(false);
    const auto d = run.decide(kFingerprint, false);
    ASSERT_TRUE(d.resume) << d.fresh_because;
    EXPECT_TRUE(d.restart);
    EXPECT_FALSE(d.reuse);
    EXPECT_EQ(d.resume->output_offset, 5u) << "the failed mini-batch's row is cut";
    EXPECT_TRUE(d.resume->done[0]);
    EXPECT_FALSE(d.resume->done[1]);
    EXPECT_EQ(d.resume->counters.mini_batches_failed, 0u);
    EXPECT_NE(d.resume_because.find("1 mini-batches failed and the run failed"), std::string::npos);
}

TEST(JournalDecision, ASucceededRunIsReusedAndRetryFailedRunsItsFailures) {
    EndedRun run(true);
    EXPECT_TRUE(run.decide(kFingerprint, false).reuse) << "tolerated failures stay: is_deterministic";
    const auto retry = run.decide(kFingerprint, true);
    ASSERT_TRUE(retry.resume);
    EXPECT_EQ(retry.resume->output_offset, 5u);
    run.job.is_deterministic = false;
    EXPECT_NE(run.decide(kFingerprint, false).fresh_because.find("is_deterministic"), std::string::npos);
    EXPECT_TRUE(run.decide(kFingerprint, true).resume) << "--retry-failed keeps what succeeded";
}

TEST(JournalDecision, RetryFailedTakesAChangedScriptButNotAChangedInput) {
    const EndedRun run(false);
    const auto plain = run.decide(kNewScript, false);
    EXPECT_FALSE(plain.resume);
    EXPECT_NE(plain.fresh_because.find("entry script changed; --retry-failed would keep"), std::string::npos)
        << plain.fresh_because;
    const auto retry = run.decide(kNewScript, true);
    ASSERT_TRUE(retry.resume) << retry.fresh_because;
    EXPECT_NE(retry.resume_because.find("with the changed entry script"), std::string::npos);
    const auto input = run.decide(kNewInput, true);
    EXPECT_FALSE(input.resume);
    EXPECT_NE(input.fresh_because.find("--retry-failed needs the same input and partitioning, and input or "
                                       "partitioning changed"),
              std::string::npos)
        << input.fresh_because;
}

TEST(JournalDecision, RetryFailedWithNothingFailedRunsNothingAndSaysWhy) {
    EndedRun run(true);
    fs::remove(run.journal);
    {
        auto j = Journal::create(run.journal, kFingerprint);
        JobCounters c;
        c.mini_batches_succeeded = 1;
        j.commit({0}, 0, 0, c);
        j.finish(true);
    }
    run.job.append_row_file.reset();  // summary_only: no output to check
    const auto d = run.decide(kNewScript, true);
    EXPECT_TRUE(d.reuse);
    EXPECT_EQ(d.reuse_because,
              "--retry-failed: no mini-batch of the last run failed; its output predates the changed entry script");
}

TEST(JournalDecision, AnOutputCutSinceStartsFreshAndFreshAlwaysDoes) {
    const EndedRun run(false);
    fs::resize_file(run.output, 3);
    EXPECT_NE(run.decide(kFingerprint, false).fresh_because.find("is 3 bytes long"), std::string::npos);
    EXPECT_FALSE(decide_from_journal(run.job, run.journal, kFingerprint, true, false, 3).resume);
}
