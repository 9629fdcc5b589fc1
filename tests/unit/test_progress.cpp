// The live progress line: what a user sees on rank 0's terminal or in a Slurm log.
#include <gtest/gtest.h>

#include "prs/logs/progress.hpp"

using prs::logs::progress_bar_line;
using prs::logs::progress_text;
using prs::logs::ProgressCounts;

TEST(Progress, TextHasCountsRateEtaAndFailures) {
    ProgressCounts c{.done = 10, .total = 40, .items_done = 50, .items_total = 200, .failed = 1, .failed_attempts = 3};
    EXPECT_EQ(progress_text(c, 5.0),
              "10/40 mini-batches, 50/200 items, 2.0/s, ETA 0:00:15, 1 failed (3 failed attempts)");
}

TEST(Progress, UnknownTotalsAndNoRateShowQuestionMarks) {
    ProgressCounts c{.done = 0, .total = 0};
    EXPECT_EQ(progress_text(c, 0.0), "0/? mini-batches, 0/? items, 0.0/s, ETA ?, 0 failed");
}

TEST(Progress, ResumedMiniBatchesDoNotInflateTheRate) {
    ProgressCounts c{
        .done = 30, .total = 40, .items_done = 0, .items_total = 0, .failed = 0, .failed_attempts = 0, .resumed = 20};
    EXPECT_EQ(progress_text(c, 10.0), "30/40 mini-batches, 0/? items, 1.0/s, ETA 0:00:10, 0 failed");
}

TEST(Progress, BarFillsWithTheFractionDone) {
    ProgressCounts c{.done = 20, .total = 40};
    const std::string line = progress_bar_line(c, 10.0, 120);
    ASSERT_EQ(line.front(), '[');
    const auto close = line.find(']');
    const std::string bar = line.substr(1, close - 1);
    EXPECT_EQ(bar.size(), 40u);
    EXPECT_EQ(bar, std::string(20, '#') + std::string(20, '.'));
    EXPECT_EQ(line.substr(close + 2), progress_text(c, 10.0));
}

TEST(Progress, LineNeverReachesTheTerminalWidth) {
    ProgressCounts c{.done = 1, .total = 1000000, .items_done = 5, .items_total = 5000000};
    for (int width : {20, 60, 80, 200}) EXPECT_LT(progress_bar_line(c, 3.0, width).size(), std::size_t(width));
    // A narrow terminal keeps a short bar and cuts the text; a very narrow one drops the bar.
    EXPECT_EQ(progress_bar_line(c, 3.0, 40).substr(0, 13), "[..........] ");
    EXPECT_EQ(progress_bar_line(c, 3.0, 30).front(), '1');
}

TEST(Progress, EtaIsZeroWhenDone) {
    ProgressCounts c{.done = 4, .total = 4, .items_done = 8, .items_total = 8};
    EXPECT_NE(progress_text(c, 2.0).find("ETA 0:00:00"), std::string::npos);
    EXPECT_EQ(progress_bar_line(c, 2.0, 120).substr(0, 42), "[" + std::string(40, '#') + "]");
}
