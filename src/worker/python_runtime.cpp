#include "python_runtime.hpp"

#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "attempt_clock.hpp"
#include "host_module.hpp"
#include "loaders.hpp"
#include "prs_runtime_py.hpp"

namespace py = pybind11;

namespace prs::worker {

namespace {

using protocol::AttemptResult;
using protocol::AttemptStatus;

// The interpreter of the build (Debian's, with numpy and pandas), whatever python3 is
// first on PATH: CPython finds its standard library from program_name.
py::scoped_interpreter start_interpreter(const std::vector<std::string>& args) {
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.install_signal_handlers = 0;  // signals stay the host's business (see main.cpp)
    config.parse_argv = 0;               // sys.argv is the entry script's, verbatim
    const PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, PRS_PYTHON_EXECUTABLE);
    if (PyStatus_Exception(status)) {
        PyConfig_Clear(&config);
        throw std::runtime_error(std::string("cannot configure Python: ") + status.err_msg);
    }
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    // pybind11 clears the config; argv is decoded like a real command line (surrogateescape).
    return py::scoped_interpreter(&config, static_cast<int>(argv.size()), argv.data(), false);
}

// A failure of prs_runtime itself: pybind11's what() is "<Type>: <message>", then the
// traceback.
std::pair<std::string, std::string> split_error(const py::error_already_set& e) {
    const std::string_view what = e.what();
    const auto eol = what.find('\n');
    return {"prs_mpi_worker: " + std::string(what.substr(0, eol)),
            eol == what.npos ? "" : std::string(what.substr(eol + 1))};
}

// memchr is vectorised; a byte loop over megabytes of rows is not (-O2).
std::uint32_t count_lines(std::string_view text) {
    std::uint32_t n = 0;
    for (auto at = text.find('\n'); at != std::string_view::npos; at = text.find('\n', at + 1)) ++n;
    return n;
}

// Text that surrogate escapes cannot make UTF-8 (lone surrogates that no file name
// produced, like "\ud800"), a line at a time: a line that cannot be encoded is escaped as
// errors="backslashreplace" does; every other line keeps its bytes (file names included).
py::object encode_lines(const py::handle text) {
    const py::list lines = text.attr("split")("\n");
    py::list encoded;
    for (const py::handle line : lines) {
        PyObject* bytes = PyUnicode_AsEncodedString(line.ptr(), "utf-8", "surrogateescape");
        if (!bytes) {
            PyErr_Clear();
            bytes = PyUnicode_AsEncodedString(line.ptr(), "utf-8", "backslashreplace");
            if (!bytes) throw py::error_already_set();
        }
        encoded.append(py::reinterpret_steal<py::object>(bytes));
    }
    return py::bytes("\n").attr("join")(encoded);
}

// The append_row text as UTF-8, read in place where CPython already holds it (ASCII
// and cached UTF-8, or bytes): one copy into the result, which rows of megabytes make count.
// Undecodable file names (surrogate escapes) become their original bytes again.
void set_rows(AttemptResult& r, const py::handle text, std::string&& spare) {
    Py_ssize_t size = 0;
    const bool is_bytes = PyBytes_Check(text.ptr());  // _prs_host.frame_text's, already UTF-8
    const char* utf8 = is_bytes ? PyBytes_AS_STRING(text.ptr()) : PyUnicode_AsUTF8AndSize(text.ptr(), &size);
    if (is_bytes) size = PyBytes_GET_SIZE(text.ptr());
    py::object encoded;
    if (!utf8) {
        PyErr_Clear();
        PyObject* bytes = PyUnicode_AsEncodedString(text.ptr(), "utf-8", "surrogateescape");
        if (bytes) {
            encoded = py::reinterpret_steal<py::object>(bytes);
        } else {
            PyErr_Clear();
            encoded = encode_lines(text);
        }
        utf8 = PyBytes_AS_STRING(encoded.ptr());
        size = PyBytes_GET_SIZE(encoded.ptr());
    }
    const std::string_view view(utf8, static_cast<std::size_t>(size));
    r.rows = std::move(spare);
    r.rows.reserve(view.size() + 1);
    r.rows.assign(view);
    if (!r.rows.empty() && r.rows.back() != '\n') r.rows += '\n';
    r.row_count = count_lines(r.rows);
}

py::object load_runtime_module() {
    const py::module_ builtins = py::module_::import("builtins");
    py::module_ module = py::module_::import("types").attr("ModuleType")("prs_runtime");
    const py::object code = builtins.attr("compile")(k_prs_runtime_source, "<prs_runtime>", "exec");
    builtins.attr("exec")(code, module.attr("__dict__"));
    py::module_::import("sys").attr("modules")["prs_runtime"] = module;
    return module;
}

}  // namespace

PythonRuntime::PythonRuntime(const protocol::WorkerSetup& setup)
    : setup_(setup),
      interpreter_(start_interpreter(setup.argv)),
      runtime_(load_runtime_module()),
      run_mini_batch_(runtime_.attr("run_mini_batch")) {
    identity_.node_id = setup.node_id;
    identity_.process = setup.process_name;
    identity_.pid = static_cast<std::int32_t>(::getpid());
}

protocol::WorkerReady PythonRuntime::start() {
    try {
        const py::tuple out = runtime_.attr("start")(runtime_setup(setup_));
        if (out[0].cast<bool>()) import_loader_modules();
        return {out[0].cast<bool>(), out[1].cast<std::string>(), out[2].cast<std::string>()};
    } catch (const py::error_already_set& e) {
        auto [message, traceback] = split_error(e);
        return {false, std::move(message), std::move(traceback)};
    }
}

PreparedMiniBatch PythonRuntime::load(const protocol::MiniBatchDescriptor& d, LoadCpu cpu) {
    const AttemptClock clock(cpu == LoadCpu::Thread ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID);
    PreparedMiniBatch p;
    p.descriptor = d;
    try {
        p.batch = load_mini_batch(d, setup_.input);
        p.ok = true;
    } catch (const LoadError& e) {
        p.error_message = e.what();
    } catch (const py::error_already_set& e) {
        std::tie(p.error_message, p.traceback) = split_error(e);
    }
    AttemptResult times;
    clock.stop(times);
    p.start_epoch_us = times.start_us;
    p.load_s = times.elapsed_s;
    p.load_cpu_s = times.process_cpu_s;
    return p;
}

AttemptResult PythonRuntime::run(PreparedMiniBatch&& prepared, const std::function<void()>& loaded) {
    const auto& d = prepared.descriptor;
    AttemptResult r = identity_;
    r.mini_batch_id = d.id;
    r.attempt = d.attempt;
    r.total = d.items;
    // The attempt's times are its load's and its run() phase's, without a wait between them
    // (a mini-batch loaded ahead waits for the one before it).
    const auto finish = [&](const AttemptClock* run_phase) {
        r.start_us = prepared.start_epoch_us;
        r.elapsed_s = prepared.load_s;
        r.process_cpu_s = prepared.load_cpu_s;
        if (run_phase) {
            AttemptResult phase;
            run_phase->stop(phase);
            r.elapsed_s += phase.elapsed_s;
            r.process_cpu_s += phase.process_cpu_s;
        }
        return r;
    };
    if (!prepared.ok) {
        // Bad input data fails the attempt, not the worker (docs/design.md §6).
        r.status = AttemptStatus::LoadFailed;
        r.error_category = "UserError";
        r.error_message = std::move(prepared.error_message);
        r.traceback = std::move(prepared.traceback);
        return finish(nullptr);
    }
    const AttemptClock clock(CLOCK_PROCESS_CPUTIME_ID);
    LoadedMiniBatch batch = std::move(prepared.batch);
    r.total = batch.items;
    loaded();
    try {
        py::dict key_values;
        for (std::size_t i = 0; i < d.partition_values.size() && i < setup_.input.partition_keys.size(); ++i)
            key_values[py::str(setup_.input.partition_keys[i])] = py::str(d.partition_values[i]);
        const py::object returned = run_mini_batch_(batch.value, d.id, batch.items, key_values);
        auto& out = returned.cast<RunOutcome&>();
        r.status = out.status;
        r.succeeded = out.succeeded;
        set_rows(r, out.rows, std::move(spare_rows_));
        r.header = std::move(out.header);
        r.error_category = std::move(out.error_category);
        r.error_message = std::move(out.error_message);
        r.traceback = std::move(out.traceback);
        r.run_method_s = out.run_method_s;
    } catch (const py::error_already_set& e) {
        // prs_runtime itself failed (e.g. MemoryError): not the entry script's fault.
        r.status = AttemptStatus::RunException;
        r.error_category = "SystemError";
        std::tie(r.error_message, r.traceback) = split_error(e);
    }
    return finish(&clock);
}

void PythonRuntime::import_loader_modules() {
    const auto kind = setup_.input.kind;
    if (kind == protocol::InputKind::FileList) return;
    try {
        py::module_::import(kind == protocol::InputKind::Hdf5 ? "numpy" : "pandas");
    } catch (const py::error_already_set&) {
        // Each load reports it, naming the mini-batch.
    }
}

void PythonRuntime::shutdown() { runtime_.attr("shutdown")(); }

void PythonRuntime::exit_now(int code) {
    try {
        runtime_.attr("flush")();
    } catch (const py::error_already_set&) {
        // Exiting anyway; there is nowhere left to report it.
    }
    ::_exit(code);
}

std::string python_versions() {
    const auto interpreter = start_interpreter({"prs_mpi_worker"});
    // Import failures are part of the answer: a support ticket needs to see them.
    const py::dict scope;
    py::exec(R"PY(
import sys
lines = [f"Python {sys.version.split()[0]} ({sys.executable or sys.prefix})"]
for name in ("numpy", "pandas"):
    try:
        lines.append(f"{name} {__import__(name).__version__}")
    except Exception as e:
        lines.append(f"{name}: cannot import ({type(e).__name__}: {e})")
report = "\n".join(lines) + "\n"
)PY",
             scope);
    return scope["report"].cast<std::string>();
}

}  // namespace prs::worker
