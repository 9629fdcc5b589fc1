#pragma once
// The times Azure reports per attempt (processed_mini-batches.csv): when it started
// (wall clock), how long it took, and how much CPU the whole worker used meanwhile
// (threads started by user code included).

#include <time.h>

#include <chrono>

#include "prs/protocol/messages.hpp"

namespace prs::worker {

class AttemptClock {
public:
    // `cpu`: CLOCK_PROCESS_CPUTIME_ID (the whole worker) or CLOCK_THREAD_CPUTIME_ID (a
    // loader thread, beside a running run()).
    explicit AttemptClock(clockid_t cpu)
        : cpu_(cpu),
          start_us_(
              std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
                  .count()),
          start_(std::chrono::steady_clock::now()),
          start_cpu_s_(cpu_seconds(cpu)) {}

    void stop(protocol::AttemptResult& r) const {
        r.start_us = start_us_;
        r.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        r.process_cpu_s = cpu_seconds(cpu_) - start_cpu_s_;
    }

private:
    static double cpu_seconds(clockid_t cpu) {
        timespec ts{};
        clock_gettime(cpu, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }

    clockid_t cpu_;
    std::int64_t start_us_;
    std::chrono::steady_clock::time_point start_;
    double start_cpu_s_;
};

}  // namespace prs::worker
