#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "prs/config/load_job.hpp"
#include "prs/logs/layout.hpp"
#include "prs/partition/partition.hpp"
#include "prs/util/user_error.hpp"

namespace prs::util {
namespace {

TEST(Render, APlaceGetsErrorAndTheFixItsOwnLine) {
    EXPECT_EQ(render({"job.yml:3:5", "retry_settings.timeout: expected an integer", "give 300", {}}),
              "job.yml:3:5: error: retry_settings.timeout: expected an integer.\n  Fix: give 300");
}

TEST(Render, WithoutAPlaceTheProgramIsThePlace) {
    EXPECT_EQ(render({"", "--timeout: expected an integer, got 'x'", "give 300", {}}),
              "prs_mpi: --timeout: expected an integer, got 'x'.\n  Fix: give 300");
}

TEST(Render, NotesFollowTheFixAndAMissingFixIsLeftOut) {
    EXPECT_EQ(render({"job.yml", "task.entry_script: missing", "", {"job.yml:4:3: warning: unknown key"}}),
              "job.yml: error: task.entry_script: missing.\njob.yml:4:3: warning: unknown key");
}

TEST(RenderLine, IsOneLine) {
    EXPECT_EQ(render_line({"", "input path '/x' does not exist", "point `path` at a folder", {}}),
              "input path '/x' does not exist. Fix: point `path` at a folder");
    EXPECT_EQ(render_line({"/d/MLTable", "no paths", "", {}}), "/d/MLTable: no paths.");
}

TEST(ReportText, AddsTheProgramPrefixOnceWhateverTheForm) {
    // A one-line input error reaches the terminal after "prs_mpi: error: "...
    EXPECT_EQ(report_text(partition::InputError("input path '/x' does not exist. Fix: point it at a folder")),
              "prs_mpi: error: input path '/x' does not exist. Fix: point it at a folder");
    // ...one that names its file and position in the terminal form is shown as it is.
    const partition::InputError located(Problem{"/d/MLTable:2:1", "paths: missing", "list the data", {}},
                                        UserError::Form::Terminal);
    EXPECT_EQ(report_text(located), "/d/MLTable:2:1: error: paths: missing.\n  Fix: list the data");
    const config::JobError job(Problem{"", "no job file given", "name one", {}});
    EXPECT_EQ(report_text(job), "prs_mpi: no job file given.\n  Fix: name one");
    EXPECT_EQ(job.problem().fix, "name one");
}

TEST(ErrnoError, NamesWhatFailedAndKeepsTheCode) {
    errno = ENOENT;
    const std::system_error e = errno_error("cannot open /x");
    EXPECT_EQ(e.code(), std::make_error_code(std::errc::no_such_file_or_directory));
    EXPECT_EQ(std::string(e.what()), "cannot open /x: No such file or directory");
    EXPECT_EQ(errno_error(ENOSPC, "cannot write /y").code(), std::make_error_code(std::errc::no_space_on_device));
}

}  // namespace
}  // namespace prs::util

namespace prs::logs {
namespace {

// The workers' Python takes these paths from the host (docs/design.md §11).
TEST(Layout, EntryScriptLogAndProfileOfAWorker) {
    const Layout layout("/runs/job");
    EXPECT_EQ(layout.entry_script_log(2, "process003"), "/runs/job/logs/user/entry_script_log/2/process003.log.txt");
    EXPECT_EQ(layout.worker_profile(2, "process003"), "/runs/job/logs/sys/node/2/process003.profile");
}

}  // namespace
}  // namespace prs::logs
