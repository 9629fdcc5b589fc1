// partition_keys: one mini-batch per key value combination, from key=value folders or
// from key columns, and the worker's rows of one partition.

#include "prs/partition/file_list.hpp"
#include "prs/partition/mini_batch_rows.hpp"
#include "prs/partition/mltable.hpp"
#include "prs/partition/partition_keys.hpp"
#include "test_tabular_fixture.hpp"

namespace prs::partition::testing {

namespace {

class PartitionKeys : public TabularDir {
protected:
    void mltable(const std::string& paths) {
        write("MLTable", "paths:\n" + paths + "transformations:\n  - read_delimited:\n      delimiter: ','\n");
    }
    std::unique_ptr<Partition> partition(const config::JobSpec& j) {
        return make_partition(j, describe_input(j), list_files(j.major().path));
    }
};

TEST(PartitionKeyValues, FromKeyEqualsValueFolders) {
    const std::vector<std::string> keys{"Store", "Brand"};
    EXPECT_EQ(path_key_values("/d/Store=1001/Brand=tropicana/x.csv", keys),
              (std::vector<std::string>{"1001", "tropicana"}));
    EXPECT_EQ(path_key_values("/d/Brand=a%2Fb/Store=7/x.csv", keys), (std::vector<std::string>{"7", "a/b"}));
    EXPECT_EQ(path_key_values("/Store=1/d/Store=2/Brand=x/f.csv", keys), (std::vector<std::string>{"2", "x"}));
    EXPECT_FALSE(path_key_values("/d/Store=1001/x.csv", keys));
    EXPECT_FALSE(path_key_values("/d/Store=1001/Brand=x.csv", keys)) << "the file name is no folder";
}

TEST(PartitionKeyValues, SortNumbersByValue) {
    EXPECT_TRUE(key_value_less("2", "10"));
    EXPECT_TRUE(key_value_less("9.5", "10"));
    EXPECT_TRUE(key_value_less("10", "a"));
    EXPECT_TRUE(key_value_less("A", "a"));
    EXPECT_FALSE(key_value_less("10", "10"));
}

TEST_F(PartitionKeys, FromColumnsOnePerCombinationSortedWithTheirFiles) {
    const auto a = write("a.csv", "Store,Brand,q\n10,x,1\n2,y,2\n10,x,3\n");
    const auto b = write("b.csv", "Store,Brand,q\n2,y,4\n\"10\",\"x\",5\n2,z,6\n");
    mltable("  - pattern: ./*.csv\n");
    const auto j = job(config::InputType::MLTable, {"Store", "Brand"});
    const auto format = describe_input(j);
    auto p = partition(j);
    EXPECT_EQ(p->mini_batch_count(), 3u);
    const auto ds = drain(*p);
    ASSERT_EQ(ds.size(), 3u);
    EXPECT_EQ(ds[0].partition_values, (std::vector<std::string>{"2", "y"}));
    EXPECT_EQ(ds[0].files, (std::vector<std::string>{a, b}));
    EXPECT_EQ(ds[1].partition_values, (std::vector<std::string>{"2", "z"}));
    EXPECT_EQ(ds[1].files, std::vector<std::string>{b});
    EXPECT_EQ(ds[2].partition_values, (std::vector<std::string>{"10", "x"}));
    EXPECT_EQ(ds[2].kind, protocol::InputKind::Delimited);

    // The worker keeps the rows of its partition only, from every file.
    const auto rows = read_mini_batch_rows(ds[2], format);
    EXPECT_EQ(rows.text, "10,x,1\n10,x,3\n\"10\",\"x\",5\n");
    EXPECT_EQ(rows.rows, 3u);
    EXPECT_EQ(rows.names, (std::vector<std::string>{"Store", "Brand", "q"}));
}

TEST_F(PartitionKeys, FromColumnsEvenForAFileWhosePathNamesOtherValues) {
    // One file lacks key folders, so the keys come from columns for the whole job. The
    // file under Store=1/ also holds a Store=2 row: mini-batch 1 (that file alone) must not
    // take it, or the row is processed twice.
    write("loose.csv", "Store,q\n3,1\n");
    write("Store=1/part.csv", "Store,q\n1,2\n2,3\n");
    mltable("  - pattern: ./**/*.csv\n");
    const auto j = job(config::InputType::MLTable, {"Store"});
    const auto format = describe_input(j);
    const auto ds = drain(*partition(j));
    ASSERT_EQ(ds.size(), 3u);
    EXPECT_TRUE(ds[0].keys_from_columns);
    EXPECT_EQ(ds[0].partition_values, std::vector<std::string>{"1"});
    EXPECT_EQ(read_mini_batch_rows(ds[0], format).text, "1,2\n");
    EXPECT_EQ(ds[1].partition_values, std::vector<std::string>{"2"});
    EXPECT_EQ(read_mini_batch_rows(ds[1], format).text, "2,3\n");
}

TEST_F(PartitionKeys, FromPathsReadsNoRowsAndTheWorkerTakesWholeFiles) {
    const auto a = write("Store=2/Brand=x/part-0.csv", "q\n1\n2\n");
    const auto b = write("Store=2/Brand=x/part-1.csv", "q\n3\n");
    const auto c = write("Store=10/Brand=x/part-0.csv", "q\n4\n");
    mltable("  - pattern: ./**/*.csv\n");
    const auto j = job(config::InputType::MLTable, {"Store", "Brand"});
    const auto ds = drain(*partition(j));
    ASSERT_EQ(ds.size(), 2u);
    EXPECT_EQ(ds[0].files, (std::vector<std::string>{a, b}));
    EXPECT_EQ(ds[1].files, std::vector<std::string>{c});
    EXPECT_FALSE(ds[0].keys_from_columns);
    EXPECT_EQ(read_mini_batch_rows(ds[0], describe_input(j)).text, "1\n2\n3\n");
}

TEST_F(PartitionKeys, UriFolderNeedsKeyFolders) {
    write("Store=1/a.png", "");
    write("Store=1/b.png", "");
    write("Store=2/c.png", "");
    auto j = job(config::InputType::UriFolder, {"Store"});
    const auto ds = drain(*partition(j));
    ASSERT_EQ(ds.size(), 2u);
    EXPECT_EQ(ds[0].kind, protocol::InputKind::FileList);
    EXPECT_EQ(ds[0].items, 2u);
    EXPECT_EQ(ds[1].partition_values, std::vector<std::string>{"2"});

    write("loose.png", "");
    try {
        partition(j);
        FAIL() << "no InputError";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("loose.png' is not under Store=<value>/ folders"), std::string::npos)
            << e.what();
    }
}

TEST_F(PartitionKeys, MissingKeyColumnNamesFileAndColumns) {
    write("a.csv", "Store,q\n1,2\n");
    mltable("  - file: a.csv\n");
    try {
        partition(job(config::InputType::MLTable, {"Store", "Brand"}));
        FAIL() << "no InputError";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("partition key 'Brand' is not a column of '" + (dir() / "a.csv").string() +
                                             "' (its columns: Store, q)"),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(PartitionKeys, RowTooShortForTheKeysFailsTheWorkersOfItsFile) {
    write("a.csv", "q,Store\n1,7\n2\n");
    mltable("  - file: a.csv\n");
    const auto j = job(config::InputType::MLTable, {"Store"});
    const auto ds = drain(*partition(j));
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_THROW(read_mini_batch_rows(ds[0], describe_input(j)), DataError);
}

}  // namespace

TEST(PathFormat, TakesKeysFromTemplateSegments) {
    const PathFormat f("/{Store}/{Brand}/sales_*.csv", "/data", {"Brand", "Store"});
    EXPECT_EQ(f.values("/data/1001/tropicana/sales_2020.csv"), (std::vector<std::string>{"tropicana", "1001"}));
    EXPECT_FALSE(f.values("/data/1001/sales_2020.csv")) << "too few segments";
    EXPECT_FALSE(f.values("/data/1001/x/y/sales_2020.csv")) << "{key} and * stay within one segment";
    EXPECT_FALSE(f.values("/elsewhere/1001/x/sales_1.csv"));
    const PathFormat part("store_{Store}.v{Version}/data.csv", "/d/", {"Store"});
    EXPECT_EQ(part.values("/d/store_7.v2/data.csv"), std::vector<std::string>{"7"});
}

TEST(PathFormat, MissingOrDoubledKeyIsAnInputError) {
    EXPECT_THROW(PathFormat("{Store}/*.csv", "/d", {"Store", "Brand"}), InputError);
    EXPECT_THROW(PathFormat("{Store}/{Store}/*.csv", "/d", {"Store"}), InputError);
    EXPECT_THROW(PathFormat("{Store/*.csv", "/d", {"Store"}), InputError);
}

TEST_F(PartitionKeys, PartitionFormatGroupsFilesWithoutReadingThem) {
    const auto a = write("1001/tropicana/a.csv", "q\n1\n");
    const auto b = write("1001/tropicana/b.csv", "q\n2\n");
    const auto c = write("1002/dominicks/a.csv", "q\n3\n");
    mltable("  - pattern: ./**/*.csv\n");
    auto j = job(config::InputType::MLTable, {"Store", "Brand"});
    j.inputs[0].partition_format = "{Store}/{Brand}/*.csv";
    const auto ds = drain(*partition(j));
    ASSERT_EQ(ds.size(), 2u);
    EXPECT_EQ(ds[0].partition_values, (std::vector<std::string>{"1001", "tropicana"}));
    EXPECT_EQ(ds[0].files, (std::vector<std::string>{a, b}));
    EXPECT_EQ(ds[1].files, std::vector<std::string>{c});
    EXPECT_FALSE(ds[0].keys_from_columns);
    EXPECT_EQ(read_mini_batch_rows(ds[0], describe_input(j)).text, "1\n2\n");
    j.inputs[0].partition_format = "{Store}/*.csv";
    EXPECT_THROW(partition(j), InputError) << "files deeper than the format do not match";
}

}  // namespace prs::partition::testing
