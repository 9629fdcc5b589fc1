// HDF5 inputs on rank 0: which files count, the metadata checks and their messages, and
// row ranges that cover every row once without crossing files. The files are written
// here with the HDF5 C API.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "prs/partition/file_list.hpp"
#include "prs/util/h5_element_type.hpp"
#include "prs/util/h5_file.hpp"

namespace prs::partition {
namespace {

namespace fs = std::filesystem;
namespace h5 = util::h5;

struct DatasetSpec {
    std::string name;  // may hold groups: "/group/x"
    std::vector<hsize_t> dims;
    hid_t type = H5T_NATIVE_INT32;
    hsize_t chunk_rows = 0;  // > 0: chunked and deflate-compressed
};

void write_h5(const fs::path& path, const std::vector<DatasetSpec>& datasets) {
    const h5::File file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "create");
    for (const auto& spec : datasets) {
        const h5::Dataspace space(H5Screate_simple(static_cast<int>(spec.dims.size()), spec.dims.data(), nullptr),
                                  "space");
        const h5::PropertyList links(H5Pcreate(H5P_LINK_CREATE), "lcpl");
        h5::check(H5Pset_create_intermediate_group(links.get(), 1), "intermediate groups");
        const h5::PropertyList create(H5Pcreate(H5P_DATASET_CREATE), "dcpl");
        if (spec.chunk_rows > 0) {
            auto chunk = spec.dims;
            chunk[0] = spec.chunk_rows;
            h5::check(H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data()), "chunk");
            h5::check(H5Pset_deflate(create.get(), 6), "deflate");
        }
        const h5::Dataset dataset(H5Dcreate2(file.get(), spec.name.c_str(), spec.type, space.get(), links.get(),
                                             create.get(), H5P_DEFAULT),
                                  "dataset");
        hsize_t elements = 1;
        for (const auto d : spec.dims) elements *= d;
        std::vector<char> zeros(elements * H5Tget_size(spec.type) + 1);
        h5::check(H5Dwrite(dataset.get(), spec.type, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data()), "write");
    }
}

class Hdf5Partition : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / (std::string("prs_hdf5_") + test->name() + "_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    static config::JobSpec job(const fs::path& path, std::vector<std::string> datasets,
                               std::optional<std::uint64_t> rows_per_batch = std::nullopt) {
        config::JobSpec spec;
        config::InputSpec input;
        input.name = "arrays";
        input.type = config::InputType::Hdf5;
        input.path = path;
        input.datasets = std::move(datasets);
        spec.inputs.push_back(input);
        spec.major_input = "arrays";
        spec.mini_batch_size = rows_per_batch;
        return spec;
    }
    static std::unique_ptr<Partition> partition(const config::JobSpec& spec) {
        return make_partition(spec, describe_input(spec), list_files(spec.major().path));
    }
    static std::vector<protocol::MiniBatchDescriptor> drain(Partition& p) {
        std::vector<protocol::MiniBatchDescriptor> out;
        while (auto d = p.next()) out.push_back(*d);
        return out;
    }
    static std::string error_of(const config::JobSpec& spec) {
        try {
            partition(spec);
        } catch (const InputError& e) {
            return e.what();
        }
        return "no InputError";
    }

    fs::path dir_;
};

TEST_F(Hdf5Partition, RowRangesCoverEveryRowOnceAndNeverCrossFiles) {
    write_h5(dir_ / "a.h5", {{"/x", {10, 3}}, {"/y", {10}, H5T_NATIVE_INT64}});
    write_h5(dir_ / "b.hdf5", {{"/x", {25, 3}, H5T_NATIVE_INT32, 7}, {"/y", {25}, H5T_NATIVE_INT64, 4}});
    std::ofstream(dir_ / "README.txt") << "not data\n";
    const auto p = partition(job(dir_, {"/x", "/y"}, 4));
    EXPECT_EQ(p->mini_batch_count(), 3u + 7u);
    EXPECT_EQ(p->item_count(), 35u);

    const auto batches = drain(*p);
    ASSERT_EQ(batches.size(), 10u);
    std::map<std::string, std::vector<bool>> seen{{(dir_ / "a.h5").string(), std::vector<bool>(10)},
                                                  {(dir_ / "b.hdf5").string(), std::vector<bool>(25)}};
    for (std::size_t i = 0; i < batches.size(); ++i) {
        const auto& d = batches[i];
        EXPECT_EQ(d.id, i);
        EXPECT_EQ(d.kind, protocol::InputKind::Hdf5);
        ASSERT_EQ(d.files.size(), 1u);
        ASSERT_TRUE(seen.contains(d.files[0])) << d.files[0];
        auto& rows = seen[d.files[0]];
        ASSERT_LT(d.begin, d.end);
        ASSERT_LE(d.end, rows.size()) << "a mini-batch crosses the end of " << d.files[0];
        EXPECT_LE(d.end - d.begin, 4u);
        EXPECT_EQ(d.items, d.end - d.begin);
        for (auto r = d.begin; r < d.end; ++r) {
            EXPECT_FALSE(rows[r]) << d.files[0] << " row " << r << " twice";
            rows[r] = true;
        }
    }
    for (const auto& [file, rows] : seen)
        for (std::size_t r = 0; r < rows.size(); ++r) EXPECT_TRUE(rows[r]) << file << " row " << r << " missed";
    EXPECT_EQ(batches.front().files[0], (dir_ / "a.h5").string());  // files in sorted order
}

TEST_F(Hdf5Partition, OneFileWithA3dDatasetTakes1024RowsByDefault) {
    write_h5(dir_ / "cube.h5", {{"/group/cube", {3000, 2, 2}, H5T_NATIVE_FLOAT, 100}});
    const auto p = partition(job(dir_ / "cube.h5", {"/group/cube"}));
    const auto batches = drain(*p);
    ASSERT_EQ(batches.size(), 3u);
    EXPECT_EQ(p->mini_batch_count(), 3u);
    EXPECT_EQ(p->item_count(), 3000u);
    EXPECT_EQ(batches[0].end, 1024u);
    EXPECT_EQ(batches[2].begin, 2048u);
    EXPECT_EQ(batches[2].end, 3000u);
    EXPECT_EQ(batches[2].items, 952u);
}

TEST_F(Hdf5Partition, AMissingDatasetNamesTheFileAndWhatItHolds) {
    write_h5(dir_ / "a.h5", {{"/x", {5}}, {"/y", {5}}});
    write_h5(dir_ / "b.h5", {{"/x", {5}}, {"/labels", {5}}});
    const auto message = error_of(job(dir_, {"/x", "/y"}));
    EXPECT_NE(message.find((dir_ / "b.h5").string()), std::string::npos) << message;
    EXPECT_NE(message.find("no dataset '/y'"), std::string::npos) << message;
    EXPECT_NE(message.find("holds /labels, /x"), std::string::npos) << message;
}

TEST_F(Hdf5Partition, AMissingGroupIsAMissingDatasetAndAGroupIsNoDataset) {
    write_h5(dir_ / "a.h5", {{"/group/x", {5}}});
    EXPECT_NE(error_of(job(dir_, {"/nogroup/x"})).find("no dataset '/nogroup/x'; its top level holds /group"),
              std::string::npos);
    const auto message = error_of(job(dir_, {"/group"}));
    EXPECT_NE(message.find("'/group' is a group, not a dataset"), std::string::npos) << message;
}

TEST_F(Hdf5Partition, DatasetsOfDifferentLengthsAreRejectedWithTheLengths) {
    write_h5(dir_ / "a.h5", {{"/x", {10, 2}}, {"/y", {9}}});
    const auto message = error_of(job(dir_, {"/x", "/y"}));
    EXPECT_NE(message.find("/x: 10 rows, /y: 9 rows"), std::string::npos) << message;
    EXPECT_NE(message.find((dir_ / "a.h5").string()), std::string::npos) << message;
}

TEST_F(Hdf5Partition, ScalarsAndUnreadableTypesAreRejectedUpFront) {
    {
        const h5::File file(H5Fcreate((dir_ / "a.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "create");
        const h5::Dataspace scalar(H5Screate(H5S_SCALAR), "scalar");
        const h5::Dataspace rows(H5Screate_simple(1, std::vector<hsize_t>{4}.data(), nullptr), "rows");
        const h5::Datatype text(H5Tcopy(H5T_C_S1), "string");
        h5::check(H5Tset_size(text.get(), H5T_VARIABLE), "variable");
        h5::Dataset(H5Dcreate2(file.get(), "/s", H5T_NATIVE_INT, scalar.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    "s");
        h5::Dataset(H5Dcreate2(file.get(), "/names", text.get(), rows.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    "names");
    }
    EXPECT_NE(error_of(job(dir_, {"/s"})).find("dataset '/s' in HDF5 input file"), std::string::npos);
    const auto message = error_of(job(dir_, {"/names"}));
    EXPECT_NE(message.find("'/names'"), std::string::npos) << message;
    EXPECT_NE(message.find("a variable-length string"), std::string::npos) << message;
}

TEST_F(Hdf5Partition, ANonHdf5FileGetsHdf5sReason) {
    std::ofstream(dir_ / "bad.h5") << "plain text\n";
    const auto message = error_of(job(dir_, {"/x"}));
    EXPECT_NE(message.find((dir_ / "bad.h5").string()), std::string::npos) << message;
    EXPECT_NE(message.find("H5Fopen(): unable to open file"), std::string::npos) << message;
}

TEST_F(Hdf5Partition, AFolderWithoutH5FilesAndASizeUnitAreInputErrors) {
    std::ofstream(dir_ / "notes.txt") << "x\n";
    EXPECT_NE(error_of(job(dir_, {"/x"})).find("none ending in .h5 or .hdf5"), std::string::npos);
    write_h5(dir_ / "a.h5", {{"/x", {5}}});
    auto spec = job(dir_, {"/x"}, 10240);
    spec.mini_batch_size_has_unit = true;
    EXPECT_NE(error_of(spec).find("give the number of rows per mini-batch"), std::string::npos);
}

TEST_F(Hdf5Partition, NoRowsAtAllIsAnInputError) {
    write_h5(dir_ / "a.h5", {{"/x", {0, 3}}});
    EXPECT_NE(error_of(job(dir_, {"/x"})).find("has no rows"), std::string::npos);
}

// The numpy dtype each HDF5 element type reads as, byte order made explicit.
TEST(H5ElementType, MapsNumbersBooleansAndFixedStringsToNumpyDtypes) {
    const std::vector<std::pair<hid_t, std::string>> cases = {
        {H5T_STD_I8LE, "<i1"},   {H5T_STD_U8BE, "<u1"},      {H5T_STD_I16BE, "<i2"},    {H5T_NATIVE_UINT16, "<u2"},
        {H5T_STD_I32BE, "<i4"},  {H5T_NATIVE_UINT, "<u4"},   {H5T_NATIVE_INT64, "<i8"}, {H5T_STD_U64BE, "<u8"},
        {H5T_IEEE_F32BE, "<f4"}, {H5T_NATIVE_DOUBLE, "<f8"},
    };
    for (const auto& [type, dtype] : cases) EXPECT_EQ(h5::element_type(type).numpy_dtype, dtype);

    const h5::Datatype half(H5Tcopy(H5T_IEEE_F32LE), "half");
    h5::check(H5Tset_fields(half.get(), 15, 10, 5, 0, 10), "fields");
    h5::check(H5Tset_size(half.get(), 2), "size");
    EXPECT_EQ(h5::element_type(half.get()).numpy_dtype, "<f2");

    const h5::Datatype boolean(H5Tenum_create(H5T_NATIVE_INT8), "enum");
    const signed char no = 0, yes = 1, maybe = 2;
    h5::check(H5Tenum_insert(boolean.get(), "FALSE", &no), "FALSE");
    h5::check(H5Tenum_insert(boolean.get(), "TRUE", &yes), "TRUE");
    EXPECT_EQ(h5::element_type(boolean.get()).numpy_dtype, "?");
    h5::check(H5Tenum_insert(boolean.get(), "MAYBE", &maybe), "MAYBE");
    EXPECT_THROW(h5::element_type(boolean.get()), h5::Error);

    const h5::Datatype text(H5Tcopy(H5T_C_S1), "string");
    h5::check(H5Tset_size(text.get(), 16), "size");
    EXPECT_EQ(h5::element_type(text.get()).numpy_dtype, "S16");

    const h5::Datatype pair(H5Tcreate(H5T_COMPOUND, 8), "compound");
    h5::check(H5Tinsert(pair.get(), "a", 0, H5T_NATIVE_INT), "a");
    try {
        h5::element_type(pair.get());
        ADD_FAILURE() << "a compound type was accepted";
    } catch (const h5::Error& e) {
        EXPECT_NE(std::string(e.what()).find("a compound (struct) type"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace prs::partition
