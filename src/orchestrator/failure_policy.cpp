#include "prs/orchestrator/failure_policy.hpp"

#include <fmt/format.h>

namespace prs::orchestrator {

JobCounters& JobCounters::operator+=(const JobCounters& o) {
    mini_batches_total += o.mini_batches_total;
    items_total += o.items_total;
    mini_batches_succeeded += o.mini_batches_succeeded;
    mini_batches_failed += o.mini_batches_failed;
    items_succeeded += o.items_succeeded;
    items_failed += o.items_failed;
    attempts += o.attempts;
    failed_attempts += o.failed_attempts;
    rows_written += o.rows_written;
    return *this;
}

JobCounters& JobCounters::operator-=(const JobCounters& o) {
    mini_batches_total -= o.mini_batches_total;
    items_total -= o.items_total;
    mini_batches_succeeded -= o.mini_batches_succeeded;
    mini_batches_failed -= o.mini_batches_failed;
    items_succeeded -= o.items_succeeded;
    items_failed -= o.items_failed;
    attempts -= o.attempts;
    failed_attempts -= o.failed_attempts;
    rows_written -= o.rows_written;
    return *this;
}

FailurePolicy::FailurePolicy(const config::JobSpec& job)
    : mini_batch_error_threshold_(job.mini_batch_error_threshold),
      item_error_threshold_(job.error_threshold),
      allowed_failed_percent_(job.allowed_failed_percent) {}

std::optional<ThresholdBreach> FailurePolicy::check(const JobCounters& c, bool all_scheduled) const {
    if (mini_batch_error_threshold_ >= 0 &&
        c.mini_batches_failed > static_cast<std::uint64_t>(mini_batch_error_threshold_))
        return ThresholdBreach{
            "mini_batch_error_threshold",
            fmt::format("{} mini-batches failed, more than mini_batch_error_threshold = {}", c.mini_batches_failed,
                        mini_batch_error_threshold_),
            "raise `mini_batch_error_threshold` (v1: allowed_failed_count) in the job file, or -1 to ignore "
            "failed mini-batches"};
    if (item_error_threshold_ >= 0 && c.items_failed > static_cast<std::uint64_t>(item_error_threshold_))
        return ThresholdBreach{
            "error_threshold",
            fmt::format("{} items failed, more than --error_threshold = {}", c.items_failed, item_error_threshold_),
            "raise `--error_threshold` in task.program_arguments (or on the prs_mpi command line), or -1 to "
            "ignore failed items"};
    if (all_scheduled && allowed_failed_percent_ < 100 && c.mini_batches_total > 0) {
        const double percent =
            100.0 * static_cast<double>(c.mini_batches_failed) / static_cast<double>(c.mini_batches_total);
        if (percent > allowed_failed_percent_)
            return ThresholdBreach{
                "allowed_failed_percent",
                fmt::format("{:.1f}% of the {} mini-batches failed, more than --allowed_failed_percent = {}", percent,
                            c.mini_batches_total, allowed_failed_percent_),
                "raise `--allowed_failed_percent` in task.program_arguments, or 100 to ignore"};
    }
    return std::nullopt;
}

}  // namespace prs::orchestrator
