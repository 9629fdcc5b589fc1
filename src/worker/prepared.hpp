#pragma once
// A mini-batch's data made ready for run(), or why it could not be, and the load's own
// times: a mini-batch loaded ahead (prefetch.hpp) reports its load and its run() phase,
// not the wait between them.

#include <cstdint>
#include <string>

#include "loaders.hpp"
#include "prs/protocol/messages.hpp"

namespace prs::worker {

struct [[gnu::visibility("hidden")]] PreparedMiniBatch {
    protocol::MiniBatchDescriptor descriptor;
    bool ok = false;
    LoadedMiniBatch batch;      // ok: run()'s argument
    std::string error_message;  // not ok: why (LOAD_FAILED)
    std::string traceback;
    std::int64_t start_epoch_us = 0;  // when the load began (processed_mini-batches.csv's start)
    double load_s = 0;                // how long it took
    double load_cpu_s = 0;            // CPU seconds it used
};

}  // namespace prs::worker
