#pragma once
// logs/job_summary.json: the job's outcome and figures in one machine-readable file,
// for dashboards and scripts that would otherwise parse job_result.txt.

#include <string>
#include <string_view>

#include "prs/orchestrator/failure_policy.hpp"
#include "prs/orchestrator/job_stats.hpp"

namespace prs::orchestrator {

// What rank 0's own process cost: every thread, no child (workers are children).
struct ProcessUsage {
    double cpu_s = 0;        // user + system, getrusage(RUSAGE_SELF)
    double peak_rss_mb = 0;  // VmHWM
};
ProcessUsage own_usage();

struct JobOutcome {
    std::string result;  // "succeeded", "failed" or "stopped"
    int exit_code = 0;
    std::string reason;  // why it failed or stopped; empty on success
    double elapsed_s = 0;
};

// The counters as JSON members ("mini_batches": {...}, "items": {...}, "rows_written": n),
// joined by `separator`: job_summary.json and report.html's data say the same numbers.
std::string counters_json(const JobCounters& counters, std::string_view separator);

std::string job_summary_json(const JobOutcome& outcome, const ProcessUsage& rank0, const JobCounters& counters,
                             const JobStats& stats);

}  // namespace prs::orchestrator
