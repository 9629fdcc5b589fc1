#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "prs/orchestrator/failed_items.hpp"
#include "prs/util/h5_file.hpp"

using namespace prs::orchestrator;
using prs::protocol::InputKind;
namespace fs = std::filesystem;
namespace h5 = prs::util::h5;

namespace {

struct TempDir {
    fs::path dir;
    TempDir() {
        char tmpl[] = "/tmp/prs_failed_items_XXXXXX";
        dir = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(dir); }
};

std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

FailedMiniBatch failed_files(std::uint64_t id, std::vector<std::string> files) {
    FailedMiniBatch f{};
    f.descriptor.id = id;
    f.descriptor.attempt = 2;
    f.descriptor.files = std::move(files);
    f.last.mini_batch_id = id;
    f.last.attempt = 2;
    f.last.status = prs::protocol::AttemptStatus::RunException;
    f.last.error_category = "UserError";
    f.last.error_message = "ValueError: bad \"file\"";
    f.last.node_id = 0;
    f.last.process = "process002";
    return f;
}

}  // namespace

TEST(FailedItems, AFileListLineNamesItsFilesTheErrorAndTheLogs) {
    const auto line = failed_items_line(failed_files(7, {"/d/a.txt", "/d/b.txt"}), {}, {});
    EXPECT_EQ(line,
              "{\"mini_batch_id\": 7, \"items\": [\"/d/a.txt\", \"/d/b.txt\"], \"attempts\": 3, \"status\": "
              "\"RUN_EXCEPTION\", \"error_category\": \"UserError\", \"error_message\": \"ValueError: bad "
              "\\\"file\\\"\", \"logs\": [\"logs/sys/job_report/processed_mini-batches.csv\", "
              "\"logs/user/error/0/process002.txt\", \"logs/user/stderr/0/process002.stderr.txt\", "
              "\"logs/user/stdout/0/process002.stdout.txt\", \"logs/sys/node/0/process002.txt\"]}\n")
        << line;
}

TEST(FailedItems, Hdf5AndPartitionLinesNameRowsAndKeyValues) {
    prs::protocol::InputFormat h5;
    h5.kind = InputKind::Hdf5;
    h5.datasets = {"/x", "/y"};
    auto f = failed_files(1, {"/d/a.h5"});
    f.descriptor.kind = InputKind::Hdf5;
    f.descriptor.begin = 1024;
    f.descriptor.end = 2048;
    EXPECT_NE(failed_items_line(f, h5, {}).find(
                  "\"items\": [{\"file\": \"/d/a.h5\", \"datasets\": [\"/x\", \"/y\"], \"rows\": [1024, 2048]}]"),
              std::string::npos);
    EXPECT_EQ(failed_items_mltable({f}, h5, "rows.csv"), "") << "HDF5 has no MLTable form";

    prs::protocol::InputFormat keyed;
    keyed.partition_keys = {"Store", "Brand"};
    auto p = failed_files(2, {"/d/Store=1/Brand=x/a.csv"});
    p.descriptor.partition_values = {"1", "x"};
    EXPECT_NE(failed_items_line(p, keyed, {})
                  .find("\"items\": [{\"partition_key_value\": {\"Store\": \"1\", "
                        "\"Brand\": \"x\"}, \"files\": [\"/d/Store=1/Brand=x/a.csv\"]}]"),
              std::string::npos);
}

TEST(FailedItems, AFileListMLTableListsEachFailedFileOnce) {
    const auto text = failed_items_mltable({failed_files(0, {"/d/b.txt", "/d/a.txt"}), failed_files(3, {"/d/a.txt"})},
                                           {}, "rows.csv");
    EXPECT_EQ(text.substr(text.find("paths:")), "paths:\n  - file: \"/d/a.txt\"\n  - file: \"/d/b.txt\"\n");
}

TEST(FailedItems, TabularRowsAreCopiedWithTheHeaderAndNumbered) {
    TempDir t;
    const auto csv = t.dir / "t.csv";
    std::ofstream(csv) << "id,name\n0,a\n1,b\n2,c\n3,d\n";  // rows start at bytes 8, 12, 16, 20
    prs::protocol::InputFormat input;
    input.kind = InputKind::Delimited;
    auto f = failed_files(1, {csv.string()});
    f.descriptor.kind = InputKind::Delimited;
    f.descriptor.begin = 12;
    f.descriptor.end = 20;
    auto g = failed_files(2, {csv.string()});
    g.descriptor.kind = InputKind::Delimited;
    g.descriptor.begin = 20;
    g.descriptor.end = 0;  // to the end of the file
    const auto out = t.dir / "run" / "failed_items";
    fs::create_directories(out);
    std::ofstream(out / "stale.txt") << "an earlier run's";
    write_failed_items_folder(out, {f, g}, input);
    EXPECT_FALSE(fs::exists(out / "stale.txt")) << "the folder describes the last run only";
    EXPECT_EQ(read(out / "rows.csv"), "id,name\n1,b\n2,c\n3,d\n");
    const auto jsonl = read(out / "failed_items.jsonl");
    EXPECT_NE(jsonl.find("\"bytes\": [12, 20], \"first_row\": 2, \"last_row\": 3"), std::string::npos) << jsonl;
    EXPECT_NE(jsonl.find("\"bytes\": [20, 24], \"first_row\": 4, \"last_row\": 4"), std::string::npos) << jsonl;
    const auto mltable = read(out / "MLTable");
    EXPECT_NE(mltable.find("  - file: ./rows.csv\ntransformations:\n  - read_delimited:\n      delimiter: \",\"\n"
                           "      header: all_files_same_headers\n"),
              std::string::npos)
        << mltable;
    write_failed_items_folder(out, {}, input);
    EXPECT_FALSE(fs::exists(out)) << "a run without failed mini-batches writes none";
}

TEST(FailedItems, ColumnKeyedGroupsHandBackOnlyTheirRows) {
    TempDir t;
    const auto a = t.dir / "a.csv";
    const auto b = t.dir / "b.csv";
    std::ofstream(a) << "id,store\n0,s1\n1,s2\n2,s1\n";
    std::ofstream(b) << "id,store\n3,s2\n4,s1\n";
    prs::protocol::InputFormat input;
    input.kind = InputKind::Delimited;
    input.partition_keys = {"store"};
    input.first_file = a.string();
    auto f = failed_files(0, {a.string(), b.string()});
    f.descriptor.kind = InputKind::Delimited;
    f.descriptor.partition_values = {"s1"};
    f.descriptor.keys_from_columns = true;
    const auto out = t.dir / "failed_items";
    write_failed_items_folder(out, {f}, input);
    EXPECT_EQ(read(out / "rows.csv"), "id,store\n0,s1\n2,s1\n4,s1\n");
    const auto mltable = read(out / "MLTable");
    EXPECT_NE(mltable.find("  - file: ./rows.csv\n"), std::string::npos) << mltable;
    EXPECT_NE(mltable.find("      encoding: utf8\n"), std::string::npos) << mltable;
}

TEST(FailedItems, Hdf5RowsAreCopiedIntoAnHdf5InputOfTheSameDatasets) {
    TempDir t;
    const auto source = (t.dir / "a.h5").string();
    {
        const h5::File file(H5Fcreate(source.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "create");
        const hsize_t dims[2] = {10, 2};
        const h5::Dataspace space(H5Screate_simple(2, dims, nullptr), "space");
        const h5::PropertyList links(H5Pcreate(H5P_LINK_CREATE), "lcpl");
        h5::check(H5Pset_create_intermediate_group(links.get(), 1), "intermediate groups");
        const h5::Dataset d(H5Dcreate2(file.get(), "/g/x", H5T_NATIVE_INT32, space.get(), links.get(), H5P_DEFAULT,
                                       H5P_DEFAULT),
                            "dataset");
        std::vector<std::int32_t> values(20);
        for (int i = 0; i < 20; ++i) values[static_cast<std::size_t>(i)] = i;
        h5::check(H5Dwrite(d.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "write");
    }
    prs::protocol::InputFormat input;
    input.kind = InputKind::Hdf5;
    input.datasets = {"/g/x"};
    auto f = failed_files(0, {source});
    f.descriptor.kind = InputKind::Hdf5;
    f.descriptor.begin = 1;
    f.descriptor.end = 3;
    auto g = failed_files(4, {source});
    g.descriptor.kind = InputKind::Hdf5;
    g.descriptor.begin = 8;
    g.descriptor.end = 9;
    const auto out = t.dir / "failed_items";
    write_failed_items_folder(out, {f, g}, input);
    const h5::File copy = h5::open_file((out / "rows-00000.h5").string());
    const auto x = h5::find_dataset(copy.get(), "/g/x");
    ASSERT_TRUE(x);
    EXPECT_EQ(h5::shape(x->get()), (std::vector<hsize_t>{3, 2}));
    std::vector<std::int32_t> rows(6);
    h5::check(H5Dread(x->get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), "read");
    EXPECT_EQ(rows, (std::vector<std::int32_t>{2, 3, 4, 5, 16, 17}));
    EXPECT_NE(read(out / "input.yml").find("type: hdf5\npath: \"" + out.string() + "\"\ndatasets: [\"/g/x\"]\n"),
              std::string::npos);
    EXPECT_FALSE(fs::exists(out / "MLTable")) << "Azure's MLTable has no HDF5 reader";
}
