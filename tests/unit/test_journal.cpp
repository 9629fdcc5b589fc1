#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "prs/orchestrator/committer.hpp"
#include "prs/orchestrator/journal.hpp"
#include "prs/partition/file_list.hpp"

using namespace prs::orchestrator;
namespace fs = std::filesystem;

namespace {

struct JournalFile {
    fs::path dir;
    fs::path file;
    JournalFile() {
        char tmpl[] = "/tmp/prs_journal_XXXXXX";
        dir = ::mkdtemp(tmpl);
        file = dir / "journal.bin";
    }
    ~JournalFile() { fs::remove_all(dir); }
};

JobCounters counters(std::uint64_t done, std::uint64_t rows) {
    JobCounters c;
    c.mini_batches_succeeded = done;
    c.items_succeeded = done * 2;
    c.attempts = done + 1;
    c.rows_written = rows;
    return c;
}

}  // namespace

TEST(Journal, NoFileMeansNoState) {
    JournalFile j;
    EXPECT_FALSE(Journal::read(j.file));
}

TEST(Journal, CommitsAccumulate) {
    JournalFile j;
    {
        auto journal = Journal::create(j.file, "fp1");
        journal.commit({0, 2}, 100, counters(2, 4));
        journal.commit({1, 5}, 180, counters(4, 8));
    }
    const auto s = Journal::read(j.file);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->fingerprint, "fp1");
    EXPECT_EQ(s->output_offset, 180u);
    EXPECT_EQ(s->counters.rows_written, 8u);
    EXPECT_EQ(s->counters.mini_batches_succeeded, 4u);
    EXPECT_EQ(s->done_count(), 4u);
    EXPECT_TRUE(s->done[5]);
    EXPECT_FALSE(s->done[3]);
    EXPECT_FALSE(s->finished);
}

TEST(Journal, FinishRecordsTheResult) {
    JournalFile j;
    {
        auto journal = Journal::create(j.file, "fp");
        journal.commit({0}, 10, counters(1, 1));
        journal.finish(true);
    }
    const auto s = Journal::read(j.file);
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->finished);
    EXPECT_TRUE(s->succeeded);
}

// Power loss mid-write: the journal cut at every byte of its last record reads as the
// state before that record, and resuming overwrites the torn bytes.
TEST(Journal, TornTailAtEveryByteIsIgnored) {
    JournalFile j;
    {
        auto journal = Journal::create(j.file, "fp");
        journal.commit({0, 1}, 50, counters(2, 2));
    }
    const auto good_size = fs::file_size(j.file);
    {
        auto s = Journal::read(j.file);
        auto journal = Journal::resume(j.file, *s);
        journal.commit({2, 3, 4}, 90, counters(5, 5));
    }
    const auto full_size = fs::file_size(j.file);
    std::string bytes(full_size, '\0');
    std::ifstream(j.file, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(full_size));
    for (auto cut = good_size; cut < full_size; ++cut) {
        std::ofstream(j.file, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(cut));
        const auto s = Journal::read(j.file);
        ASSERT_TRUE(s) << cut;
        EXPECT_EQ(s->output_offset, 50u) << cut;
        EXPECT_EQ(s->done_count(), 2u) << cut;
        EXPECT_EQ(s->valid_bytes, good_size) << cut;
    }
    // A flipped byte inside the last record is caught by its checksum.
    bytes[full_size - 3] ^= 0x55;
    std::ofstream(j.file, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(full_size));
    auto s = Journal::read(j.file);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->done_count(), 2u);
    // Resuming cuts the garbage off; the next commit is readable after the intact ones.
    {
        auto journal = Journal::resume(j.file, *s);
        journal.commit({7}, 60, counters(3, 3));
    }
    s = Journal::read(j.file);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->done_count(), 3u);
    EXPECT_EQ(s->output_offset, 60u);
}

TEST(Journal, TornHeaderMeansNoJournal) {
    JournalFile j;
    { Journal::create(j.file, "fingerprint"); }
    fs::resize_file(j.file, 5);
    EXPECT_FALSE(Journal::read(j.file));
}

TEST(JobFingerprint, ChangesWithSettingsScriptAndInput) {
    JournalFile j;
    const auto in = j.dir / "in";
    fs::create_directories(in);
    std::ofstream(in / "a.txt") << "a";
    std::ofstream(j.dir / "entry.py") << "def run(b): return b";
    const auto fingerprint = [&](const std::string& settings) {
        return job_fingerprint(settings, j.dir / "entry.py", prs::partition::list_files(in));
    };
    const auto base = fingerprint("settings");
    EXPECT_EQ(base, fingerprint("settings"));
    EXPECT_NE(base, fingerprint("other settings"));
    std::ofstream(in / "b.txt") << "b";
    const auto more_input = fingerprint("settings");
    EXPECT_NE(base, more_input) << "a file added";
    std::ofstream(in / "b.txt") << "bb";
    const auto changed_input = fingerprint("settings");
    EXPECT_NE(more_input, changed_input) << "a file changed";
    fs::remove(in / "b.txt");
    EXPECT_EQ(base, fingerprint("settings")) << "the file removed again: the first input";
    std::ofstream(j.dir / "entry.py") << "def run(b): return b[:1]";
    EXPECT_NE(base, fingerprint("settings")) << "the entry script changed";
}

TEST(Committer, EveryRequestIsJournaledWithTheLatestOffsetAndCounters) {
    JournalFile j;
    {
        auto journal = Journal::create(j.file, "fp1");
        Committer committer(journal, -1);
        // Requests made while the thread commits are merged: none may be lost.
        for (std::uint64_t id = 0; id < 1000; ++id) committer.request({id}, (id + 1) * 10, counters(id + 1, id + 1));
        committer.wait();
        const auto s = Journal::read(j.file);
        ASSERT_TRUE(s);
        EXPECT_EQ(s->done_count(), 1000u);
        EXPECT_EQ(s->output_offset, 10000u);
        EXPECT_EQ(s->counters.rows_written, 1000u);
        committer.request({1000}, 10010, counters(1001, 1001));
    }  // destruction finishes the last request
    const auto s = Journal::read(j.file);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->done_count(), 1001u);
    EXPECT_EQ(s->output_offset, 10010u);
}

TEST(Committer, ASyncFailureReachesTheEventLoop) {
    JournalFile j;
    auto journal = Journal::create(j.file, "fp1");
    const int not_a_file = ::open("/dev/null", O_WRONLY);  // fdatasync is EINVAL: accepted
    Committer fine(journal, not_a_file);
    fine.request({0}, 0, counters(1, 0));
    EXPECT_NO_THROW(fine.wait());
    ::close(not_a_file);
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);  // a closed descriptor: EBADF
    Committer broken(journal, pipe_fds[1]);
    broken.request({1}, 0, counters(2, 0));
    EXPECT_THROW(broken.wait(), std::system_error);
    EXPECT_THROW(broken.request({2}, 0, counters(3, 0)), std::system_error);
}

TEST(Journal, AFingerprintStillBeingComputedIsWrittenWithTheFirstRecord) {
    JournalFile j;
    { auto old = Journal::create(j.file, "old job"); }
    std::promise<std::string> fingerprint;
    auto journal = Journal::create_when_known(j.file, fingerprint.get_future());
    EXPECT_FALSE(fs::exists(j.file)) << "an old journal must not outlive a fresh start";
    fingerprint.set_value("fp-late");
    journal.commit({0, 1}, 40, counters(2, 2));
    const auto s = Journal::read(j.file);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->fingerprint, "fp-late");
    EXPECT_EQ(s->done_count(), 2u);
    EXPECT_EQ(s->output_offset, 40u);
}
