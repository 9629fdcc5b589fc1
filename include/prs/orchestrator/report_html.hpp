#pragma once
// logs/report.html: one self-contained page (inline CSS and SVG, no script, no network)
// to see a job at a glance: a per-worker timeline of attempts coloured by status,
// throughput over time, the slowest mini-batches, and failures linked to their logs.

#include <string>

#include "prs/orchestrator/failure_policy.hpp"
#include "prs/orchestrator/job_stats.hpp"
#include "prs/orchestrator/job_summary.hpp"

namespace prs::orchestrator {

// Links are relative to logs/, where the page is written.
std::string report_html(const JobOutcome& outcome, const JobCounters& counters, const JobStats& stats);

}  // namespace prs::orchestrator
