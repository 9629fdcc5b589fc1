#include "prefetch.hpp"

#include <chrono>
#include <utility>

namespace py = pybind11;

namespace prs::worker {

namespace {

template <class Clock, class Unit>
std::int64_t now_in() {
    return std::chrono::duration_cast<Unit>(Clock::now().time_since_epoch()).count();
}

}  // namespace

Prefetcher::Prefetcher(Load load) : load_(std::move(load)), thread_([this] { loop(); }) {}

Prefetcher::~Prefetcher() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    // A load in progress needs the GIL to finish.
    const py::gil_scoped_release unlocked;
    thread_.join();
}

void Prefetcher::start(const protocol::MiniBatchDescriptor& d) {
    {
        const std::lock_guard lock(mutex_);
        jobs_.push_back(Job{d, false, false, {}, {}, {}});
    }
    changed_.notify_all();
}

std::size_t Prefetcher::size() const {
    const std::lock_guard lock(mutex_);
    return jobs_.size();
}

bool Prefetcher::next_is(const protocol::MiniBatchDescriptor& d) const {
    const std::lock_guard lock(mutex_);
    return !jobs_.empty() && jobs_.front().descriptor.id == d.id && jobs_.front().descriptor.attempt == d.attempt;
}

template <class Ready>
void Prefetcher::wait_front(Ready ready) {
    const py::gil_scoped_release unlocked;
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return ready(jobs_.front()); });
}

Prefetcher::Start Prefetcher::wait_begun() {
    wait_front([](const Job& j) { return j.begun; });
    const std::lock_guard lock(mutex_);
    return jobs_.front().start;
}

PreparedMiniBatch Prefetcher::take() {
    wait_front([](const Job& j) { return j.done; });
    Job job;
    {
        const std::lock_guard lock(mutex_);
        job = std::move(jobs_.front());
        jobs_.pop_front();
        --next_;
    }
    if (job.error) std::rethrow_exception(job.error);
    return std::move(job.result);
}

void Prefetcher::loop() {
    for (;;) {
        Job* job = nullptr;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return stopping_ || next_ < jobs_.size(); });
            if (stopping_) return;
            job = &jobs_[next_++];
            job->begun = true;
            job->start = {now_in<std::chrono::steady_clock, std::chrono::nanoseconds>(),
                          now_in<std::chrono::system_clock, std::chrono::microseconds>()};
        }
        changed_.notify_all();
        PreparedMiniBatch result;
        std::exception_ptr error;
        {
            const py::gil_scoped_acquire gil;
            try {
                result = load_(job->descriptor);
            } catch (...) {
                error = std::current_exception();  // a py::error_already_set holds references: GIL held
            }
        }
        {
            const std::lock_guard lock(mutex_);
            job->result = std::move(result);
            job->error = std::move(error);
            job->done = true;
        }
        changed_.notify_all();
    }
}

}  // namespace prs::worker
