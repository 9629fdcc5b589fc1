#include <gtest/gtest.h>

#include "prs/orchestrator/report_usage.hpp"

using namespace prs::orchestrator;

namespace {
constexpr const char* kHeader =
    "Timestamp,Load Average 1m,Load Average 5m,CPU Percent,Memory Total MB,Memory Available MB,Memory Used Percent\n";
}

TEST(ReportUsage, ReadsCpuAndMemoryPerSample) {
    NodeUsage usage;
    add_node_usage(usage, 3,
                   std::string(kHeader) +
                       "2026-12-01T19:55:00.250000,0.5,0.4,12.5,1000,750,25.0\n"
                       "2026-12-01T19:55:01.250000,0.6,0.4,80.0,1000,500,50.0\n");
    ASSERT_EQ(usage.cpu_percent.size(), 1u);
    EXPECT_EQ(usage.cpu_percent[0].label, "node 3");
    ASSERT_EQ(usage.cpu_percent[0].points.size(), 2u);
    EXPECT_EQ(usage.cpu_percent[0].points[1].epoch_us - usage.cpu_percent[0].points[0].epoch_us, 1000000);
    EXPECT_DOUBLE_EQ(usage.cpu_percent[0].points[1].value, 80.0);
    EXPECT_DOUBLE_EQ(usage.memory_used_percent[0].points[0].value, 25.0);
}

TEST(ReportUsage, SkipsRowsItCannotReadAndALineStillBeingWritten) {
    NodeUsage usage;
    add_node_usage(usage, 0,
                   std::string(kHeader) +
                       "garbage\n2026-12-01T19:55:00.000000,0.5,0.4,x,1000,750,25.0\n"
                       "2026-12-01T19:55:02.000000,0.5,0.4,10,1000,750,25.0\n"
                       "2026-12-01T19:55:03.000000,0.5,0.4,20");
    ASSERT_EQ(usage.cpu_percent.size(), 1u);
    ASSERT_EQ(usage.cpu_percent[0].points.size(), 1u);
    EXPECT_DOUBLE_EQ(usage.cpu_percent[0].points[0].value, 10.0);
}

TEST(ReportUsage, AFileWithoutTheColumnsOrRowsAddsNoSeries) {
    NodeUsage usage;
    add_node_usage(usage, 0, "Timestamp,Other\n2026-12-01T19:55:00.000000,1\n");
    add_node_usage(usage, 1, kHeader);
    EXPECT_TRUE(usage.cpu_percent.empty());
    EXPECT_TRUE(usage.gpu_percent.empty());
}

TEST(ReportUsage, ReadsNvidiaSmiSamplesPerGpu) {
    NodeUsage usage;
    add_gpu_usage(usage, 1,
                  "timestamp, index, utilization.gpu [%], memory.used [MiB], memory.total [MiB]\n"
                  "2026/12/01 19:55:00.500, 0, 35, 1024, 81920\n"
                  "2026/12/01 19:55:00.501, 1, 90, 2048, 81920\n"
                  "2026/12/01 19:55:01.500, 0, 40, 1024, 81920\n"
                  "2026/12/01 19:55:02.500, 1, [N/A], 2048, 81920\n");
    ASSERT_EQ(usage.gpu_percent.size(), 2u);
    EXPECT_EQ(usage.gpu_percent[0].label, "node 1 GPU 0");
    EXPECT_EQ(usage.gpu_percent[1].label, "node 1 GPU 1");
    ASSERT_EQ(usage.gpu_percent[0].points.size(), 2u);
    EXPECT_EQ(usage.gpu_percent[0].points[1].epoch_us - usage.gpu_percent[0].points[0].epoch_us, 1000000);
    EXPECT_DOUBLE_EQ(usage.gpu_percent[0].points[1].value, 40.0);
    ASSERT_EQ(usage.gpu_percent[1].points.size(), 1u);
    EXPECT_TRUE(usage.cpu_percent.empty());
}
