#include "prs/util/h5_copy.hpp"

#include <algorithm>

#include "prs/util/h5_file.hpp"

namespace prs::util::h5 {

namespace {

// One range's rows of `from` into `to` at row `at`: a hyperslab each side, through memory.
void copy_range(hid_t from, hid_t to, hid_t type, const std::vector<hsize_t>& dims, hsize_t begin, hsize_t end,
                hsize_t at, const std::string& name) {
    std::vector<hsize_t> count = dims;
    count[0] = end - begin;
    if (count[0] == 0) return;
    hsize_t row_elements = 1;
    for (std::size_t i = 1; i < dims.size(); ++i) row_elements *= dims[i];
    std::vector<unsigned char> buffer(static_cast<std::size_t>(count[0] * row_elements * H5Tget_size(type)));
    std::vector<hsize_t> start(dims.size(), 0);
    const Dataspace memory(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                           "cannot make a memory dataspace");
    start[0] = begin;
    const Dataspace source(H5Dget_space(from), "cannot read the dataspace of '" + name + "'");
    check(H5Sselect_hyperslab(source.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
          "cannot select rows of '" + name + "'");
    check(H5Dread(from, type, memory.get(), source.get(), H5P_DEFAULT, buffer.data()),
          "cannot read rows of '" + name + "'");
    start[0] = at;
    const Dataspace target(H5Dget_space(to), "cannot read the dataspace of the copy of '" + name + "'");
    check(H5Sselect_hyperslab(target.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
          "cannot select rows of the copy of '" + name + "'");
    const herr_t written = H5Dwrite(to, type, memory.get(), target.get(), H5P_DEFAULT, buffer.data());
    // Variable-length strings were read as pointers HDF5 allocated; they are ours to free,
    // written or not.
    if (H5Tdetect_class(type, H5T_VLEN) > 0 || H5Tis_variable_str(type) > 0)
        H5Dvlen_reclaim(type, memory.get(), H5P_DEFAULT, buffer.data());
    check(written, "cannot write rows of the copy of '" + name + "'");
}

}  // namespace

void copy_rows(const std::string& source, const std::vector<std::string>& datasets,
               const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges, const std::string& target) {
    const File in = open_file(source);
    const File out(H5Fcreate(target.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                   "cannot create '" + target + "'");
    // "/group/x" needs its groups made on the way.
    const PropertyList links(H5Pcreate(H5P_LINK_CREATE), "cannot make a link property list");
    check(H5Pset_create_intermediate_group(links.get(), 1), "cannot set intermediate group creation");
    for (const auto& name : datasets) {
        const auto from = find_dataset(in.get(), name);
        if (!from) throw Error("'" + source + "' has no dataset '" + name + "'");
        std::vector<hsize_t> dims = shape(from->get());
        if (dims.empty()) throw Error("'" + name + "' in '" + source + "' is a scalar: it has no rows");
        const Datatype type(H5Dget_type(from->get()), "cannot read the type of '" + name + "'");
        std::vector<hsize_t> copy_dims = dims;
        copy_dims[0] = 0;
        for (const auto& [begin, end] : ranges)
            copy_dims[0] += std::min<hsize_t>(end, dims[0]) - std::min<hsize_t>(begin, dims[0]);
        const Dataspace space(H5Screate_simple(static_cast<int>(copy_dims.size()), copy_dims.data(), nullptr),
                              "cannot make the dataspace of the copy of '" + name + "'");
        const Dataset to(H5Dcreate2(out.get(), name.c_str(), type.get(), space.get(), links.get(), H5P_DEFAULT,
                                    H5P_DEFAULT),
                         "cannot create '" + name + "' in '" + target + "'");
        hsize_t at = 0;
        for (const auto& [begin, end] : ranges) {
            const hsize_t b = std::min<hsize_t>(begin, dims[0]);
            const hsize_t e = std::min<hsize_t>(end, dims[0]);
            copy_range(from->get(), to.get(), type.get(), dims, b, e, at, name);
            at += e - b;
        }
    }
}

}  // namespace prs::util::h5
