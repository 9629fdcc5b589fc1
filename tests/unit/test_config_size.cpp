#include <gtest/gtest.h>

#include "prs/config/size.hpp"

namespace prs::config {
namespace {

struct SizeCase {
    const char* text;
    std::optional<std::uint64_t> value;
    bool has_unit;
};

class MiniBatchSize : public ::testing::TestWithParam<SizeCase> {};

TEST_P(MiniBatchSize, ParsesAsAzureDoes) {
    const SizeCase& c = GetParam();
    bool has_unit = !c.has_unit;  // must be overwritten on success
    const auto value = parse_mini_batch_size(c.text, &has_unit);
    EXPECT_EQ(value, c.value) << "'" << c.text << "'";
    if (c.value) {
        EXPECT_EQ(has_unit, c.has_unit) << "'" << c.text << "'";
    }
}

constexpr std::uint64_t kKb = 1024, kMb = kKb * 1024, kGb = kMb * 1024;

INSTANTIATE_TEST_SUITE_P(Table, MiniBatchSize,
                         ::testing::Values(SizeCase{"10", 10, false}, SizeCase{"1", 1, false}, SizeCase{"0", 0, false},
                                           SizeCase{"10kb", 10 * kKb, true}, SizeCase{"10KB", 10 * kKb, true},
                                           SizeCase{"10kB", 10 * kKb, true}, SizeCase{"1mb", kMb, true},
                                           SizeCase{"100MB", 100 * kMb, true}, SizeCase{"2Gb", 2 * kGb, true},
                                           SizeCase{"1 GB", kGb, true}, SizeCase{"10 MB", 10 * kMb, true},
                                           SizeCase{"1024 KB", kMb, true},
                                           // Refused: Azure's pattern is ^\d+([kKmMgG][bB])?$ plus one optional space.
                                           SizeCase{"10kib", std::nullopt, false}, SizeCase{"-1", std::nullopt, false},
                                           SizeCase{"", std::nullopt, false}, SizeCase{"kb", std::nullopt, false},
                                           SizeCase{"1.5mb", std::nullopt, false}, SizeCase{"10b", std::nullopt, false},
                                           SizeCase{"10  mb", std::nullopt, false},
                                           SizeCase{" 10", std::nullopt, false}, SizeCase{"10 ", std::nullopt, false},
                                           SizeCase{"10tb", std::nullopt, false}, SizeCase{"+10", std::nullopt, false},
                                           SizeCase{"99999999999999999999", std::nullopt, false},  // over 2^64
                                           SizeCase{"17179869184gb", std::nullopt, false}));       // 2^34 GiB overflows

TEST(MiniBatchSizeUnit, NullUnitPointerIsAllowed) { EXPECT_EQ(parse_mini_batch_size("3mb", nullptr), 3 * kMb); }

}  // namespace
}  // namespace prs::config
