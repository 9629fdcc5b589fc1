// Writes an HDF5 file for the integration tests (the machine has no h5py):
//
//   prs_make_h5 FILE OFFSET DATASET...
//   DATASET = NAME:TYPE:DIMS[:chunk=ROWS][:foreign_filter]
//   TYPE    = i32 | i64 | f64 | bool | S8 (fixed-length strings of 8 bytes)
//   DIMS    = 20 | 20x4 | 20x2x3
//
// Element k (in C order) of a number dataset is OFFSET + k, of a bool dataset k % 2 == 1,
// of a string dataset "r<OFFSET + k>"; tests compute the expected rows from that.
// chunk=ROWS: chunks of ROWS rows, deflate-compressed. foreign_filter: also passed through
// a filter that only this program registers, so readers fail on the data but not on the
// metadata.
#include <hdf5.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "prs/util/h5_handle.hpp"

namespace h5 = prs::util::h5;

namespace {

constexpr H5Z_filter_t kForeignFilter = 32123;

size_t pass_through(unsigned, size_t, const unsigned[], size_t nbytes, size_t*, void**) { return nbytes; }

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (auto stop = s.find(sep); stop != std::string::npos; stop = s.find(sep, start)) {
        parts.push_back(s.substr(start, stop - start));
        start = stop + 1;
    }
    parts.push_back(s.substr(start));
    return parts;
}

template <class T>
void fill(std::vector<char>& bytes, hsize_t n, T first) {
    bytes.resize(n * sizeof(T));
    for (hsize_t k = 0; k < n; ++k) {
        const T v = static_cast<T>(first + static_cast<T>(k));
        std::memcpy(bytes.data() + k * sizeof(T), &v, sizeof(T));
    }
}

void write_dataset(hid_t file, long offset, const std::string& spec) {
    const auto parts = split(spec, ':');
    if (parts.size() < 3) throw std::runtime_error("bad dataset spec: " + spec);
    const auto& name = parts[0];
    const auto& type_name = parts[1];
    std::vector<hsize_t> dims;
    for (const auto& d : split(parts[2], 'x')) dims.push_back(std::stoull(d));
    hsize_t n = 1;
    for (const auto d : dims) n *= d;

    std::vector<char> bytes;
    h5::Datatype type(H5Tcopy(H5T_NATIVE_INT32), "type");
    if (type_name == "i32") {
        fill<int>(bytes, n, static_cast<int>(offset));
    } else if (type_name == "i64") {
        type = h5::Datatype(H5Tcopy(H5T_NATIVE_INT64), "type");
        fill<long long>(bytes, n, offset);
    } else if (type_name == "f64") {
        type = h5::Datatype(H5Tcopy(H5T_NATIVE_DOUBLE), "type");
        fill<double>(bytes, n, static_cast<double>(offset));
    } else if (type_name == "bool") {  // as h5py writes numpy booleans
        type = h5::Datatype(H5Tenum_create(H5T_NATIVE_INT8), "enum");
        const signed char no = 0, yes = 1;
        h5::check(H5Tenum_insert(type.get(), "FALSE", &no), "FALSE");
        h5::check(H5Tenum_insert(type.get(), "TRUE", &yes), "TRUE");
        for (hsize_t k = 0; k < n; ++k) bytes.push_back(static_cast<char>(k % 2));
    } else if (type_name == "S8") {
        type = h5::Datatype(H5Tcopy(H5T_C_S1), "string");
        h5::check(H5Tset_size(type.get(), 8), "size");
        bytes.assign(n * 8, '\0');
        for (hsize_t k = 0; k < n; ++k)
            std::snprintf(bytes.data() + k * 8, 8, "r%lld", offset + static_cast<long long>(k));
    } else {
        throw std::runtime_error("unknown type " + type_name);
    }

    const h5::PropertyList create(H5Pcreate(H5P_DATASET_CREATE), "dcpl");
    for (std::size_t i = 3; i < parts.size(); ++i) {
        if (parts[i].rfind("chunk=", 0) == 0) {
            auto chunk = dims;
            chunk[0] = std::stoull(parts[i].substr(6));
            h5::check(H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data()), "chunk");
            h5::check(H5Pset_deflate(create.get(), 6), "deflate");
        } else if (parts[i] == "foreign_filter") {
            h5::check(H5Pset_filter(create.get(), kForeignFilter, H5Z_FLAG_MANDATORY, 0, nullptr), "filter");
        } else {
            throw std::runtime_error("unknown option " + parts[i]);
        }
    }
    const h5::PropertyList links(H5Pcreate(H5P_LINK_CREATE), "lcpl");
    h5::check(H5Pset_create_intermediate_group(links.get(), 1), "intermediate groups");
    const h5::Dataspace space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), "space");
    const h5::Dataset dataset(
        H5Dcreate2(file, name.c_str(), type.get(), space.get(), links.get(), create.get(), H5P_DEFAULT), name);
    h5::check(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), "write " + name);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s FILE OFFSET NAME:TYPE:DIMS[:chunk=ROWS][:foreign_filter]...\n", argv[0]);
        return 2;
    }
    const H5Z_class2_t filter = {H5Z_CLASS_T_VERS,  kForeignFilter, 1,       1,
                                 "prs test filter", nullptr,        nullptr, pass_through};
    try {
        h5::check(H5Zregister(&filter), "register filter");
        const h5::File file(H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), argv[1]);
        for (int i = 3; i < argc; ++i) write_dataset(file.get(), std::stol(argv[2]), argv[i]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "prs_make_h5: %s\n", e.what());
        return 1;
    }
    return 0;
}
