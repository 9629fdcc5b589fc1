#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "prs/logs/layout.hpp"
#include "prs/orchestrator/run_dir.hpp"

using prs::orchestrator::default_run_dir;
namespace fs = std::filesystem;

TEST(RunDir, TheDefaultIsOneFolderUnderPrsRuns) {
    EXPECT_EQ(default_run_dir("score-iris_v2.1"), fs::path("prs_runs/score-iris_v2.1"));
    // A job name is no path: neither absolute nor with '..' does it leave prs_runs/.
    EXPECT_EQ(default_run_dir("/some/dir"), fs::path("prs_runs/_some_dir"));
    EXPECT_EQ(default_run_dir("../../x"), fs::path("prs_runs/_.._.._x"));
    EXPECT_EQ(default_run_dir(".."), fs::path("prs_runs/_.."));
    EXPECT_EQ(default_run_dir("."), fs::path("prs_runs/_."));
    EXPECT_EQ(default_run_dir(""), fs::path("prs_runs/_"));
    EXPECT_EQ(default_run_dir("a b\\c\n\xc3\xa9"), fs::path("prs_runs/a_b_c___"));
    for (const char* name : {"/x", "../y", "a/../../z", "..", "~/w"}) {
        const auto dir = default_run_dir(name);
        EXPECT_EQ(std::distance(dir.begin(), dir.end()), 2) << name;
        EXPECT_EQ(dir.lexically_normal(), dir) << name;
    }
}

class LogsFolder : public ::testing::Test {
protected:
    void SetUp() override {
        run_ = fs::temp_directory_path() / ("prs_run_dir_" + std::to_string(::getpid()));
        fs::remove_all(run_);
        fs::create_directories(run_);
    }
    void TearDown() override { fs::remove_all(run_); }
    fs::path run_;
};

TEST_F(LogsFolder, ACleanTreeReplacesOurOwnLogs) {
    const prs::logs::Layout layout(run_);
    prs::orchestrator::prepare_logs(layout);
    ASSERT_TRUE(fs::exists(layout.readme()));
    ASSERT_TRUE(fs::is_directory(layout.logs() / "sys" / "job_report"));
    std::ofstream(layout.job_result()) << "old result\n";
    prs::orchestrator::prepare_logs(layout);  // a fresh run of the same run directory
    EXPECT_FALSE(fs::exists(layout.job_result()));
    EXPECT_TRUE(fs::exists(layout.readme()));
}

TEST_F(LogsFolder, ALogsFolderPrsMpiDidNotMakeIsLeftAlone) {
    const prs::logs::Layout layout(run_);
    fs::create_directories(run_ / "logs");
    std::ofstream(run_ / "logs" / "app.log") << "someone else's\n";
    try {
        prs::orchestrator::prepare_logs(layout);
        FAIL() << "a foreign logs/ was cleared";
    } catch (const prs::orchestrator::ForeignLogs& e) {
        EXPECT_NE(std::string(e.what()).find("holds a logs/ folder that prs_mpi did not make"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("Fix:"), std::string::npos);
    }
    EXPECT_TRUE(fs::exists(run_ / "logs" / "app.log"));
    fs::remove(run_ / "logs" / "app.log");
    EXPECT_NO_THROW(prs::orchestrator::prepare_logs(layout)) << "an empty logs/ is nobody's";
}
