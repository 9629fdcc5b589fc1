#include <gtest/gtest.h>

#include "prs/config/closest_key.hpp"

namespace prs::config {
namespace {

const std::vector<std::string> kKeys = {
    "mini_batch_size", "max_concurrency_per_instance", "retry_settings", "task", "type", "inputs", "outputs",
    "input_data"};

TEST(ConfigClosestKey, EditDistanceCountsSwapsAsOneAndFoldsCaseAndDashes) {
    EXPECT_EQ(edit_distance("timeout", "timeout"), 0u);
    EXPECT_EQ(edit_distance("timout", "timeout"), 1u);
    EXPECT_EQ(edit_distance("tpye", "type"), 1u);
    EXPECT_EQ(edit_distance("dry_run", "dry-run"), 0u);
    EXPECT_EQ(edit_distance("TASK", "task"), 0u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(ConfigClosestKey, SuggestsLikelyTypos) {
    EXPECT_EQ(closest_key("mini_batch_sise", kKeys), "mini_batch_size");
    EXPECT_EQ(closest_key("tpye", kKeys), "type");
    EXPECT_EQ(closest_key("retry_setting", kKeys), "retry_settings");
    EXPECT_EQ(closest_key("input", kKeys), "inputs");
    EXPECT_EQ(closest_key("max_concurrency", kKeys), "max_concurrency_per_instance");  // a unique truncation
}

TEST(ConfigClosestKey, StaysQuietWhenNothingIsClose) {
    EXPECT_EQ(closest_key("compute_cluster", kKeys), std::nullopt);
    EXPECT_EQ(closest_key("xyz", kKeys), std::nullopt);
    EXPECT_EQ(closest_key("inp", kKeys), std::nullopt);  // a prefix of two keys: no single guess
}

}  // namespace
}  // namespace prs::config
