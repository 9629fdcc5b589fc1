#pragma once
// What a worker is running, in a page of memory it shares with its agent (a memfd the
// agent creates and the worker inherits as fd 4). The agent reads it without a message,
// and still after the worker died. That is what lets a worker hold finished results
// back and send several in one write (one socket buffer instead of one per mini-batch,
// the largest per-mini-batch kernel cost on rank 0) while a death or a timeout is
// still blamed on exactly the mini-batch that was running, not on one whose result
// was merely unsent.

#include <cstdint>

#include "prs/util/unique_fd.hpp"

namespace prs::protocol {

struct BoardReading {
    std::uint64_t started = 0;        // mini-batches the worker began (loading or run())
    std::uint64_t finished = 0;       // of those, how many it finished (result made)
    std::int64_t start_mono_ns = 0;   // CLOCK_MONOTONIC when the latest began
    std::int64_t start_epoch_us = 0;  // the same moment, wall clock
    // The latest begun mini-batch is being loaded or run now: the worker's
    // `started`-th (1-based) since it was spawned.
    bool running() const { return started > finished; }
};

class WorkerBoard {
public:
    // Agent side: a new zeroed page. Throws std::system_error.
    static WorkerBoard create();
    // Worker side: maps the page behind an inherited descriptor and closes it (the
    // entry script sees no extra descriptor). Throws std::system_error.
    static WorkerBoard map_and_close(int fd);

    WorkerBoard(WorkerBoard&&) noexcept;
    WorkerBoard& operator=(WorkerBoard&&) noexcept;
    WorkerBoard(const WorkerBoard&) = delete;
    WorkerBoard& operator=(const WorkerBoard&) = delete;
    ~WorkerBoard();

    int fd() const { return fd_.get(); }  // agent side only

    // Worker: the next mini-batch it was sent begins now / is finished.
    void begin();
    void finish();
    // Worker: the next mini-batch began earlier, at these clock readings (its data was
    // loaded ahead, while the previous one ran): its load timeout counts from then.
    void begin(std::int64_t start_mono_ns, std::int64_t start_epoch_us);
    // Agent: a consistent reading (never half of one begin() and half of the next).
    BoardReading read() const;

private:
    struct Page;
    static WorkerBoard attach(int fd);
    WorkerBoard(util::UniqueFd fd, Page* page) : fd_(std::move(fd)), page_(page) {}
    util::UniqueFd fd_;
    Page* page_ = nullptr;
};

}  // namespace prs::protocol
