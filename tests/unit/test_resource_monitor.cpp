// Parsing /proc text for logs/perf: fixed input, as the kernel writes it.
#include <gtest/gtest.h>

#include "prs/agent/resource_monitor.hpp"

using namespace prs::agent;

TEST(ResourceMonitor, ProcStatCountsIdleAndIowaitAsNotBusy) {
    const auto t = parse_proc_stat("cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->total, 1000u);
    EXPECT_EQ(t->busy, 160u);
    EXPECT_FALSE(parse_proc_stat("intr 1 2 3\n"));
}

TEST(ResourceMonitor, PidStatSurvivesSpacesAndParenthesesInTheName) {
    const std::string stat =
        "4242 (prs (worker) 1) S 4200 4242 4200 0 -1 4194560 1200 0 0 0 350 25 0 0 20 0 7 0 123456 "
        "300000000 5120 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
    const auto s = parse_pid_stat(stat);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->state, 'S');
    EXPECT_EQ(s->cpu_ticks, 375u);
    EXPECT_EQ(s->threads, 7u);
    EXPECT_EQ(s->rss_pages, 5120u);
    EXPECT_FALSE(parse_pid_stat("4242 (short"));
}

TEST(ResourceMonitor, MeminfoFindsWholeKeysOnly) {
    const std::string text = "MemTotal:       16000000 kB\nMemFree:         1000 kB\nMemAvailable:    8000000 kB\n";
    EXPECT_EQ(meminfo_kb(text, "MemTotal"), 16000000u);
    EXPECT_EQ(meminfo_kb(text, "MemAvailable"), 8000000u);
    EXPECT_FALSE(meminfo_kb(text, "Mem"));
    EXPECT_FALSE(meminfo_kb(text, "SwapTotal"));
}
