#include "loaders.hpp"

namespace py = pybind11;

namespace prs::worker {

py::object fs_str(const std::string& s) {
    PyObject* o = PyUnicode_DecodeFSDefaultAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
    if (!o) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(o);
}

py::list fs_list(const std::vector<std::string>& items) {
    py::list list(items.size());
    for (std::size_t i = 0; i < items.size(); ++i)
        PyList_SET_ITEM(list.ptr(), static_cast<Py_ssize_t>(i), fs_str(items[i]).release().ptr());
    return list;
}

LoadedMiniBatch load_file_list(const protocol::MiniBatchDescriptor& d) {
    return {fs_list(d.files), static_cast<std::uint32_t>(d.files.size())};
}

LoadedMiniBatch load_mini_batch(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& format) {
    switch (d.kind) {
        case protocol::InputKind::FileList:
            return load_file_list(d);
        case protocol::InputKind::Delimited:
        case protocol::InputKind::JsonLines:
            return load_tabular(d, format);
        case protocol::InputKind::Hdf5:
            return load_hdf5(d, format);
    }
    throw LoadError("unknown mini-batch kind " + std::to_string(static_cast<int>(d.kind)));
}

}  // namespace prs::worker
