#pragma once
// The `_prs_host` module: the one definition of what crosses between the C++ host and
// prs_runtime.py. Python reads its start arguments and writes a mini-batch's outcome by
// attribute name, and takes the AttemptStatus values and the log paths from here, so
// neither side keeps a copy of the other's numbers, positions or path templates.

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "prs/protocol/messages.hpp"

namespace prs::worker {

// prs_runtime.start(setup)'s argument: the WorkerSetup and what the host derives from it.
struct [[gnu::visibility("hidden")]] RuntimeSetup {
    protocol::WorkerSetup worker;
    std::string bundled_python;    // prs_mpi's python folder (the mltable stand-in); empty: not found
    std::string entry_script_log;  // logs::Layout::entry_script_log of this worker
    std::string profile;           // logs::Layout::worker_profile of this worker
};
RuntimeSetup runtime_setup(const protocol::WorkerSetup& setup);

// What prs_runtime.run_mini_batch() returns; the host copies it into an AttemptResult.
struct [[gnu::visibility("hidden")]] RunOutcome {
    protocol::AttemptStatus status = protocol::AttemptStatus::RunDone;
    std::uint32_t succeeded = 0;
    pybind11::object rows;  // str (or frame_text's bytes) of append_row text, read in place (see set_rows)
    std::string header;     // the byte fields come as bytes (surrogate escapes undone)
    std::string error_category;
    std::string error_message;
    std::string traceback;
    double run_method_s = 0;
};

}  // namespace prs::worker
