// The bulk check of a tabular mini-batch's bytes (plain_rows.hpp): against a row-by-row
// reference on many inputs that put rows, delimiters, quotes and high bytes at every
// position of the eight-byte words, and on the cases a user's file has.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "prs/partition/delimited_rows.hpp"
#include "prs/partition/plain_rows.hpp"

namespace prs::partition {

namespace {

// What plain means, one row at a time.
std::optional<PlainRows> reference(std::string_view bytes, char delimiter, std::size_t fields,
                                   std::vector<std::uint64_t>* starts) {
    if (std::any_of(bytes.begin(), bytes.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
        return std::nullopt;
    if (delimiter && bytes.find('"') != std::string_view::npos) return std::nullopt;
    PlainRows out{0, fields};
    for (std::size_t at = 0; at < bytes.size();) {
        const std::size_t end = bytes.find('\n', at) + 1;
        const std::string_view row = bytes.substr(at, end - at);
        if (is_blank_row(row, delimiter)) return std::nullopt;
        if (delimiter) {
            const auto n = 1 + static_cast<std::size_t>(std::count(row.begin(), row.end(), delimiter));
            if (out.fields == 0) out.fields = n;
            if (n != out.fields) return std::nullopt;
        }
        if (starts) starts->push_back(at);
        ++out.rows;
        at = end;
    }
    if (!delimiter) out.fields = 0;
    return out;
}

TEST(PlainRows, AgreesWithTheRowByRowReading) {
    std::mt19937 random(7);
    // Mostly plain rows, so that both plain and not-plain inputs are common.
    const std::string alphabet = "abcdefgh01234567,,,,    \t";
    int plain = 0;
    for (int n = 0; n < 20000; ++n) {
        const int rows = 1 + static_cast<int>(random() % 6);
        const int width = 1 + static_cast<int>(random() % 4);
        std::string bytes;
        for (int r = 0; r < rows; ++r) {
            for (int f = 0; f < width; ++f) {
                if (f) bytes += ',';
                const int len = static_cast<int>(random() % 12);
                for (int i = 0; i < len; ++i) bytes += alphabet[random() % alphabet.size()];
            }
            if (random() % 8 == 0) bytes += ',';  // a ragged row
            if (random() % 40 == 0) bytes += '"';
            if (random() % 40 == 0) bytes += '\xc3';
            if (random() % 10 == 0) bytes += '\r';
            bytes += '\n';
        }
        for (const char delimiter : {',', '\t', '\0'}) {
            std::vector<std::uint64_t> got_starts, want_starts;
            const auto got = scan_plain_rows(bytes, delimiter, 0, &got_starts);
            const auto want = reference(bytes, delimiter, 0, &want_starts);
            ASSERT_EQ(got.has_value(), want.has_value()) << "delimiter " << int(delimiter) << " in [" << bytes << "]";
            if (!got) continue;
            ++plain;
            EXPECT_EQ(got->rows, want->rows) << bytes;
            EXPECT_EQ(got->fields, want->fields) << bytes;
            EXPECT_EQ(got_starts, want_starts) << bytes;
        }
    }
    EXPECT_GT(plain, 10000);
}

TEST(PlainRows, CountsRowsAndFields) {
    const auto got = scan_plain_rows("id,x,name\n1,0.5,ann\n2,1.5,bob\n", ',', 3);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->rows, 3u);
    EXPECT_EQ(got->fields, 3u);
}

TEST(PlainRows, ARowWithTheWrongFieldCountIsNotPlainEvenWhenTheTotalsAgree) {
    // 2 + 4 fields: as many delimiters as two rows of 3.
    EXPECT_FALSE(scan_plain_rows("1,2,3\n1,2\n1,2,3,4\n", ',', 0));
    EXPECT_FALSE(scan_plain_rows("1,2\n", ',', 3));
}

TEST(PlainRows, QuotesHighBytesAndBlankRowsAreLeftToTheRowByRowReading) {
    EXPECT_FALSE(scan_plain_rows("1,\"a,b\"\n", ',', 0));
    EXPECT_FALSE(scan_plain_rows("1,caf\xc3\xa9\n", ',', 0));
    EXPECT_FALSE(scan_plain_rows("1,2\n  \n3,4\n", ',', 0));
    // One column: a row without a delimiter is blank only when it holds nothing but blanks.
    const auto one = scan_plain_rows("a\nb\n", ',', 0);
    ASSERT_TRUE(one);
    EXPECT_EQ(one->rows, 2u);
    // A row of delimiters alone is a row of empty fields, not a blank row.
    EXPECT_TRUE(scan_plain_rows(",,\n1,2,3\n", ',', 0));
}

TEST(PlainRows, JsonLinesKeepTheirQuotesAndHaveNoFields) {
    std::vector<std::uint64_t> starts;
    const auto got = scan_plain_rows("{\"a\": 1, \"b\": 2}\n{\"a\": 3}\n", '\0', 0, &starts);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->rows, 2u);
    EXPECT_EQ(got->fields, 0u);
    EXPECT_EQ(starts, (std::vector<std::uint64_t>{0, 17}));
    EXPECT_FALSE(scan_plain_rows("{\"a\": \"\xc3\xa9\"}\n", '\0', 0));
}

}  // namespace

}  // namespace prs::partition
