// logs/sys/error: which failed attempts are the system's, and that recording one never
// throws into the agent.
#include <gtest/gtest.h>

#include "prs/logs/system_error.hpp"

using namespace prs;
using protocol::AttemptStatus;

namespace {
protocol::AttemptResult failed(AttemptStatus status, std::string category) {
    protocol::AttemptResult r;
    r.status = status;
    r.total = 2;
    r.error_category = std::move(category);
    r.error_message = "boom";
    r.process = "process001";
    return r;
}
}  // namespace

TEST(SystemErrorLog, DeathsTimeoutsAndLoadFailuresAreTheSystemsSide) {
    for (auto status :
         {AttemptStatus::ProcessDied, AttemptStatus::RunTimeout, AttemptStatus::LoadTimeout, AttemptStatus::LoadFailed})
        EXPECT_TRUE(logs::is_system_failure(failed(status, "SystemError"))) << protocol::status_name(status);
    // prs_runtime itself failing while run() ran is not the entry script's exception either.
    EXPECT_TRUE(logs::is_system_failure(failed(AttemptStatus::RunException, "SystemError")));
}

TEST(SystemErrorLog, TheEntryScriptsOwnFailuresAreNot) {
    EXPECT_FALSE(logs::is_system_failure(failed(AttemptStatus::RunException, "UserError")));
    EXPECT_FALSE(logs::is_system_failure(failed(AttemptStatus::BadReturn, "UserError")));
    EXPECT_FALSE(logs::is_system_failure(failed(AttemptStatus::RunDone, "")));  // a short return
}

TEST(SystemErrorLog, AnUnwritableLogIsDropped) {
    const logs::Layout layout("/proc/prs_no_such_run_dir");
    EXPECT_NO_THROW(logs::record_system_failure(layout, failed(AttemptStatus::ProcessDied, "SystemError")));
}
