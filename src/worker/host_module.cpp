#include "host_module.hpp"

#include <pybind11/embed.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loaders.hpp"
#include "prs/logs/layout.hpp"
#include "prs/output/frame_text.hpp"
#include "prs/util/bundled_python.hpp"

namespace py = pybind11;

namespace prs::worker {

RuntimeSetup runtime_setup(const protocol::WorkerSetup& setup) {
    // WorkerSetup::log_dir is <run_dir>/logs.
    const logs::Layout layout(std::filesystem::path(setup.log_dir).parent_path());
    return {setup, util::bundled_python_dir().string(),
            layout.entry_script_log(setup.node_id, setup.process_name).string(),
            layout.worker_profile(setup.node_id, setup.process_name).string()};
}

}  // namespace prs::worker

namespace {

using prs::protocol::AttemptStatus;
using prs::worker::fs_list;
using prs::worker::fs_str;
using prs::worker::RunOutcome;
using prs::worker::RuntimeSetup;

// A path or other text of the setup as Python decodes file names (surrogateescape).
template <std::string prs::protocol::WorkerSetup::*Field>
py::object setup_text(const RuntimeSetup& s) {
    return fs_str(s.worker.*Field);
}

template <typename T>
std::span<const T> array_span(const py::array& a) {
    return {static_cast<const T*>(a.data()), static_cast<std::size_t>(a.size())};
}

// The strings of an object column, read in place (CPython's UTF-8); false when one is not
// exactly a str, or holds surrogates (to_csv then writes it).
bool object_texts(const py::array& a, std::vector<std::string_view>& texts) {
    texts.reserve(static_cast<std::size_t>(a.size()));
    const auto* items = static_cast<PyObject* const*>(a.data());
    for (py::ssize_t i = 0; i < a.size(); ++i) {
        if (!PyUnicode_CheckExact(items[i])) return false;
        Py_ssize_t size = 0;
        const char* utf8 = PyUnicode_AsUTF8AndSize(items[i], &size);
        if (!utf8) {
            PyErr_Clear();
            return false;
        }
        texts.emplace_back(utf8, static_cast<std::size_t>(size));
    }
    return true;
}

// prs_runtime's columns (1-D C-contiguous int64, uint64, float64, bool or object arrays,
// `rows` values each) as append_row bytes; None when a column or value needs to_csv.
py::object frame_text(const py::list& arrays, std::size_t rows, const std::string& sep) {
    if (sep.size() != 1) return py::none();
    std::vector<prs::output::FrameColumn> columns;
    std::vector<std::vector<std::string_view>> texts;  // the object columns' views
    texts.reserve(arrays.size());
    for (const py::handle item : arrays) {
        const auto a = py::reinterpret_borrow<py::array>(item);
        if (a.ndim() != 1 || static_cast<std::size_t>(a.size()) != rows || !(a.flags() & py::array::c_style))
            return py::none();
        const char kind = a.dtype().kind();
        const auto bytes = a.itemsize();
        if (kind == 'i' && bytes == 8) {
            columns.emplace_back(array_span<std::int64_t>(a));
        } else if (kind == 'u' && bytes == 8) {
            columns.emplace_back(array_span<std::uint64_t>(a));
        } else if (kind == 'f' && bytes == 8) {
            columns.emplace_back(array_span<double>(a));
        } else if (kind == 'b' && bytes == 1) {
            columns.emplace_back(prs::output::Booleans{array_span<std::uint8_t>(a)});
        } else if (kind == 'O') {
            if (!object_texts(a, texts.emplace_back())) return py::none();
            columns.emplace_back(std::span<const std::string_view>(texts.back()));
        } else {
            return py::none();
        }
    }
    std::string out;
    if (!prs::output::append_frame_text(out, columns, rows, sep.front())) return py::none();
    return py::bytes(out);
}

}  // namespace

PYBIND11_EMBEDDED_MODULE(_prs_host, m) {
    using prs::protocol::WorkerSetup;
    // The names are those of processed_mini-batches.csv's Status column.
    py::enum_<AttemptStatus> status(m, "AttemptStatus");
    for (const auto s :
         {AttemptStatus::RunDone, AttemptStatus::RunException, AttemptStatus::BadReturn, AttemptStatus::RunTimeout,
          AttemptStatus::LoadFailed, AttemptStatus::LoadTimeout, AttemptStatus::ProcessDied})
        status.value(prs::protocol::status_name(s), s);

    py::class_<RuntimeSetup>(m, "RuntimeSetup")
        .def_property_readonly("entry_script", setup_text<&WorkerSetup::entry_script>)
        .def_property_readonly("code_dir", setup_text<&WorkerSetup::code_dir>)
        .def_property_readonly("python_path", [](const RuntimeSetup& s) { return fs_list(s.worker.python_path); })
        .def_property_readonly("logging_level", setup_text<&WorkerSetup::logging_level>)
        .def_property_readonly("process_name", setup_text<&WorkerSetup::process_name>)
        .def_property_readonly("node_id", [](const RuntimeSetup& s) { return s.worker.node_id; })
        .def_property_readonly("output_dir", setup_text<&WorkerSetup::output_dir>)
        .def_property_readonly("input_path", setup_text<&WorkerSetup::input_path>)
        .def_property_readonly("append_rows", [](const RuntimeSetup& s) { return s.worker.append_rows; })
        .def_property_readonly("dataframe_header", [](const RuntimeSetup& s) { return s.worker.dataframe_header; })
        .def_property_readonly("to_csv_kwargs_json", setup_text<&WorkerSetup::to_csv_kwargs_json>)
        .def_property_readonly("profiling_module", setup_text<&WorkerSetup::profiling_module>)
        .def_property_readonly("bundled_python", [](const RuntimeSetup& s) { return fs_str(s.bundled_python); })
        .def_property_readonly("entry_script_log", [](const RuntimeSetup& s) { return fs_str(s.entry_script_log); })
        .def_property_readonly("profile", [](const RuntimeSetup& s) { return fs_str(s.profile); });

    m.def("frame_text", &frame_text, py::arg("arrays"), py::arg("rows"), py::arg("sep"));

    py::class_<RunOutcome>(m, "RunOutcome")
        .def(py::init([] {
            RunOutcome o;
            o.rows = py::str();
            return o;
        }))
        .def_readwrite("status", &RunOutcome::status)
        .def_readwrite("succeeded", &RunOutcome::succeeded)
        .def_readwrite("rows", &RunOutcome::rows)
        .def_readwrite("header", &RunOutcome::header)
        .def_readwrite("error_category", &RunOutcome::error_category)
        .def_readwrite("error_message", &RunOutcome::error_message)
        .def_readwrite("traceback", &RunOutcome::traceback)
        .def_readwrite("run_method_s", &RunOutcome::run_method_s);
}
