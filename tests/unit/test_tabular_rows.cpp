// A worker's reading of a tabular mini-batch: column names, encodings, and bad data
// reported with file and byte.

#include "prs/partition/delimited_rows.hpp"
#include "prs/partition/mini_batch_rows.hpp"
#include "test_tabular_fixture.hpp"

namespace prs::partition::testing {

namespace {

using Header = protocol::InputFormat::Header;

class TabularRows : public TabularDir {
protected:
    protocol::InputFormat format(Header header = Header::AllFilesSameHeaders, std::string first = {}) {
        protocol::InputFormat f;
        f.kind = protocol::InputKind::Delimited;
        f.header = header;
        f.first_file = std::move(first);
        return f;
    }

    static protocol::MiniBatchDescriptor range(const std::string& file, std::uint64_t begin = 0,
                                               std::uint64_t end = 0) {
        protocol::MiniBatchDescriptor d;
        d.kind = protocol::InputKind::Delimited;
        d.files = {file};
        d.begin = begin;
        d.end = end;
        return d;
    }

    static std::string error_of(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& f) {
        try {
            read_mini_batch_rows(d, f);
        } catch (const DataError& e) {
            return e.what();
        }
        ADD_FAILURE() << "no DataError";
        return {};
    }
};

TEST_F(TabularRows, HeaderNamesAsPandasGivesThem) {
    const auto a = write("a.csv",
                         "\xEF\xBB\xBF"
                         "id,,\"x,y\",id\n1,2,3,4\n");
    auto f = format(Header::AllFilesSameHeaders, a);
    const auto rows = read_mini_batch_rows(range(a), f);
    EXPECT_EQ(rows.names, (std::vector<std::string>{"id", "Unnamed: 1", "x,y", "id.1"}));
    EXPECT_EQ(rows.text, "1,2,3,4\n");
    EXPECT_EQ(rows.rows, 1u);
}

TEST_F(TabularRows, FromFirstFileAndNoHeader) {
    const auto a = write("a.csv", "p,q\n1,2\n");
    const auto b = write("b.csv", "3,4\n5,6");
    auto rows = read_mini_batch_rows(range(b), format(Header::FromFirstFile, a));
    EXPECT_EQ(rows.names, (std::vector<std::string>{"p", "q"}));
    EXPECT_EQ(rows.text, "3,4\n5,6\n");
    rows = read_mini_batch_rows(range(b, 4), format(Header::NoHeader));
    EXPECT_EQ(rows.names, (std::vector<std::string>{"Column1", "Column2"}));
    EXPECT_EQ(rows.text, "5,6\n");
}

TEST_F(TabularRows, RaggedRowNamesFileAndByte) {
    const auto a = write("a.csv", "a,b,c,d\n1,2,3,4\n1,2,3,4,5\n");
    const auto e = error_of(range(a, 8), format(Header::AllFilesSameHeaders, a));
    EXPECT_NE(e.find("ragged row in " + a +
                     " at byte 16 (row 2 of the mini-batch's rows from byte 8): 5 fields, "
                     "the header has 4"),
              std::string::npos)
        << e;
}

TEST_F(TabularRows, PlainRowsAreTakenWholeAsRowByRow) {
    // No quote, ASCII, no blank row: checked in bulk (the bytes are the text); a blank row, a
    // quote or a ragged row goes row by row. Both give pandas the same rows.
    const auto a = write("a.csv", "x,y\n1,2\r\n3,4\n5,6");
    auto rows = read_mini_batch_rows(range(a), format(Header::AllFilesSameHeaders, a));
    EXPECT_EQ(rows.text, "1,2\r\n3,4\n5,6\n");
    EXPECT_EQ(rows.rows, 3u);
    EXPECT_EQ(rows.file_rows, (std::vector<std::uint32_t>{3}));
    const auto b = write("b.csv", "x,y\n1,2\r\n \n3,\"4\"\n5,6\n");
    rows = read_mini_batch_rows(range(b), format(Header::AllFilesSameHeaders, b));
    EXPECT_EQ(rows.text, "1,2\r\n3,\"4\"\n5,6\n");
    EXPECT_EQ(rows.rows, 3u);
    EXPECT_EQ(rows.file_rows, (std::vector<std::uint32_t>{3}));
}

TEST_F(TabularRows, PlainRowsKeepTheirOffsetsWhenTheMLTableHasSteps) {
    // take_random_sample decides each row by its byte offset: rows checked in bulk must
    // still say where each began, as rows read one by one (a quote) do.
    const auto offsets = [&](const std::string& name, const std::string& text) {
        const auto file = write(name, text);
        auto f = format(Header::AllFilesSameHeaders, file);
        f.mltable_file = (dir() / "MLTable").string();
        std::vector<std::uint64_t> out;
        for (const auto& origin : read_mini_batch_rows(range(file), f).origins) out.push_back(origin.offset);
        return out;
    };
    EXPECT_EQ(offsets("plain.csv", "x,y\n1,2\n33,4\n5,6\n"), (std::vector<std::uint64_t>{4, 8, 13}));
    EXPECT_EQ(offsets("quoted.csv", "x,y\n1,2\n33,\"4\"\n5,6\n"), (std::vector<std::uint64_t>{4, 8, 15}));
}

TEST_F(TabularRows, UndecodableBytesNameFileByteAndEncoding) {
    const auto a = write("a.csv", "a,b\n1,ok\n2,caf\xE9\n");
    auto f = format(Header::AllFilesSameHeaders, a);
    const auto e = error_of(range(a), f);
    EXPECT_NE(e.find("undecodable bytes in " + a + " at byte 14 for encoding utf8"), std::string::npos) << e;
    f.encoding = "latin1";
    EXPECT_EQ(read_mini_batch_rows(range(a), f).text, "1,ok\n2,caf\xC3\xA9\n");
}

TEST_F(TabularRows, HeadersThatDifferFromTheFirstFileAreAnError) {
    const auto a = write("a.csv", "x,y\n1,2\n");
    const auto b = write("b.csv", "x,z\n3,4\n");
    const auto e = error_of(range(b), format(Header::AllFilesSameHeaders, a));
    EXPECT_NE(e.find("header of " + b + " differs from the header of " + a), std::string::npos) << e;
    EXPECT_NE(e.find("[x, z] vs [x, y]"), std::string::npos) << e;
}

TEST_F(TabularRows, UnterminatedQuoteSuggestsSupportMultiLine) {
    const auto a = write("a.csv", "x,y\n1,\"open\n2,3\n");
    const auto e = error_of(range(a, 4, 12), format(Header::AllFilesSameHeaders, a));
    EXPECT_NE(e.find("unterminated quoted field in " + a + " at byte 4"), std::string::npos) << e;
    EXPECT_NE(e.find("support_multi_line: true"), std::string::npos) << e;
}

TEST_F(TabularRows, JsonLinesRowsAndOrigins) {
    const auto a = write("a.jsonl", "{\"a\": 1}\n\n{\"a\": 2}");
    protocol::InputFormat f;
    f.kind = protocol::InputKind::JsonLines;
    auto d = range(a);
    d.kind = f.kind;
    const auto rows = read_mini_batch_rows(d, f);
    EXPECT_EQ(rows.text, "{\"a\": 1}\n{\"a\": 2}\n");
    ASSERT_EQ(rows.origins.size(), 2u);
    EXPECT_EQ(rows.origins[1].offset, 10u);
    EXPECT_TRUE(rows.names.empty());
}

TEST_F(TabularRows, PlainJsonLinesAreTheBytesFromTheirOffset) {
    const auto a = write("a.jsonl", "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3}");
    protocol::InputFormat f;
    f.kind = protocol::InputKind::JsonLines;
    auto d = range(a, 9);
    d.kind = f.kind;
    const auto rows = read_mini_batch_rows(d, f);
    EXPECT_EQ(rows.text, "{\"a\": 2}\n{\"a\": 3}\n");
    EXPECT_EQ(rows.rows, 2u);
    EXPECT_TRUE(rows.origins.empty());  // a row's byte: text_offset + its position
    EXPECT_EQ(rows.text_offset, 9u);
}

TEST(TabularScanner, SplitsFieldsLikePandas) {
    std::vector<std::string> fields;
    split_fields("1,\"a,\"\"b\"\"\",ab\"c,\"q\"x,", ',', fields);
    EXPECT_EQ(fields, (std::vector<std::string>{"1", "a,\"b\"", "ab\"c", "qx", ""}));
    DelimitedScanner s(',');
    const std::string text = "a,\"x\ny\",c\nd\n";
    const char* end = s.row_end(text.data(), text.data() + text.size());
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end - text.data(), 10);
    EXPECT_EQ(s.fields(), 3u);
    EXPECT_TRUE(is_blank_row(" \t\r\n", ','));
    EXPECT_FALSE(is_blank_row("\t\n", '\t'));
}

}  // namespace

}  // namespace prs::partition::testing
