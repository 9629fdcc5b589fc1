#include "loaders.hpp"

#include <pybind11/numpy.h>

#include <fmt/format.h>

#include "prs/util/h5_element_type.hpp"
#include "prs/util/h5_file.hpp"

namespace py = pybind11;

namespace prs::worker {

namespace {

namespace h5 = util::h5;

// Rows [begin, end) of one dataset, every other axis whole, read by HDF5 straight into the
// buffer of a new numpy array: the only copy is HDF5's own (decompression, byte order).
py::array read_rows(hid_t file, const std::string& name, hsize_t begin, hsize_t end) {
    const auto dataset = h5::find_dataset(file, name);
    if (!dataset) throw h5::Error("the file has no such dataset");
    const h5::Dataspace file_space(H5Dget_space(dataset->get()), "cannot read the dataspace");
    const auto dims = h5::shape(dataset->get());
    if (dims.empty()) throw h5::Error("the dataset is a scalar, it has no rows");
    if (end > dims[0])
        throw h5::Error(
            fmt::format("the dataset has only {} rows (did the file change after the job started?)", dims[0]));
    const h5::Datatype file_type(H5Dget_type(dataset->get()), "cannot read the element type");
    const auto element = h5::element_type(file_type.get());

    std::vector<hsize_t> start(dims.size(), 0), count = dims;
    start[0] = begin;
    count[0] = end - begin;
    h5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
              "cannot select the rows");
    const h5::Dataspace memory_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                                     "cannot make the memory dataspace");

    py::array array(py::dtype(element.numpy_dtype), std::vector<py::ssize_t>(count.begin(), count.end()));
    void* buffer = array.mutable_data();
    herr_t status = 0;
    {
        // Reading and decompressing can take a while: let the entry script's threads run.
        const py::gil_scoped_release unlocked;
        status = H5Dread(dataset->get(), element.memory_type.get(), memory_space.get(), file_space.get(), H5P_DEFAULT,
                         buffer);
    }
    h5::check(status, "cannot read the rows");
    return array;
}

}  // namespace

LoadedMiniBatch load_hdf5(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& format) {
    if (d.files.empty() || d.end <= d.begin)
        throw LoadError(fmt::format("HDF5 mini-batch {} names no file or an empty row range", d.id));
    const auto& path = d.files.front();
    const auto rows = d.end - d.begin;
    std::string current;  // the dataset being read, for the error message
    try {
        const auto file = h5::open_file(path);
        if (format.datasets.size() == 1) {
            current = format.datasets.front();
            return {read_rows(file.get(), current, d.begin, d.end), static_cast<std::uint32_t>(rows)};
        }
        py::dict arrays;
        for (const auto& name : format.datasets) {
            current = name;
            arrays[py::str(name)] = read_rows(file.get(), name, d.begin, d.end);
        }
        return {std::move(arrays), static_cast<std::uint32_t>(rows)};
    } catch (const h5::Error& e) {
        const auto where = current.empty() ? std::string() : fmt::format(", dataset '{}'", current);
        throw LoadError(fmt::format("HDF5 file '{}'{}, rows [{}, {}): {}", path, where, d.begin, d.end, e.what()));
    }
}

}  // namespace prs::worker
