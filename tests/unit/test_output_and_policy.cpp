#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "prs/config/job_spec.hpp"
#include "prs/orchestrator/failure_policy.hpp"
#include "prs/output/row_writer.hpp"
#include "prs/partition/file_list.hpp"

using namespace prs;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/prs_unit_XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};
std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

TEST(RowWriter, AppendsBlocksAndCreatesFolders) {
    TempDir t;
    const auto file = t.path / "a" / "b" / "out.txt";
    {
        output::RowWriter w(file, false);
        w.append("1\n2\n");
        w.append("3\n");
        w.close();
    }
    EXPECT_EQ(slurp(file), "1\n2\n3\n");
}

TEST(RowWriter, TheFirstResultWithRowsBringsTheHeader) {
    TempDir t;
    const auto file = t.path / "out.txt";
    output::RowWriter w(file, true);
    EXPECT_FALSE(w.flush_for_commit()) << "nothing can be committed before the header is known";
    w.offer_header("name value\n");
    w.append("a 1\n");
    w.offer_header("name value\n");  // every DataFrame result brings it; once is written
    w.append("b 2\n");
    w.close();
    EXPECT_EQ(slurp(file), "name value\na 1\nb 2\n");
}

TEST(RowWriter, RowsWithoutAHeaderMeanThereIsNone) {
    // run() returned lists: no header will ever come, and the rows must not wait for one
    // (held rows cannot be committed, so an interrupted job could not resume).
    TempDir t;
    const auto file = t.path / "out.txt";
    output::RowWriter w(file, true);
    w.offer_header("");
    w.append("a 1\n");
    EXPECT_TRUE(w.flush_for_commit());
    EXPECT_EQ(slurp(file), "a 1\n");
    w.offer_header("late header\n");
    w.append("b 2\n");
    w.close();
    EXPECT_EQ(slurp(file), "a 1\nb 2\n");
}

TEST(RowWriter, TruncatesAnOldFile) {
    TempDir t;
    const auto file = t.path / "out.txt";
    std::ofstream(file) << "stale\n";
    output::RowWriter w(file, false);
    w.append("fresh\n");
    w.close();
    EXPECT_EQ(slurp(file), "fresh\n");
}

TEST(InputOrderSequencer, ReleasesInIdOrder) {
    TempDir t;
    const auto file = t.path / "out.txt";
    output::RowWriter w(file, false);
    output::InputOrderSequencer s(w, {});
    EXPECT_TRUE(s.put(2, "c\n").empty());
    EXPECT_EQ(s.put(0, "a\n"), std::vector<std::uint64_t>{0});
    EXPECT_TRUE(s.put(3, "d\n").empty());
    EXPECT_EQ(s.put(1, "b\n"), (std::vector<std::uint64_t>{1, 2, 3}));
    w.close();
    EXPECT_EQ(slurp(file), "a\nb\nc\nd\n");
}

TEST(InputOrderSequencer, SkipsIdsAResumedRunAlreadyHas) {
    TempDir t;
    const auto file = t.path / "out.txt";
    output::RowWriter w(file, false);
    output::InputOrderSequencer s(w, {true, false, true});
    EXPECT_EQ(s.put(3, "d\n"), std::vector<std::uint64_t>{});
    EXPECT_EQ(s.put(1, "b\n"), (std::vector<std::uint64_t>{1, 3}));
    w.close();
    EXPECT_EQ(slurp(file), "b\nd\n");
}

TEST(RowWriter, ResumeCutsUncommittedRows) {
    TempDir t;
    const auto file = t.path / "out.txt";
    std::ofstream(file) << "kept 1\nkept 2\nuncommitted\n";
    output::RowWriter w(file, true, 14);
    w.append("new\n");
    w.close();
    EXPECT_EQ(slurp(file), "kept 1\nkept 2\nnew\n");
}

TEST(FailurePolicy, EachThresholdTripsOnlyWhenExceeded) {
    config::JobSpec job;
    job.mini_batch_error_threshold = 2;
    job.error_threshold = -1;
    job.allowed_failed_percent = 100;
    orchestrator::FailurePolicy p(job);
    orchestrator::JobCounters c;
    c.mini_batches_total = 10;
    c.mini_batches_failed = 2;
    EXPECT_FALSE(p.check(c, true));
    c.mini_batches_failed = 3;
    auto b = p.check(c, false);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->rule, "mini_batch_error_threshold");
    EXPECT_NE(b->fix.find("mini_batch_error_threshold"), std::string::npos);
}

TEST(FailurePolicy, ItemThresholdAndPercentAfterScheduling) {
    config::JobSpec job;
    job.error_threshold = 5;
    job.allowed_failed_percent = 20;
    orchestrator::FailurePolicy p(job);
    orchestrator::JobCounters c;
    c.mini_batches_total = 10;
    c.items_failed = 5;
    EXPECT_FALSE(p.check(c, false));
    c.items_failed = 6;
    ASSERT_TRUE(p.check(c, false));
    EXPECT_EQ(p.check(c, false)->rule, "error_threshold");
    c.items_failed = 0;
    c.mini_batches_failed = 3;  // 30% > 20%
    EXPECT_FALSE(p.check(c, false)) << "percent is only checked once all mini-batches are scheduled";
    ASSERT_TRUE(p.check(c, true));
    EXPECT_EQ(p.check(c, true)->rule, "allowed_failed_percent");
}

TEST(FileListPartition, SortedRecursiveListingInBatches) {
    TempDir t;
    fs::create_directories(t.path / "b" / "c");
    for (auto rel : {"z.txt", "b/c/y.txt", "b/a.txt", "a.txt"}) std::ofstream(t.path / rel) << "x";
    const auto files = partition::list_files(t.path);
    ASSERT_EQ(files.size(), 4u);
    EXPECT_EQ(files[0], (t.path / "a.txt").string());
    EXPECT_EQ(files[1], (t.path / "b/a.txt").string());
    EXPECT_EQ(files[2], (t.path / "b/c/y.txt").string());
    EXPECT_EQ(files[3], (t.path / "z.txt").string());
    partition::FileListPartition p(files, 3);
    EXPECT_EQ(p.mini_batch_count(), 2u);
    auto d0 = p.next();
    auto d1 = p.next();
    EXPECT_FALSE(p.next());
    EXPECT_EQ(d0->id, 0u);
    EXPECT_EQ(d0->files.size(), 3u);
    EXPECT_EQ(d1->id, 1u);
    EXPECT_EQ(d1->files, std::vector<std::string>{files[3]});
}

TEST(FileListPartition, LinksAreFollowedToFilesAndFolders) {
    TempDir t;
    fs::create_directories(t.path / "in" / "real");
    fs::create_directories(t.path / "elsewhere");
    std::ofstream(t.path / "in" / "real" / "a.txt") << "x";
    std::ofstream(t.path / "elsewhere" / "b.txt") << "x";
    std::ofstream(t.path / "elsewhere" / "c.txt") << "x";
    fs::create_directory_symlink(t.path / "elsewhere", t.path / "in" / "linked_dir");
    fs::create_symlink(t.path / "elsewhere" / "c.txt", t.path / "in" / "linked_file.txt");
    fs::create_symlink(t.path / "gone.txt", t.path / "in" / "dangling.txt");
    const auto files = partition::list_files(t.path / "in" / "");  // a trailing slash lists the same
    ASSERT_EQ(files.size(), 4u);
    EXPECT_EQ(files[0], (t.path / "in/linked_dir/b.txt").string());
    EXPECT_EQ(files[1], (t.path / "in/linked_dir/c.txt").string());
    EXPECT_EQ(files[2], (t.path / "in/linked_file.txt").string());
    EXPECT_EQ(files[3], (t.path / "in/real/a.txt").string());
}

TEST(FileListPartition, EmptyOrMissingFolderIsAnInputError) {
    TempDir t;
    EXPECT_THROW(partition::list_files(t.path), partition::InputError);
    EXPECT_THROW(partition::list_files(t.path / "nope"), partition::InputError);
}

TEST(MakePartition, SizeUnitOnAFileListIsRejected) {
    TempDir t;
    std::ofstream(t.path / "a.txt") << "x";
    config::JobSpec job;
    job.inputs.push_back(config::InputSpec{"input_data", config::InputType::UriFolder, t.path, "", {}, ""});
    job.major_input = "input_data";
    job.mini_batch_size = 10240;
    job.mini_batch_size_has_unit = true;
    const auto format = partition::describe_input(job);
    EXPECT_EQ(format.kind, protocol::InputKind::FileList);
    EXPECT_THROW(partition::make_partition(job, format, partition::list_files(t.path)), partition::InputError);
    job.mini_batch_size_has_unit = false;
    job.mini_batch_size.reset();
    EXPECT_EQ(partition::make_partition(job, format, partition::list_files(t.path))->mini_batch_count(), 1u);
}
