#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "prs/output/frame_text.hpp"

namespace prs::output {
namespace {

std::string repr(double v) {
    std::string out;
    append_python_repr(out, v);
    return out;
}

TEST(PythonRepr, WritesWhatPythonsReprWrites) {
    // Python 3.11: [repr(v) for v in ...] (numpy's str and to_csv agree)
    const std::vector<std::pair<double, std::string_view>> cases = {
        {0.1, "0.1"},
        {1e-05, "1e-05"},
        {0.0001, "0.0001"},
        {0.00012345, "0.00012345"},
        {1e16, "1e+16"},
        {1e15, "1000000000000000.0"},
        {123456789012345678.0, "1.2345678901234568e+17"},
        {100.0, "100.0"},
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {-2.5, "-2.5"},
        {12345.678, "12345.678"},
        {0.30000000000000004, "0.30000000000000004"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {-1.5e-7, "-1.5e-07"},
        {1.5e300, "1.5e+300"},
        {std::numeric_limits<double>::infinity(), "inf"},
        {-std::numeric_limits<double>::infinity(), "-inf"},
    };
    for (const auto& [v, text] : cases) EXPECT_EQ(repr(v), text) << text;
}

TEST(FrameText, WritesRowsAsToCsvDoes) {
    const std::vector<std::int64_t> ids = {0, -7, 9007199254740993};
    const std::vector<std::uint64_t> big = {18446744073709551615ull, 1, 2};
    const std::vector<double> p = {0.25, 1.0, 1e-05};
    const std::vector<std::uint8_t> flags = {1, 0, 1};
    const std::vector<std::string_view> names = {"setosa", "versi color", "é"};
    std::string out = "kept\n";
    ASSERT_TRUE(
        append_frame_text(out,
                          {std::span<const std::int64_t>(ids), std::span<const std::uint64_t>(big),
                           std::span<const double>(p), Booleans{flags}, std::span<const std::string_view>(names)},
                          3, ','));
    EXPECT_EQ(out,
              "kept\n"
              "0,18446744073709551615,0.25,True,setosa\n"
              "-7,1,1.0,False,versi color\n"
              "9007199254740993,2,1e-05,True,é\n");
}

TEST(FrameText, RefusesWhatOnlyToCsvWrites) {
    const std::vector<std::int64_t> ids = {1, 2};
    const auto refused = [&](std::vector<std::string_view> texts, char sep = ' ') {
        std::string out = "kept";
        const bool ok = append_frame_text(
            out, {std::span<const std::int64_t>(ids), std::span<const std::string_view>(texts)}, 2, sep);
        if (!ok) {
            EXPECT_EQ(out, "kept");  // untouched when refused
        }
        return !ok;
    };
    EXPECT_TRUE(refused({"a b", "c"}));  // the separator: quoted
    EXPECT_FALSE(refused({"a b", "c"}, ','));
    EXPECT_TRUE(refused({"say \"x\"", "c"}, ','));
    EXPECT_TRUE(refused({"two\nlines", "c"}, ','));
    EXPECT_TRUE(refused({"cr\r", "c"}, ','));
    EXPECT_TRUE(refused({"", "c"}, ','));  // alone on a line it is written ""
    const std::vector<double> nan = {1.0, std::nan("")};
    std::string out;
    EXPECT_FALSE(append_frame_text(out, {std::span<const double>(nan)}, 2, ' '));  // NaN is to_csv's na_rep
    EXPECT_FALSE(append_frame_text(out, {}, 2, ' '));
    EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace prs::output
