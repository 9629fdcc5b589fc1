#include <gtest/gtest.h>

#include <cstdio>

#include "prs/util/text.hpp"

namespace prs::util {
namespace {

std::string fixed(double v, int decimals) {
    std::string out = "x";
    append_fixed(out, v, decimals);
    return out.substr(1);
}

std::string printf_fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

TEST(AppendFixed, WritesWhatPrintfWritesForLogTimes) {
    for (const double v : {0.0, 0.000001, 0.0000004, 0.0000006, 0.123456, 1.5, 2.25, 59.999999, 60.0, 3600.125,
                           123456.789012, 0.0005, 0.0015})
        for (const int d : {0, 3, 6}) EXPECT_EQ(fixed(v, d), printf_fixed(v, d)) << v << " with " << d;
}

TEST(AppendFixed, ManySmallTimesMatchPrintf) {
    // Elapsed seconds of short mini-batches: the common case in every report row.
    for (int us = 0; us < 200000; us += 7) {
        const double v = us * 1e-6 + 3e-8;
        ASSERT_EQ(fixed(v, 6), printf_fixed(v, 6)) << v;
        ASSERT_EQ(fixed(v, 3), printf_fixed(v, 3)) << v;
    }
}

TEST(AppendFixed, HugeAndNegativeValuesStaySensible) {
    EXPECT_EQ(fixed(1e30, 2), printf_fixed(1e30, 2));
    EXPECT_EQ(fixed(-0.5, 3), "0.000");  // times are never negative; a clock step must not print garbage
}

TEST(CsvAndJson, QuoteOnlyWhatNeedsIt) {
    EXPECT_EQ(csv_field("plain"), "plain");
    EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(json_quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
    std::string out = "[";
    append_json_quoted(out, "x");
    EXPECT_EQ(out, "[\"x\"");
}

}  // namespace
}  // namespace prs::util
