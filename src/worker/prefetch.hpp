#pragma once
// Loads the mini-batches a worker already holds while run() executes (--prefetch_mini_batches):
// one loader thread, taking the GIL only for the Python parts of a load (pandas, numpy
// arrays); file reads and HDF5 hyperslabs run without it, as does pandas' tokenizer for
// much of read_csv. A GPU run() that waits with the GIL released then no longer idles while
// its next mini-batch is parsed.
//
// Attribution stays the board's: a mini-batch loaded ahead is begun on the board only once
// the one before it finished, with the time its load began, so the agent charges a death
// during run(n) to n (n+1 goes back unstarted) and times n+1's load from its real start.

#include <pybind11/pybind11.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "prepared.hpp"

namespace prs::worker {

class [[gnu::visibility("hidden")]] Prefetcher {
public:
    using Load = std::function<PreparedMiniBatch(const protocol::MiniBatchDescriptor&)>;
    // `load` runs on the loader thread with the GIL held.
    explicit Prefetcher(Load load);
    ~Prefetcher();  // waits for a load in progress (the GIL released meanwhile)
    Prefetcher(const Prefetcher&) = delete;
    Prefetcher& operator=(const Prefetcher&) = delete;

    // Queues `d` for loading, after those queued before it.
    void start(const protocol::MiniBatchDescriptor& d);
    // Mini-batches queued and not yet taken.
    std::size_t size() const;
    // Whether the next to take is mini-batch `id` (`attempt`).
    bool next_is(const protocol::MiniBatchDescriptor& d) const;

    struct Start {
        std::int64_t mono_ns = 0;  // CLOCK_MONOTONIC (steady_clock), as the board keeps it
        std::int64_t epoch_us = 0;
    };
    // When the next to take began loading; waits (GIL released) until it has.
    Start wait_begun();
    // The next mini-batch, loaded; waits (GIL released) until it is. Rethrows what the
    // load threw other than load errors (those are in the result).
    PreparedMiniBatch take();

private:
    struct Job {
        protocol::MiniBatchDescriptor descriptor;
        bool begun = false;
        bool done = false;
        Start start;
        PreparedMiniBatch result;
        std::exception_ptr error;
    };
    void loop();
    template <class Ready>
    void wait_front(Ready ready);

    Load load_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Job> jobs_;  // in the order they run; references stay valid as it grows
    std::size_t next_ = 0;  // the first job not begun
    bool stopping_ = false;
    std::thread thread_;  // last: starts once the rest exists
};

}  // namespace prs::worker
