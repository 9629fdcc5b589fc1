#include <gtest/gtest.h>

#include "prs/hpc/worker_count.hpp"

TEST(WorkerCount, RequestsBeyondTheMachineAreCapped) {
    using prs::hpc::local_worker_count;
    const std::uint64_t gib = 1ull << 30;
    EXPECT_EQ(local_worker_count(8, 8, 64 * gib).workers, 8);
    EXPECT_EQ(local_worker_count(8, 8, 64 * gib).warning, "");
    EXPECT_EQ(local_worker_count(32, 8, 64 * gib).workers, 32) << "4 per core is allowed";
    const auto capped = local_worker_count(100000, 8, 64 * gib);
    EXPECT_EQ(capped.workers, 32);
    EXPECT_NE(capped.warning.find("max_concurrency_per_instance = 100000 is more workers than this machine can run"),
              std::string::npos)
        << capped.warning;
    EXPECT_NE(capped.warning.find("starting 32"), std::string::npos);
    EXPECT_EQ(local_worker_count(32, 8, 1 * gib).workers, 16) << "64 MiB per worker";
    EXPECT_EQ(local_worker_count(32, 8, 0).workers, 32) << "memory unknown: cores only";
    EXPECT_EQ(local_worker_count(4, 0, 1 << 20).workers, 1) << "never below one";
    EXPECT_GT(prs::hpc::available_memory(), 0u) << "read from /proc/meminfo";
}
