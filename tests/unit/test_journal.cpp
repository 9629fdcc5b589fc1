#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>

#include "prs/orchestrator/committer.hpp"
#include "prs/orchestrator/journal.hpp"
#include "prs/partition/file_list.hpp"
#include "prs/util/file_checksum.hpp"

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

constexpr std::uint64_t kMiniBatches = 2000;  // the partition the journals here belong to

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
    EXPECT_FALSE(Journal::read(j.file, kMiniBatches));
}

TEST(Journal, CommitsAccumulate) {
    JournalFile j;
    {
        auto journal = Journal::create(j.file, "fp1");
        journal.commit({0, 2}, 100, 0, counters(2, 4));
        journal.commit({1, 5}, 180, 0, counters(4, 8));
    }
    const auto s = Journal::read(j.file, kMiniBatches);
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
        journal.commit({0}, 10, 0, counters(1, 1));
        journal.finish(true);
    }
    const auto s = Journal::read(j.file, kMiniBatches);
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
        journal.commit({0, 1}, 50, 0, counters(2, 2));
    }
    const auto good_size = fs::file_size(j.file);
    {
        auto s = Journal::read(j.file, kMiniBatches);
        auto journal = Journal::resume(j.file, *s);
        journal.commit({2, 3, 4}, 90, 0, counters(5, 5));
    }
    const auto full_size = fs::file_size(j.file);
    std::string bytes(full_size, '\0');
    std::ifstream(j.file, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(full_size));
    for (auto cut = good_size; cut < full_size; ++cut) {
        std::ofstream(j.file, std::ios::binary | std::ios::trunc)
            .write(bytes.data(), static_cast<std::streamsize>(cut));
        const auto s = Journal::read(j.file, kMiniBatches);
        ASSERT_TRUE(s) << cut;
        EXPECT_EQ(s->output_offset, 50u) << cut;
        EXPECT_EQ(s->done_count(), 2u) << cut;
        EXPECT_EQ(s->valid_bytes, good_size) << cut;
    }
    // A flipped byte inside the last record is caught by its checksum.
    bytes[full_size - 3] ^= 0x55;
    std::ofstream(j.file, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(full_size));
    auto s = Journal::read(j.file, kMiniBatches);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->done_count(), 2u);
    // Resuming cuts the garbage off; the next commit is readable after the intact ones.
    {
        auto journal = Journal::resume(j.file, *s);
        journal.commit({7}, 60, 0, counters(3, 3));
    }
    s = Journal::read(j.file, kMiniBatches);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->done_count(), 3u);
    EXPECT_EQ(s->output_offset, 60u);
}

TEST(Journal, TornHeaderIsADamagedJournal) {
    JournalFile j;
    { Journal::create(j.file, "fingerprint"); }
    fs::resize_file(j.file, 5);
    const auto s = Journal::read(j.file, kMiniBatches);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->damage, "it has no intact journal header");
}

TEST(JobFingerprint, ChangesWithSettingsScriptAndInput) {
    JournalFile j;
    const auto in = j.dir / "in";
    fs::create_directories(in);
    std::ofstream(in / "a.txt") << "a";
    std::ofstream(j.dir / "entry.py") << "def run(b): return b";
    const auto fingerprint = [&](const std::string& settings) {
        return job_fingerprint(settings, j.dir / "entry.py", "partitioning", prs::partition::list_files(in));
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

TEST(JobFingerprint, SaysWhichPartChangedAndKeepsTheInputsApart) {
    JournalFile j;
    const auto in = j.dir / "in";
    fs::create_directories(in);
    std::ofstream(in / "a.txt") << "a";
    std::ofstream(j.dir / "entry.py") << "def run(b): return b";
    const auto fp = [&](const std::string& settings, const std::string& partitioning) {
        return job_fingerprint(settings, j.dir / "entry.py", partitioning, prs::partition::list_files(in));
    };
    const auto base = fp("s", "p");
    EXPECT_TRUE(fingerprint_changes(base, base).empty());
    EXPECT_EQ(fingerprint_changes(base, fp("t", "p")), std::vector<std::string>{"job settings"});
    EXPECT_EQ(fingerprint_changes(base, fp("s", "q")), std::vector<std::string>{"input or partitioning"});
    std::ofstream(j.dir / "entry.py") << "def run(b): return b[:1]";
    const auto new_script = fp("t", "p");
    EXPECT_EQ(fingerprint_changes(base, new_script), (std::vector<std::string>{"job settings", "entry script"}));
    EXPECT_EQ(input_fingerprint(base), input_fingerprint(new_script)) << "--retry-failed may go on";
    std::ofstream(in / "a.txt") << "changed";
    EXPECT_NE(input_fingerprint(base), input_fingerprint(fp("s", "p")));
    // A journal of an earlier prs_mpi holds one hash: no part can be told apart.
    EXPECT_EQ(fingerprint_changes("0123456789abcdef", base),
              std::vector<std::string>{"a journal of an earlier prs_mpi"});
    EXPECT_EQ(input_fingerprint("0123456789abcdef"), "");
}

TEST(Journal, FailedMiniBatchesAreTheTailAndAreLeftOutOfTheKeptPart) {
    JournalFile j;
    JobCounters with_failed = counters(2, 4);
    with_failed.mini_batches_failed = 1;
    with_failed.rows_written = 5;
    {
        auto journal = Journal::create(j.file, "fp1");
        journal.commit({0, 2}, 100, 0xabcd, counters(2, 4));
        journal.record_failed({1}, 100, 0xabcd, 130, 0x1234, with_failed);
        journal.finish(false);
    }
    const auto s = Journal::read(j.file, kMiniBatches);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->damage, "");
    EXPECT_TRUE(s->finished);
    EXPECT_EQ(s->failed_count(), 1u);
    EXPECT_TRUE(s->failed[1]);
    EXPECT_EQ(s->output_offset, 130u) << "a finished run's output holds the failed rows too";
    EXPECT_EQ(s->output_checksum, 0x1234u);
    EXPECT_EQ(s->counters.mini_batches_failed, 1u);
    const auto kept = kept_part(*s);
    EXPECT_FALSE(kept.finished);
    EXPECT_EQ(kept.failed_count(), 0u);
    EXPECT_EQ(kept.done_count(), 2u);
    EXPECT_EQ(kept.output_offset, 100u) << "the failed rows are cut";
    EXPECT_EQ(kept.output_checksum, 0xabcdu);
    EXPECT_EQ(kept.counters.mini_batches_failed, 0u) << "thresholds count the new run's failures only";
    EXPECT_EQ(kept.counters.rows_written, 4u);

    // The rerun's journal holds the kept part under the new fingerprint and goes on from it.
    {
        auto journal = Journal::restart(j.file, "fp2", kept);
        journal.commit({1}, 140, 0x5678, counters(3, 6));
    }
    EXPECT_FALSE(fs::exists(j.file.string() + ".new"));
    const auto again = Journal::read(j.file, kMiniBatches);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->damage, "");
    EXPECT_EQ(again->fingerprint, "fp2");
    EXPECT_FALSE(again->finished);
    EXPECT_EQ(again->done_count(), 3u);
    EXPECT_EQ(again->output_offset, 140u);
}

TEST(JournalDamage, AFailedRecordThatDoesNotFitTheCommitsIsDamage) {
    JournalFile j;
    {
        auto journal = Journal::create(j.file, "fp1");
        journal.commit({0}, 100, 7, counters(1, 2));
        journal.record_failed({1}, 90, 7, 130, 8, counters(1, 2));
    }
    EXPECT_NE(Journal::read(j.file, kMiniBatches)->damage.find("start at byte 90"), std::string::npos);
    {
        auto journal = Journal::create(j.file, "fp1");
        journal.commit({0}, 100, 7, counters(1, 2));
        journal.record_failed({0}, 100, 7, 130, 8, counters(1, 2));
    }
    EXPECT_NE(Journal::read(j.file, kMiniBatches)->damage.find("already done"), std::string::npos);
    {
        auto journal = Journal::create(j.file, "fp1");
        journal.record_failed({1}, 0, 0, 30, 8, counters(0, 2));
        journal.commit({0}, 100, 7, counters(1, 2));
    }
    EXPECT_NE(Journal::read(j.file, kMiniBatches)->damage.find("after the failed"), std::string::npos);
}

TEST(Committer, FailedRowsAreJournaledAfterTheCommittedOnesWithBothChecksums) {
    JournalFile j;
    const auto out = j.dir / "out.txt";
    const prs::util::UniqueFd fd(::open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644));
    ASSERT_TRUE(fd);
    const std::string good = "good row\n";
    const std::string bad = "row of a failed attempt\n";
    {
        auto journal = Journal::create(j.file, "fp1");
        Committer committer(journal, fd.get(), out);
        ASSERT_EQ(::write(fd.get(), good.data(), good.size()), static_cast<ssize_t>(good.size()));
        committer.request({0}, good.size(), counters(1, 1));
        ASSERT_EQ(::write(fd.get(), bad.data(), bad.size()), static_cast<ssize_t>(bad.size()));
        committer.commit_failed({1}, good.size() + bad.size(), counters(1, 2));
    }
    const auto s = Journal::read(j.file, kMiniBatches);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->damage, "");
    EXPECT_EQ(s->kept_offset, good.size());
    EXPECT_EQ(output_mismatch(*s, out, true), "");
    EXPECT_EQ(output_mismatch(kept_part(*s), out, false), "") << "the kept rows' checksum is the prefix's";
}

TEST(Committer, EveryRequestIsJournaledWithTheLatestOffsetAndCounters) {
    JournalFile j;
    {
        auto journal = Journal::create(j.file, "fp1");
        Committer committer(journal, -1);
        // Requests made while the thread commits are merged: none may be lost.
        for (std::uint64_t id = 0; id < 1000; ++id) committer.request({id}, (id + 1) * 10, counters(id + 1, id + 1));
        committer.wait();
        const auto s = Journal::read(j.file, kMiniBatches);
        ASSERT_TRUE(s);
        EXPECT_EQ(s->done_count(), 1000u);
        EXPECT_EQ(s->output_offset, 10000u);
        EXPECT_EQ(s->counters.rows_written, 1000u);
        committer.request({1000}, 10010, counters(1001, 1001));
    }  // destruction finishes the last request
    const auto s = Journal::read(j.file, kMiniBatches);
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
    journal.commit({0, 1}, 40, 0, counters(2, 2));
    const auto s = Journal::read(j.file, kMiniBatches);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->fingerprint, "fp-late");
    EXPECT_EQ(s->done_count(), 2u);
    EXPECT_EQ(s->output_offset, 40u);
}

namespace {

// A record as Journal writes it: [u32 size][u32 crc32][type][payload].
std::string record(std::uint8_t type, const std::string& payload) {
    std::string body(1, static_cast<char>(type));
    body += payload;
    const auto size = static_cast<std::uint32_t>(body.size());
    const std::uint32_t crc = prs::util::crc32_extend(0, body);
    std::string out(8, '\0');
    std::memcpy(out.data(), &size, 4);
    std::memcpy(out.data() + 4, &crc, 4);
    return out + body;
}

std::string file_bytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& file, const std::string& bytes) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

// A crafted or foreign record used to size the done-vector by its id: std::bad_alloc.
TEST(JournalDamage, AnIdBeyondThePartitionIsDamageNotACrash) {
    JournalFile j;
    {
        auto journal = Journal::create(j.file, "fp");
        journal.commit({0, 1}, 20, 0, counters(2, 2));
        journal.commit({std::uint64_t{1} << 62}, 30, 0, counters(3, 3));
    }
    const auto s = Journal::read(j.file, 10);
    ASSERT_TRUE(s);
    EXPECT_NE(s->damage.find("mini-batch id 4611686018427387904, and the input has 10 mini-batches"), std::string::npos)
        << s->damage;
    // The same journal of a job with more mini-batches than the id is fine up to 10 here.
    {
        auto journal = Journal::create(j.file, "fp");
        journal.commit({9}, 20, 0, counters(1, 1));
    }
    EXPECT_EQ(Journal::read(j.file, 10)->damage, "");
    EXPECT_NE(Journal::read(j.file, 9)->damage, "");
}

TEST(JournalDamage, RecordsThatMakeNoSenseAreDamage) {
    JournalFile j;
    {
        auto journal = Journal::create(j.file, "fp");
        journal.commit({0}, 50, 0, counters(1, 1));
        journal.commit({1}, 40, 0, counters(2, 2));  // the output cannot shrink
    }
    EXPECT_NE(Journal::read(j.file, 10)->damage.find("goes back from 50 to 40 bytes"), std::string::npos);
    {
        auto journal = Journal::create(j.file, "fp");
        journal.commit({0}, 50, 0, counters(20, 1));  // more done than the input has
    }
    EXPECT_NE(Journal::read(j.file, 10)->damage.find("20 mini-batches counted done"), std::string::npos);
    {
        auto journal = Journal::create(j.file, "fp");
        journal.finish(true);
        journal.commit({0}, 50, 0, counters(1, 1));
    }
    EXPECT_NE(Journal::read(j.file, 10)->damage.find("a record after the run's end"), std::string::npos);
    write_bytes(j.file, record(3, std::string(1, '\1')));  // no header
    EXPECT_NE(Journal::read(j.file, 10)->damage.find("does not start with a journal header"), std::string::npos);
    write_bytes(j.file, record(1, "fp") + record(9, "x"));
    EXPECT_NE(Journal::read(j.file, 10)->damage.find("unknown type 9"), std::string::npos);
    write_bytes(j.file, "");
    EXPECT_EQ(Journal::read(j.file, 10)->damage, "it is empty");
    write_bytes(j.file, std::string(4096, '\xff'));  // not a journal at all
    EXPECT_EQ(Journal::read(j.file, 10)->damage, "it has no intact journal header");
}

TEST(JournalDamage, AFlippedByteInTheMiddleKeepsTheRecordsBeforeIt) {
    JournalFile j;
    {
        auto journal = Journal::create(j.file, "fp");
        journal.commit({0}, 10, 0, counters(1, 1));
    }
    const auto first_size = fs::file_size(j.file);
    {
        auto journal = Journal::resume(j.file, *Journal::read(j.file, 10));
        journal.commit({1}, 20, 0, counters(2, 2));
        journal.commit({2}, 30, 0, counters(3, 3));
    }
    auto bytes = file_bytes(j.file);
    bytes[first_size + 12] ^= 0x01;  // inside the second commit
    write_bytes(j.file, bytes);
    const auto s = Journal::read(j.file, 10);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->damage, "");
    EXPECT_EQ(s->done_count(), 1u);
    EXPECT_EQ(s->output_offset, 10u);
    EXPECT_EQ(s->valid_bytes, first_size);
    EXPECT_EQ(s->file_bytes, bytes.size());
}

TEST(JournalOutputCheck, TheOutputMustHoldTheCommittedBytes) {
    JournalFile j;
    const auto out = j.dir / "out.txt";
    write_bytes(out, "row 1\nrow 2\n");
    {
        auto journal = Journal::create(j.file, "fp");
        journal.commit({0}, 12, prs::util::crc32_extend(0, "row 1\nrow 2\n"), counters(1, 2));
    }
    const auto s = *Journal::read(j.file, 10);
    EXPECT_EQ(output_mismatch(s, out, true), "");
    write_bytes(out, "row 1\nrow 2\nrow 3 uncommitted\n");
    EXPECT_EQ(output_mismatch(s, out, false), "") << "a run to resume cuts the uncommitted tail";
    EXPECT_NE(output_mismatch(s, out, true).find("is 30 bytes long, and the journal says 12"), std::string::npos);
    write_bytes(out, "row 1\n");
    EXPECT_NE(output_mismatch(s, out, false).find("is 6 bytes long"), std::string::npos);
    write_bytes(out, "row A\nrow B\n");  // another job's rows, of the same length
    EXPECT_NE(output_mismatch(s, out, true).find("does not hold the rows the journal recorded"), std::string::npos);
    fs::remove(out);
    EXPECT_NE(output_mismatch(s, out, true).find("cannot be read"), std::string::npos);
}

TEST(JournalOutputCheck, AJournalFromBeforeChecksumsCannotVerify) {
    JournalFile j;
    // The commit record of earlier versions: offset, counters, ids; no CRC.
    std::string commit;
    const std::uint64_t offset = 12;
    commit.append(reinterpret_cast<const char*>(&offset), 8);
    commit.append(7 * 8, '\0');
    const std::uint32_t n = 1;
    const std::uint64_t id = 0;
    commit.append(reinterpret_cast<const char*>(&n), 4);
    commit.append(reinterpret_cast<const char*>(&id), 8);
    write_bytes(j.file, record(1, "fp") + record(2, commit));
    const auto s = Journal::read(j.file, 10);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->damage, "");
    EXPECT_EQ(s->done_count(), 1u);
    EXPECT_FALSE(s->output_checksum);
    write_bytes(j.dir / "out.txt", "row 1\nrow 2\n");
    EXPECT_NE(output_mismatch(*s, j.dir / "out.txt", true).find("cannot be verified"), std::string::npos);
}

TEST(Committer, RecordsTheRunningChecksumOfTheCommittedBytes) {
    JournalFile j;
    const auto out = j.dir / "out.txt";
    write_bytes(out, "kept\n");
    const int fd = ::open(out.c_str(), O_RDWR | O_APPEND);
    ASSERT_GE(fd, 0);
    {
        auto journal = Journal::create(j.file, "fp");
        // Resuming after "kept\n", whose CRC the earlier journal holds.
        Committer committer(journal, fd, {}, 5, prs::util::crc32_extend(0, "kept\n"));
        ASSERT_EQ(::write(fd, "a\nb\n", 4), 4);
        committer.request({0}, 9, counters(1, 2));
        committer.wait();
        ASSERT_EQ(::write(fd, "c\n", 2), 2);
        committer.request({1}, 11, counters(2, 3));
    }
    ::close(fd);
    const auto s = *Journal::read(j.file, 10);
    EXPECT_EQ(s.output_offset, 11u);
    EXPECT_EQ(s.output_checksum, prs::util::crc32_extend(0, "kept\na\nb\nc\n"));
    EXPECT_EQ(output_mismatch(s, out, true), "");
}
