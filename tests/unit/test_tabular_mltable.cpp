// MLTable files: paths, read transformations, and errors that name file:line:column.

#include "prs/partition/mltable.hpp"
#include "prs/partition/partition_format.hpp"
#include "prs/partition/path_pattern.hpp"
#include "prs/partition/row_window.hpp"
#include "test_tabular_fixture.hpp"

namespace prs::partition::testing {

namespace {

using Header = protocol::InputFormat::Header;

class MLTableTest : public TabularDir {
protected:
    // The InputError's message of reading an MLTable with this text.
    std::string error_of(const std::string& mltable) {
        write("MLTable", mltable);
        try {
            read_mltable(dir());
        } catch (const InputError& e) {
            return e.what();
        }
        ADD_FAILURE() << "no InputError for:\n" << mltable;
        return {};
    }
};

TEST_F(MLTableTest, SeedIrisShapeIsDelimited) {
    const auto iris = write("iris.csv", "sepal_length,species\n5.1,setosa\n");
    write("MLTable",
          "paths:\n"
          "  - file: ./iris.csv\n"
          "transformations:\n"
          "  - read_delimited:\n"
          "      delimiter: ','\n"
          "      encoding: 'ascii'\n"
          "      header: all_files_same_headers\n");
    const MLTable t = read_mltable(dir());
    EXPECT_EQ(t.files, std::vector<std::string>{iris});
    EXPECT_EQ(t.format.kind, protocol::InputKind::Delimited);
    EXPECT_EQ(t.format.delimiter, ",");
    EXPECT_EQ(t.format.encoding, "ascii");
    EXPECT_EQ(t.format.header, Header::AllFilesSameHeaders);
    EXPECT_EQ(t.format.first_file, iris);
    EXPECT_TRUE(t.warnings.empty());
    // What every rank builds from the job.
    EXPECT_EQ(describe_input(job()).kind, protocol::InputKind::Delimited);
}

TEST_F(MLTableTest, ConfigFixtureShapeWithNullOptionsTakesDefaults) {
    write("iris.csv", "a\n1\n");
    write("MLTable", "paths:\n  - file: ./iris.csv\ntransformations:\n  - read_delimited:\n");
    const auto f = read_mltable(dir()).format;
    EXPECT_EQ(f.kind, protocol::InputKind::Delimited);
    EXPECT_EQ(f.encoding, "utf8");
    EXPECT_EQ(f.header, Header::AllFilesSameHeaders);
    EXPECT_FALSE(f.support_multi_line);
}

TEST_F(MLTableTest, AllOptionsAndJsonLines) {
    write("a.tsv", "x\n");
    write("MLTable",
          "type: mltable\n"
          "paths:\n  - file: a.tsv\n"
          "transformations:\n"
          "  - read_delimited:\n"
          "      delimiter: '\\t'\n"
          "      header: from_first_file\n"
          "      encoding: latin1\n"
          "      empty_as_string: true\n"
          "      support_multi_line: true\n");
    const auto f = read_mltable(dir()).format;
    EXPECT_EQ(f.delimiter, "\t");
    EXPECT_EQ(f.header, Header::FromFirstFile);
    EXPECT_EQ(f.encoding, "latin1");
    EXPECT_TRUE(f.empty_as_string);
    EXPECT_TRUE(f.support_multi_line);

    write("MLTable", "paths:\n  - file: a.tsv\ntransformations:\n  - read_json_lines:\n      encoding: utf8\n");
    EXPECT_EQ(read_mltable(dir()).format.kind, protocol::InputKind::JsonLines);
}

TEST_F(MLTableTest, PathsWithoutReadTransformationAreAFileList) {
    write("d/b.png", "");
    write("d/sub/a.png", "");
    write("c.png", "");
    write("MLTable", "paths:\n  - folder: ./d\n  - file: c.png\n  - pattern: ./d/**/*.png\n");
    const MLTable t = read_mltable(dir());
    EXPECT_EQ(t.format.kind, protocol::InputKind::FileList);
    // Sorted, each file once although the folder and the pattern both name d/*.
    EXPECT_EQ(t.files, (std::vector<std::string>{(dir() / "c.png").string(), (dir() / "d/b.png").string(),
                                                 (dir() / "d/sub/a.png").string()}));
    auto p = make_mltable_partition(job(), describe_input(job()));
    EXPECT_EQ(p->mini_batch_count(), 1u);
    EXPECT_EQ(p->next()->files.size(), 3u);
}

TEST_F(MLTableTest, PatternsMatchWithinAndAcrossFolders) {
    for (auto rel : {"x/1.csv", "x/2.txt", "x/y/3.csv", "x/y/z/4.csv", "x/.hidden.csv"}) write(rel, "");
    const auto rel = [&](const std::vector<std::string>& files) {
        std::vector<std::string> out;
        for (const auto& f : files) out.push_back(fs::path(f).lexically_relative(dir()).string());
        return out;
    };
    EXPECT_EQ(rel(match_files(dir(), "x/*.csv")), std::vector<std::string>{"x/1.csv"});
    EXPECT_EQ(rel(match_files(dir(), "x/**/*.csv")), (std::vector<std::string>{"x/1.csv", "x/y/3.csv", "x/y/z/4.csv"}));
    EXPECT_EQ(rel(match_files(dir(), "x/**")),
              (std::vector<std::string>{"x/1.csv", "x/2.txt", "x/y/3.csv", "x/y/z/4.csv"}));
    EXPECT_EQ(rel(match_files(dir(), (dir() / "x/y/?.csv").string())), std::vector<std::string>{"x/y/3.csv"});
}

TEST_F(MLTableTest, ErrorsNameFileLineColumnKeyAndFix) {
    write("iris.csv", "a\n1\n");
    const std::string file = (dir() / "MLTable").string();
    const std::string delimited = "paths:\n  - file: iris.csv\ntransformations:\n  - read_delimited:\n";

    auto e = error_of("paths:\n  - file: ./missing.csv\n");
    EXPECT_NE(e.find(file + ":2:11: error: paths.file:"), std::string::npos) << e;
    EXPECT_NE(e.find("missing.csv' does not exist"), std::string::npos) << e;

    e = error_of(delimited + "      header: all_file_same_headers\n");
    EXPECT_NE(e.find(file + ":5:15:"), std::string::npos) << e;
    EXPECT_NE(e.find("did you mean 'all_files_same_headers'"), std::string::npos) << e;

    e = error_of(delimited + "      encoding: utf7\n");
    EXPECT_NE(e.find(":5:17:"), std::string::npos) << e;
    EXPECT_NE(e.find("encoding 'utf7' is not supported (supported: utf8, utf8bom, ascii, latin1 (iso88591), "
                     "windows1252, utf16, utf32)"),
              std::string::npos)
        << e;

    e = error_of(delimited + "      delimiter: ';;'\n");
    EXPECT_NE(e.find("transformations.read_delimited.delimiter"), std::string::npos) << e;

    e = error_of("paths:\n  - file: iris.csv\ntransformations:\n  - drop_columns: [a]\n");
    EXPECT_NE(e.find(":4:5: error: transformations.drop_columns: a table of paths has no columns"), std::string::npos)
        << e;
    EXPECT_NE(e.find("put `- read_delimited:`"), std::string::npos) << e;

    e = error_of("paths:\n  - file: iris.csv\ntransformations:\n  - read_delimeted:\n");
    EXPECT_NE(e.find("did you mean 'read_delimited'"), std::string::npos) << e;

    e = error_of("paths:\n  - file: azureml://datastores/x/paths/iris.csv\n");
    EXPECT_NE(e.find("not azureml: URIs"), std::string::npos) << e;

    e = error_of("paths:\n  - pattern: ./*.parquet\n");
    EXPECT_NE(e.find("matches no file"), std::string::npos) << e;

    e = error_of("paths: [\n");
    EXPECT_NE(e.find("not valid YAML"), std::string::npos) << e;

    e = error_of("transformations:\n  - read_delimited:\n");
    EXPECT_NE(e.find("paths: missing"), std::string::npos) << e;

    fs::remove(dir() / "MLTable");
    EXPECT_THROW(read_mltable(dir()), InputError);
}

TEST_F(MLTableTest, UnknownAndIgnoredKeysWarn) {
    write("iris.csv", "a\n1\n");
    write("MLTable",
          "path:\n  - file: iris.csv\n"
          "paths:\n  - file: iris.csv\n"
          "transformations:\n  - read_delimited:\n      delimter: ','\n      include_path_column: true\n");
    const auto table = read_mltable(dir());
    const auto& warnings = table.warnings;
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_NE(warnings[0].find(":1:1: warning: unknown key 'path'; did you mean 'paths'?"), std::string::npos)
        << warnings[0];
    EXPECT_NE(warnings[1].find("did you mean 'delimiter'?"), std::string::npos) << warnings[1];
    // The path column is the workers' to add: they get the MLTable file.
    EXPECT_EQ(table.format.mltable_file, (dir() / "MLTable").string());
}

TEST_F(MLTableTest, StepsAreCheckedAgainstTheHeaderAndPaths) {
    write("s1/b1/sales.csv", "week,units\n1,2\n");
    const std::string head =
        "paths:\n  - pattern: ./**/*.csv\ntransformations:\n  - read_delimited:\n"
        "      include_path_column: true\n";
    write("MLTable", head +
                         "  - extract_columns_from_partition_format:\n"
                         "      partition_format: \"{Store}/{Brand}/{file_name}.{extension}\"\n"
                         "  - drop_columns: [Path, file_name, extension]\n"
                         "  - keep_columns: [Store, units]\n"
                         "  - convert_column_types:\n      - columns: units\n        column_type: float\n"
                         "  - filter: 'col(\"units\") > 1 and col(\"Store\") == \"s1\"'\n");
    const auto table = read_mltable(dir());
    EXPECT_EQ(table.format.mltable_file, (dir() / "MLTable").string());
    EXPECT_EQ(table.partition_format, "{Store}/{Brand}/{file_name}.{extension}");

    auto e = error_of(head + "  - drop_columns: [Path, week2]\n");
    EXPECT_NE(e.find("MLTable:6:19: error: transformations.drop_columns: column 'week2' does not exist here "
                     "(columns: Path, week, units)"),
              std::string::npos)
        << e;
    e = error_of(head + "  - keep_columns: [units]\n  - filter: 'col(\"week\") > 1'\n");
    EXPECT_NE(e.find("MLTable:7:13: error: transformations.filter: column 'week' does not exist"), std::string::npos)
        << e;
    write("MLTable", head + "  - filter: \"col('week') >= datetime(2024, 1, 31) or ~(col('units') != 2)\"\n");
    EXPECT_NO_THROW(read_mltable(dir()));
    e = error_of(head + "  - filter: 'col(\"week\") in [1, 2]'\n");
    EXPECT_NE(e.find("cannot evaluate 'in [1, 2]'"), std::string::npos) << e;
    e = error_of(head + "  - extract_columns_from_partition_format:\n      partition_format: '{Store}/{f}.json'\n");
    EXPECT_NE(e.find("MLTable:7:25: error: transformations.extract_columns_from_partition_format.partition_format: "
                     "'{Store}/{f}.json' does not match the path"),
              std::string::npos)
        << e;
    e = error_of(head + "  - convert_column_types:\n      - columns: week\n        column_type: integer\n");
    EXPECT_NE(e.find("MLTable:8:22: error: transformations.convert_column_types.column_type"), std::string::npos) << e;
    write("MLTable", head + "  - skip: 3\n  - take: 5\n  - skip: 1\n");
    EXPECT_EQ(read_mltable(dir()).window.skip, 4u);
    EXPECT_EQ(read_mltable(dir()).window.take, 4u);
    e = error_of(head + "  - filter: 'col(\"week\") > 1'\n  - take: 3\n");
    EXPECT_NE(e.find("MLTable:7:5: error: transformations.take: take counts rows over the whole table, but it comes "
                     "after a filter"),
              std::string::npos)
        << e;
    e = error_of(head + "  - take: -3\n");
    EXPECT_NE(e.find("expected a row count"), std::string::npos) << e;
    write("MLTable", head + "  - take_random_sample:\n      probability: 0.5\n      seed: 3\n");
    EXPECT_EQ(read_mltable(dir()).format.mltable_file, dir() / "MLTable");  // the workers apply it
    e = error_of(head + "  - take_random_sample:\n      probability: 0\n");
    EXPECT_NE(
        e.find("MLTable:7:20: error: transformations.take_random_sample.probability: expected a number in (0, 1]"),
        std::string::npos)
        << e;
    e = error_of(head + "  - take_random_sample:\n      probability: 0.5\n      seed: x\n");
    EXPECT_NE(e.find("transformations.take_random_sample.seed: expected a whole number"), std::string::npos) << e;
    e = error_of(head + "  - random_split:\n      percent: 0.5\n");
    EXPECT_NE(e.find("MLTable:6:5: error: transformations.random_split: random_split makes two tables"),
              std::string::npos)
        << e;
    e = error_of("paths:\n  - pattern: ./**/*.csv\ntransformations:\n  - read_delta_lake:\n");
    EXPECT_NE(e.find("convert the data to CSV"), std::string::npos) << e;
}

TEST_F(MLTableTest, RowWindowFindsTheRowsOfSkipAndTake) {
    write("a.csv", "x\n1\n2\n\n3\n");
    write("b.csv", "x\n4\n5\n6");
    protocol::InputFormat f;
    f.kind = protocol::InputKind::Delimited;
    const std::vector<std::string> files = {(dir() / "a.csv").string(), (dir() / "b.csv").string()};
    const auto ranges = row_window_ranges(files, f, RowWindow{}.skipped(2).taken(3));
    ASSERT_EQ(ranges.size(), 2u);
    // "3\n", past the blank row
    EXPECT_EQ(std::make_pair(ranges[0].begin, ranges[0].end), std::make_pair(uint64_t{7}, uint64_t{9}));
    EXPECT_EQ(std::make_pair(ranges[1].begin, ranges[1].end), std::make_pair(uint64_t{2}, uint64_t{6}));  // "4\n5\n"
    const auto rest = row_window_ranges(files, f, RowWindow{}.skipped(4));
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(std::make_pair(rest[0].begin, rest[0].end), std::make_pair(uint64_t{4}, uint64_t{7}));
    EXPECT_TRUE(row_window_ranges(files, f, RowWindow{}.taken(0)).empty());
}

TEST(PartitionFormat, MatchesThePathsTail) {
    const PartitionFormat f("{Store}/{Brand}/{file_name}.{extension}");
    EXPECT_EQ(f.columns(), (std::vector<std::string>{"Store", "Brand", "file_name", "extension"}));
    EXPECT_EQ(f.values("/data/1001/tropicana/part.1.csv"),
              (std::vector<std::string>{"1001", "tropicana", "part.1", "csv"}));
    EXPECT_EQ(f.values("/data/part.csv"), std::nullopt);
    const PartitionFormat dated("{Dept}/{Day:yyyy/MM/dd}/data.csv");
    EXPECT_EQ(dated.values("/x/Accounts/2019/01/02/data.csv"), (std::vector<std::string>{"Accounts", "2019/01/02"}));
    EXPECT_EQ(dated.values("/x/Accounts/2019/1/02/data.csv"), std::nullopt);
    EXPECT_THROW(PartitionFormat("{a}/{a}.csv"), InputError);
    EXPECT_THROW(PartitionFormat("plain.csv"), InputError);
}

TEST_F(MLTableTest, TabularSizeDefaultsToOneMegabyte) {
    std::string csv = "id\n";
    while (csv.size() < 3 * (1u << 20)) csv += "0123456789\n";
    write("big.csv", csv);
    write("MLTable", "paths:\n  - file: big.csv\ntransformations:\n  - read_delimited:\n");
    auto p = make_mltable_partition(job(), describe_input(job()));
    EXPECT_EQ(drain(*p).size(), 3u);
    auto j = job();
    j.mini_batch_size = 1u << 20;  // "1mb": the unit makes no difference for tabular inputs
    j.mini_batch_size_has_unit = true;
    EXPECT_EQ(drain(*make_mltable_partition(j, describe_input(j))).size(), 3u);
}

}  // namespace

}  // namespace prs::partition::testing
