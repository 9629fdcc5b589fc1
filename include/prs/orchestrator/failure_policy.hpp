#pragma once
// Job-level failure thresholds (docs/design.md §6): pure arithmetic over the job's counters.

#include <cstdint>
#include <optional>
#include <string>

#include "prs/config/job_spec.hpp"

namespace prs::orchestrator {

struct JobCounters {
    std::uint64_t mini_batches_total = 0;  // from the partition
    std::uint64_t items_total = 0;
    std::uint64_t mini_batches_succeeded = 0;  // final
    std::uint64_t mini_batches_failed = 0;     // final
    std::uint64_t items_succeeded = 0;         // from final attempts
    std::uint64_t items_failed = 0;
    std::uint64_t attempts = 0;
    std::uint64_t failed_attempts = 0;
    std::uint64_t rows_written = 0;

    std::uint64_t mini_batches_done() const { return mini_batches_succeeded + mini_batches_failed; }
    JobCounters& operator+=(const JobCounters& o);
    JobCounters& operator-=(const JobCounters& o);
};

struct ThresholdBreach {
    std::string rule;    // which threshold
    std::string detail;  // the numbers
    std::string fix;     // which setting to change
};

class FailurePolicy {
public:
    explicit FailurePolicy(const config::JobSpec& job);
    // Checks the count thresholds; `all_scheduled` enables the percentage rule,
    // which Azure checks only once every mini-batch has been scheduled.
    std::optional<ThresholdBreach> check(const JobCounters& c, bool all_scheduled) const;

private:
    long mini_batch_error_threshold_;
    long item_error_threshold_;
    int allowed_failed_percent_;
};

}  // namespace prs::orchestrator
