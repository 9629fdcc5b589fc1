#include <gtest/gtest.h>

#include <vector>

#include "prs/config/command_line.hpp"
#include "prs/config/load_job.hpp"

namespace prs::config {
namespace {

#define EXPECT_HAS(haystack, needle) EXPECT_PRED_FORMAT2(::testing::IsSubstring, needle, haystack)

CommandLine parse(std::vector<const char*> args) {
    args.insert(args.begin(), "prs_mpi");
    return parse_command_line(static_cast<int>(args.size()), args.data());
}

std::string error_of(std::vector<const char*> args) {
    try {
        parse(std::move(args));
    } catch (const JobError& e) {
        return e.what();
    }
    ADD_FAILURE() << "parsed without error";
    return {};
}

TEST(CommandLine, ReadsOptionsAndTheJobFile) {
    const CommandLine cli = parse({"--dry-run", "--run-dir", "/scratch/run1", "--fresh", "--job", "score", "job.yml"});
    EXPECT_EQ(cli.job_file, "job.yml");
    EXPECT_TRUE(cli.dry_run);
    EXPECT_TRUE(cli.fresh);
    EXPECT_EQ(cli.run_dir, std::filesystem::path("/scratch/run1"));
    EXPECT_EQ(cli.job, "score");
    EXPECT_FALSE(cli.help);
    EXPECT_TRUE(cli.overrides.empty());
}

TEST(CommandLine, DefaultsAreOff) {
    const CommandLine cli = parse({"job.yml"});
    EXPECT_FALSE(cli.dry_run);
    EXPECT_FALSE(cli.fresh);
    EXPECT_FALSE(cli.run_dir);
    EXPECT_FALSE(cli.job);
}

TEST(CommandLine, SettingsBecomeOverridesUnderTheirCanonicalNames) {
    const CommandLine cli =
        parse({"--timeout", "120", "--error_threshold=5", "--resource_monitor_int", "20", "--max_retries", "0",
               "--mini_batch_size", "1 GB", "--logging_level", "debug", "job.yml"});
    const std::map<std::string, std::string> expected = {
        {"timeout", "120"},   {"error_threshold", "5"},    {"resource_monitor_interval", "20"},
        {"max_retries", "0"}, {"mini_batch_size", "1 GB"}, {"logging_level", "debug"}};
    EXPECT_EQ(cli.overrides, expected);
}

TEST(CommandLine, HelpAndVersionNeedNoJobFile) {
    EXPECT_TRUE(parse({"--help"}).help);
    EXPECT_TRUE(parse({"-h"}).help);
    EXPECT_TRUE(parse({"--version"}).version);
}

TEST(CommandLine, UnknownOptionSuggestsTheClosest) {
    EXPECT_EQ(error_of({"--frsh", "job.yml"}),
              "prs_mpi: unknown option '--frsh'; did you mean '--fresh'? See prs_mpi --help");
    EXPECT_HAS(error_of({"--dry_run", "job.yml"}), "did you mean '--dry-run'?");
    EXPECT_HAS(error_of({"--timout=5", "job.yml"}), "unknown option '--timout'; did you mean '--timeout'?");
    EXPECT_EQ(error_of({"--completely-different", "job.yml"}),
              "prs_mpi: unknown option '--completely-different'. See prs_mpi --help");
}

TEST(CommandLine, ProblemsWithArgumentsAreJobErrors) {
    EXPECT_HAS(error_of({}), "no job file given");
    EXPECT_HAS(error_of({"--dry-run"}), "no job file given");
    EXPECT_HAS(error_of({"a.yml", "b.yml"}), "one job file expected, got 'a.yml' and 'b.yml'");
    EXPECT_HAS(error_of({"job.yml", "--timeout"}), "--timeout");
    EXPECT_HAS(error_of({"--t", "5", "job.yml"}), "ambiguous");
}

TEST(CommandLine, HelpExplainsUsageOptionsExitCodesAndLogs) {
    const std::string help = help_text();
    for (const char* part : {"prs_mpi [options] job.yml",
                             "mpirun -np N prs_mpi",
                             "--dry-run",
                             "--fresh",
                             "--run-dir",
                             "--job",
                             "--mini_batch_size",
                             "--max_concurrency_per_instance",
                             "--mini_batch_error_threshold",
                             "--max_retries",
                             "--timeout",
                             "--logging_level",
                             "--error_threshold",
                             "--allowed_failed_percent",
                             "--task_overhead_timeout",
                             "--progress_update_timeout",
                             "--first_task_creation_timeout",
                             "--copy_logs_to_parent",
                             "--resource_monitor_interval",
                             "--profiling_module",
                             "--append_row_dataframe_header",
                             "--prefetch_mini_batches",
                             "default 600",
                             "default 60)",
                             "42",
                             "75",
                             "<run_dir>/logs/job_result.txt",
                             "./prs_runs/<job name>"})
        EXPECT_HAS(help, part);
}

}  // namespace
}  // namespace prs::config
