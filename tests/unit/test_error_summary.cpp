#include <gtest/gtest.h>

#include <string>

#include "prs/orchestrator/error_summary.hpp"

using namespace prs;
using orchestrator::ErrorSummary;

namespace {
protocol::AttemptResult failure(std::uint64_t id, std::string message) {
    protocol::AttemptResult r;
    r.mini_batch_id = id;
    r.status = protocol::AttemptStatus::RunException;
    r.error_message = std::move(message);
    r.traceback = "Traceback (most recent call last):\n  ...\n";
    r.process = "process001";
    return r;
}
}  // namespace

TEST(ErrorSummary, GroupsByMessageWithCountsAndSamples) {
    ErrorSummary s;
    for (std::uint64_t i = 0; i < 7; ++i) s.add(failure(i, "ValueError: bad row"));
    s.add(failure(7, "KeyError: 'x'"));
    EXPECT_EQ(s.first_message(), "RUN_EXCEPTION: ValueError: bad row");
    const auto text = s.render();
    EXPECT_NE(text.find("2 distinct error(s)"), std::string::npos) << text;
    EXPECT_NE(text.find("== 7 time(s): RUN_EXCEPTION: ValueError: bad row"), std::string::npos) << text;
    EXPECT_EQ(text.find("mini-batch 5 "), std::string::npos) << "five samples per group";
}

TEST(ErrorSummary, MessagesThatDifferEveryTimeStopMakingGroups) {
    ErrorSummary s;
    const std::uint64_t n = ErrorSummary::kMaxGroups + 250;
    for (std::uint64_t i = 0; i < n; ++i) s.add(failure(i, "FileNotFoundError: /data/f" + std::to_string(i)));
    s.add(failure(n, "FileNotFoundError: /data/f0"));  // an existing group still counts
    const auto text = s.render();
    EXPECT_NE(text.find(std::to_string(ErrorSummary::kMaxGroups) + " distinct error(s)"), std::string::npos);
    EXPECT_NE(text.find("250 later failure(s) with other errors"), std::string::npos) << text.substr(0, 300);
    EXPECT_NE(text.find("== 2 time(s): RUN_EXCEPTION: FileNotFoundError: /data/f0\n"), std::string::npos);
}
