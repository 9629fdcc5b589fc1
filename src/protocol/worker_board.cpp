#include "prs/protocol/worker_board.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <utility>

#include "prs/util/user_error.hpp"

namespace prs::protocol {

// Written by one process (the worker), read by another: lock-free atomics only. A
// begin() writes its start times into the slot of the new count's parity and then
// publishes the count, so a reader that sees the same count before and after reading
// the slot has read that begin()'s times; a worker killed halfway through a begin()
// leaves the previous reading intact.
struct WorkerBoard::Page {
    struct Start {
        std::atomic<std::int64_t> mono_ns{0};
        std::atomic<std::int64_t> epoch_us{0};
    };
    std::atomic<std::uint64_t> started{0};
    std::atomic<std::uint64_t> finished{0};
    Start starts[2];
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free && std::atomic<std::int64_t>::is_always_lock_free,
              "the board is shared between processes");

namespace {

[[noreturn]] void fail(const char* what) { throw util::errno_error(what); }

template <class Clock, class Unit>
std::int64_t now_in() {
    return std::chrono::duration_cast<Unit>(Clock::now().time_since_epoch()).count();
}

}  // namespace

WorkerBoard WorkerBoard::create() {
    util::UniqueFd fd(::memfd_create("prs_worker_board", MFD_CLOEXEC));
    if (!fd) fail("memfd_create");
    // A new memfd reads as zeros: every count and time starts at 0.
    if (::ftruncate(fd.get(), sizeof(Page)) != 0) fail("ftruncate of the worker board");
    return attach(fd.release());
}

WorkerBoard WorkerBoard::attach(int fd) {
    util::UniqueFd owned(fd);
    void* p = ::mmap(nullptr, sizeof(Page), PROT_READ | PROT_WRITE, MAP_SHARED, owned.get(), 0);
    if (p == MAP_FAILED) fail("mmap of the worker board");
    return WorkerBoard(std::move(owned), static_cast<Page*>(p));
}

WorkerBoard WorkerBoard::map_and_close(int fd) {
    WorkerBoard board = attach(fd);
    board.fd_.reset();  // the mapping stays; the entry script sees no extra descriptor
    return board;
}

WorkerBoard::WorkerBoard(WorkerBoard&& o) noexcept : fd_(std::move(o.fd_)), page_(std::exchange(o.page_, nullptr)) {}

WorkerBoard& WorkerBoard::operator=(WorkerBoard&& o) noexcept {
    if (this != &o) {
        if (page_) ::munmap(page_, sizeof(Page));
        fd_ = std::move(o.fd_);
        page_ = std::exchange(o.page_, nullptr);
    }
    return *this;
}

WorkerBoard::~WorkerBoard() {
    if (page_) ::munmap(page_, sizeof(Page));
}

void WorkerBoard::begin() {
    begin(now_in<std::chrono::steady_clock, std::chrono::nanoseconds>(),
          now_in<std::chrono::system_clock, std::chrono::microseconds>());
}

void WorkerBoard::begin(std::int64_t start_mono_ns, std::int64_t start_epoch_us) {
    const std::uint64_t n = page_->started.load(std::memory_order_relaxed) + 1;
    auto& slot = page_->starts[n % 2];
    slot.mono_ns.store(start_mono_ns, std::memory_order_relaxed);
    slot.epoch_us.store(start_epoch_us, std::memory_order_relaxed);
    page_->started.store(n, std::memory_order_release);
}

void WorkerBoard::finish() {
    page_->finished.store(page_->started.load(std::memory_order_relaxed), std::memory_order_release);
}

BoardReading WorkerBoard::read() const {
    for (;;) {
        BoardReading r;
        r.started = page_->started.load(std::memory_order_acquire);
        r.finished = page_->finished.load(std::memory_order_acquire);
        const auto& slot = page_->starts[r.started % 2];
        r.start_mono_ns = slot.mono_ns.load(std::memory_order_relaxed);
        r.start_epoch_us = slot.epoch_us.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        // A begin() since the first load may have rewritten the slot (two begin()s) or
        // made `finished` newer than `started`: read again.
        if (page_->started.load(std::memory_order_relaxed) == r.started && r.finished <= r.started) return r;
    }
}

}  // namespace prs::protocol
