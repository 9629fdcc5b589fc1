// Cutting tabular files into byte ranges: exhaustively, for every mini_batch_size from 1
// byte to the file's size, no row is lost, split or doubled, and the worker's reading
// of each range gives back exactly the file's rows.

#include <sys/stat.h>

#include <set>

#include "prs/partition/delimited_rows.hpp"
#include "prs/partition/mini_batch_rows.hpp"
#include "prs/partition/tabular.hpp"
#include "test_tabular_fixture.hpp"

namespace prs::partition::testing {

namespace {

using Header = protocol::InputFormat::Header;

protocol::InputFormat delimited(bool multi_line, Header header = Header::AllFilesSameHeaders) {
    protocol::InputFormat f;
    f.kind = protocol::InputKind::Delimited;
    f.support_multi_line = multi_line;
    f.header = header;
    return f;
}

// Rows with quoted fields holding the delimiter and doubled quotes, CRLF endings, blank
// lines, a long row, and no line break after the last row.
std::string csv_text(bool multi_line) {
    std::string s = "id,name,note\n";
    for (int i = 0; i < 30; ++i) {
        s += std::to_string(i) + ",";
        switch (i % 6) {
            case 0:
                s += "plain,x\n";
                break;
            case 1:
                s += "\"with, comma\",\"say \"\"hi\"\"\"\n";
                break;
            case 2:
                s += "\"\",\"\"\"\"\r\n";
                break;
            case 3:
                s += multi_line ? "\"two\nlines\",\"a\n\nb, \"\"c\"\"\"\n" : "q\"mid,y\n";
                break;
            case 4:
                s += "long," + std::string(40, 'L') + "\n\n";
                break;
            case 5:
                s += "a,\"\"\"quoted\"\" start\"\n";
                break;
        }
    }
    return s + "30,last,row";  // no final line break
}

// Row starts by an independent rule: after every '\n', or (quote-aware) after every
// '\n' outside quotes, quotes toggling (the text only opens quotes at field starts).
std::set<std::uint64_t> reference_row_starts(const std::string& s, bool quote_aware) {
    std::set<std::uint64_t> starts{0};
    bool quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '"' && quote_aware) quoted = !quoted;
        if (s[i] == '\n' && !quoted) starts.insert(i + 1);
    }
    return starts;
}

class TabularCut : public TabularDir {
protected:
    // Cuts `text` with every mini_batch_size and checks each cut against the reference.
    void cut_exhaustively(const std::string& text, const protocol::InputFormat& format_in) {
        const std::string file = write("data.csv", text);
        auto format = format_in;
        format.first_file = file;
        const bool quote_aware = format.kind == protocol::InputKind::Delimited && format.support_multi_line;
        const auto starts = reference_row_starts(text, quote_aware);
        const bool header = format.kind == protocol::InputKind::Delimited && format.header != Header::NoHeader;
        const std::uint64_t data_begin = header ? *std::next(starts.begin()) : 0;
        const std::string all_rows = rows_of(file, format, data_begin, 0);

        for (std::uint64_t size = 1; size <= text.size(); ++size) {
            SCOPED_TRACE("mini_batch_size " + std::to_string(size));
            ByteRangePartition p({file}, format, size);
            const std::uint64_t bound = p.mini_batch_count();
            const auto ranges = drain(p);
            ASSERT_FALSE(ranges.empty());
            EXPECT_EQ(p.mini_batch_count(), ranges.size()) << "exact once the cut is done";
            EXPECT_GE(bound, ranges.size()) << "an upper bound before";
            std::uint64_t at = data_begin;
            std::string rows;
            for (std::size_t i = 0; i < ranges.size(); ++i) {
                const auto& d = ranges[i];
                EXPECT_EQ(d.id, i);
                EXPECT_EQ(d.kind, format.kind);
                EXPECT_EQ(d.begin, at) << "ranges are contiguous: nothing lost or doubled";
                EXPECT_LT(d.begin, d.end) << "no empty range";
                EXPECT_TRUE(starts.count(d.begin)) << "range " << i << " starts mid-row at " << d.begin;
                EXPECT_TRUE(d.end == text.size() || starts.count(d.end)) << "range " << i << " ends mid-row";
                // It ends at the first row start at or after a grid point inside it.
                if (d.end != text.size()) {
                    const std::uint64_t grid = data_begin + (d.end - data_begin) / size * size;
                    EXPECT_GT(grid, d.begin);
                    EXPECT_EQ(starts.lower_bound(grid), starts.find(d.end)) << "a row starts before the cut";
                }
                at = d.end;
                rows += rows_of(file, format, d.begin, d.end);
            }
            EXPECT_EQ(at, text.size());
            EXPECT_EQ(rows, all_rows) << "the workers' rows are the file's rows, each once";
        }
    }

    // What a worker hands pandas for the range.
    static std::string rows_of(const std::string& file, const protocol::InputFormat& format, std::uint64_t begin,
                               std::uint64_t end) {
        protocol::MiniBatchDescriptor d;
        d.kind = format.kind;
        d.files = {file};
        d.begin = begin;
        d.end = end;
        return read_mini_batch_rows(d, format).text;
    }
};

TEST_F(TabularCut, EveryBoundaryQuotedDelimitersAndDoubledQuotes) {
    cut_exhaustively(csv_text(false), delimited(false));
}

TEST_F(TabularCut, EveryBoundaryQuotedLineBreaksWithSupportMultiLine) {
    cut_exhaustively(csv_text(true), delimited(true));
}

TEST_F(TabularCut, EveryBoundaryWithoutHeader) {
    cut_exhaustively(csv_text(false).substr(std::string("id,name,note\n").size()), delimited(false, Header::NoHeader));
}

TEST_F(TabularCut, EveryBoundaryJsonLines) {
    std::string text;
    for (int i = 0; i < 25; ++i) text += "{\"id\": " + std::to_string(i) + ", \"s\": \"a,\\\"b\\\"\"}\n";
    protocol::InputFormat f;
    f.kind = protocol::InputKind::JsonLines;
    cut_exhaustively(text, f);
}

TEST_F(TabularCut, WorkerRowsMatchTheFileRowsOneByOne) {
    // The reference rows of the multi-line text, as the worker returns them.
    const std::string text = csv_text(true);
    const std::string file = write("data.csv", text);
    auto format = delimited(true);
    format.first_file = file;
    protocol::MiniBatchDescriptor d;
    d.kind = format.kind;
    d.files = {file};
    const auto rows = read_mini_batch_rows(d, format);
    EXPECT_EQ(rows.rows, 31u);
    EXPECT_EQ(rows.names, (std::vector<std::string>{"id", "name", "note"}));
    EXPECT_NE(rows.text.find("3,\"two\nlines\",\"a\n\nb, \"\"c\"\"\"\n"), std::string::npos);
}

TEST_F(TabularCut, ReadsAFewBytesPerCutNotTheFile) {
    std::string text = "a,b\n";
    while (text.size() < (8u << 20)) text += "12345,\"x, y\"\n";
    const std::string file = write("big.csv", text);
    auto format = delimited(false);
    format.first_file = file;
    ByteRangePartition p({file}, format, 64 * 1024);
    const auto ranges = drain(p);
    // One per 64 KiB (the last grid cell may hold no row start).
    EXPECT_GE(ranges.size(), (text.size() - 4) / 65536);
    EXPECT_LE(ranges.size(), (text.size() - 4 + 65535) / 65536);
    EXPECT_LE(p.stats().cuts, ranges.size());
    EXPECT_EQ(p.stats().reads, p.stats().cuts);
    EXPECT_LE(p.stats().bytes_read, p.stats().cuts * 4096);
}

TEST_F(TabularCut, SmallFilesAreOneMiniBatchAndFilesAreNeverCrossed) {
    const auto a = write("a.csv", "h\n1\n2\n");
    const auto b = write("b.csv", "h\n3\n");
    const auto empty = write("c.csv", "");
    const auto header_only = write("d.csv", "h\n");
    auto format = delimited(false);
    format.first_file = a;
    ByteRangePartition p({a, b, empty, header_only}, format, 1u << 20);
    EXPECT_EQ(p.mini_batch_count(), 3u) << "one per non-empty file before reading";
    const auto ranges = drain(p);
    ASSERT_EQ(ranges.size(), 2u);
    EXPECT_EQ(ranges[0].files, std::vector<std::string>{a});
    EXPECT_EQ(ranges[0].begin, 2u);
    EXPECT_EQ(ranges[0].end, 6u);
    EXPECT_EQ(ranges[1].files, std::vector<std::string>{b});
    EXPECT_EQ(p.mini_batch_count(), 2u);
}

TEST_F(TabularCut, FifoIsOneMiniBatchAndNeverOpenedByRankZero) {
    const auto a = write("a.csv", "h\n1\n");
    const auto fifo = (dir() / "b.csv").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto format = delimited(false);
    format.first_file = a;
    ByteRangePartition p({a, fifo}, format, 1);
    const auto ranges = drain(p);  // would block forever if it opened the FIFO
    ASSERT_EQ(ranges.size(), 2u);
    EXPECT_EQ(ranges[1].files, std::vector<std::string>{fifo});
    EXPECT_EQ(ranges[1].begin, 0u);
    EXPECT_EQ(ranges[1].end, 0u);
}

}  // namespace

}  // namespace prs::partition::testing
