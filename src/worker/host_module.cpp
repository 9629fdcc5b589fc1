#include "host_module.hpp"

#include <pybind11/embed.h>
#include <pybind11/stl.h>

#include <filesystem>

#include "loaders.hpp"
#include "prs/logs/layout.hpp"
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
