#pragma once
// The embedded CPython of a worker and the prs_runtime module running in it
// (src/worker/prs_runtime.py, compiled into the binary). One object per process.

#include <pybind11/embed.h>

#include <functional>
#include <string>

#include "prepared.hpp"
#include "prs/protocol/messages.hpp"

namespace prs::worker {

// Hidden like pybind11's own types, which it holds (GCC warns otherwise).
class [[gnu::visibility("hidden")]] PythonRuntime {
public:
    // Starts CPython with sys.argv = setup.argv and loads prs_runtime. Throws on failure.
    explicit PythonRuntime(const protocol::WorkerSetup& setup);

    // Sets up sys.path, logging and the EntryScript helper, imports the entry script and
    // calls its init(). Errors of the entry script come back as ok = false.
    protocol::WorkerReady start();
    // Loads the mini-batch's data (GIL held; on the worker's main thread, or ahead of its
    // turn on the loader thread: `cpu` says whose CPU time counts, the process's or only
    // the calling thread's, which shares the process with a running run()).
    enum class LoadCpu { Process, Thread };
    PreparedMiniBatch load(const protocol::MiniBatchDescriptor& descriptor, LoadCpu cpu);
    // A loaded mini-batch: calls `loaded` (the agent's load timeout ends there), then run().
    // One that failed to load is its LOAD_FAILED result.
    protocol::AttemptResult run(PreparedMiniBatch && prepared, const std::function<void()>& loaded);
    // Hands back a sent result's rows: the next result reuses their memory, since
    // fresh megabyte buffers cost a page fault per 4 KB.
    void recycle(std::string && rows) { spare_rows_ = std::move(rows); }
    // The entry script's shutdown(), if it has one; its errors go to stderr only.
    void shutdown();
    // Flushes sys.stdout/sys.stderr and ends the process without finalising Python
    // (which would wait for threads the entry script left running).
    [[noreturn]] void exit_now(int code);

private:
    // pandas (numpy for HDF5) with the entry script: its import, a second or more on a busy
    // node, is the worker's start-up, not the first mini-batch's load that
    // --task_overhead_timeout bounds.
    void import_loader_modules();

    protocol::WorkerSetup setup_;
    pybind11::scoped_interpreter interpreter_;
    // Declared after the interpreter: destroyed before it finalises.
    pybind11::object runtime_;
    pybind11::object run_mini_batch_;
    protocol::AttemptResult identity_;  // node, process and pid: the same for every attempt
    std::string spare_rows_;
};

// What `prs_mpi --version` reports of the embedded Python: its version and path, and the
// numpy and pandas it imports (or why it cannot), one "name version" line each.
std::string python_versions();

}  // namespace prs::worker
