#include <gtest/gtest.h>

#include "prs/agent/agent.hpp"

namespace prs::agent {
namespace {

TEST(PipelineDepth, OneAtATimeUntilDurationsAreKnown) { EXPECT_EQ(PipelineDepth{}.depth(), 1); }

TEST(PipelineDepth, ShortMiniBatchesArePipelinedUpToTheCap) {
    PipelineDepth d;
    d.observe(0.000020);  // a no-op run(): 20 µs
    EXPECT_EQ(d.depth(), PipelineDepth::kMax);
    PipelineDepth half_ms;
    half_ms.observe(0.0005);
    EXPECT_EQ(half_ms.depth(), 5);  // covers ~2 ms of work
}

TEST(PipelineDepth, LongMiniBatchesAreNotPipelined) {
    PipelineDepth d;
    d.observe(0.05);
    EXPECT_EQ(d.depth(), 1);
}

TEST(PipelineDepth, FollowsAChangeInDurationWithinAFewMiniBatches) {
    PipelineDepth d;
    for (int i = 0; i < 10; ++i) d.observe(0.00002);
    ASSERT_EQ(d.depth(), PipelineDepth::kMax);
    int seen = 0;
    while (d.depth() > 1 && seen < 20) {
        d.observe(1.0);
        ++seen;
    }
    EXPECT_EQ(d.depth(), 1);
    EXPECT_LE(seen, 2);  // one slow mini-batch weighs 20%: 0.2 s average already ends pipelining
}

}  // namespace
}  // namespace prs::agent
