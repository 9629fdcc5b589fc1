#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "prs/orchestrator/io_failure.hpp"

namespace prs::orchestrator {
namespace {

namespace fs = std::filesystem;

TEST(ProbeWritable, CreatesTheFolderAndLeavesNothingBehind) {
    const fs::path dir = fs::temp_directory_path() / ("prs_probe_" + std::to_string(::getpid())) / "a" / "b";
    EXPECT_FALSE(probe_writable(dir));
    EXPECT_TRUE(fs::is_directory(dir));
    EXPECT_TRUE(fs::is_empty(dir));
    fs::remove_all(dir.parent_path().parent_path());
}

TEST(ProbeWritable, AFolderThatCannotBeCreatedIsAnError) { EXPECT_TRUE(probe_writable("/proc/self/no_such_folder")); }

TEST(UnwritableMessage, NamesTheFolderTheCauseAndTheFix) {
    const auto text =
        unwritable_message("/mnt/out", "output folder", std::make_error_code(std::errc::read_only_file_system));
    EXPECT_EQ(text,
              "cannot write to the output folder /mnt/out: Read-only file system. Fix: make that path writable (or "
              "write the output elsewhere: the output's `path`, --run-dir), then run the same command again.");
}

TEST(IoErrorFix, AFullDiskAsksForSpaceAndSaysTheRerunResumes) {
    const std::system_error e(ENOSPC, std::generic_category(), "cannot write output file /o/p.txt");
    const auto fix = io_error_fix(e);
    EXPECT_EQ(fix.find("free space on that filesystem"), 0u) << fix;
    EXPECT_NE(fix.find("run the same command again: it resumes"), std::string::npos) << fix;
}

TEST(IoErrorFix, OverQuotaIsAFullDiskToo) {
    EXPECT_EQ(io_error_fix(std::system_error(EDQUOT, std::generic_category(), "x")).find("free space"), 0u);
}

TEST(IoErrorFix, ReadOnlyAndPermissionAskForAWritableFolder) {
    for (int e : {EROFS, EACCES, EPERM})
        EXPECT_EQ(io_error_fix(std::system_error(e, std::generic_category(), "x")).find("make that path writable"), 0u);
}

TEST(IoErrorFix, OtherErrorsStillSayHowToResume) {
    EXPECT_NE(io_error_fix(std::system_error(EIO, std::generic_category(), "x"))
                  .find("check that path and the filesystem it is on"),
              std::string::npos);
    EXPECT_NE(io_error_fix(std::runtime_error("MPI error")).find("it resumes"), std::string::npos);
}

}  // namespace
}  // namespace prs::orchestrator
