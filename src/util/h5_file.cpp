#include "prs/util/h5_file.hpp"

#include <string_view>

namespace prs::util::h5 {

namespace {

// H5Lexists fails (rather than answering false) when an intermediate group is missing,
// so every prefix of the path is asked in turn: "/a", "/a/b", "/a/b/c".
bool path_exists(hid_t file, const std::string& name) {
    std::string prefix;
    std::size_t start = 0;
    while (start < name.size()) {
        auto stop = name.find('/', start);
        if (stop == std::string::npos) stop = name.size();
        if (stop > start) {
            prefix.append("/").append(name, start, stop - start);
            if (check(H5Lexists(file, prefix.c_str(), H5P_DEFAULT), "cannot look up '" + prefix + "'") == 0)
                return false;
        }
        start = stop + 1;
    }
    return true;
}

std::string_view kind_of(H5I_type_t type) {
    switch (type) {
        case H5I_GROUP:
            return "a group";
        case H5I_DATATYPE:
            return "a named datatype";
        default:
            return "not a dataset";
    }
}

herr_t append_name(hid_t, const char* name, const H5L_info_t*, void* data) {
    static_cast<std::vector<std::string>*>(data)->push_back(std::string("/") + name);
    return 0;
}

}  // namespace

File open_file(const std::string& path) {
    silence_error_printing();
    return File(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open the file");
}

std::optional<Dataset> find_dataset(hid_t file, const std::string& name) {
    if (!path_exists(file, name)) return std::nullopt;
    {
        const Object object(H5Oopen(file, name.c_str(), H5P_DEFAULT), "cannot open '" + name + "'");
        const H5I_type_t type = H5Iget_type(object.get());
        if (type != H5I_DATASET) throw Error("'" + name + "' is " + std::string(kind_of(type)) + ", not a dataset");
    }
    return Dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), "cannot open dataset '" + name + "'");
}

std::vector<std::string> top_level_names(hid_t file) {
    std::vector<std::string> names;
    check(H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, nullptr, append_name, &names), "cannot list the root group");
    return names;
}

std::vector<hsize_t> shape(hid_t dataset) {
    const Dataspace space(H5Dget_space(dataset), "cannot read the dataspace");
    const int rank = check(H5Sget_simple_extent_ndims(space.get()), "cannot read the dataspace's rank");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "cannot read the dataspace's extent");
    return dims;
}

}  // namespace prs::util::h5
