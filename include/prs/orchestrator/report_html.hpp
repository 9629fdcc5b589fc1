#pragma once
// logs/report.html: one self-contained page (inline CSS, SVG and, when Debian's
// libjs-chart.js is installed, Chart.js inlined at report time; no network) to see where a
// job's time went: a per-worker timeline of attempts split into loading and run(), with
// the gaps where a worker waited and each attempt's details on hover; throughput and the
// nodes' CPU and memory over time; the slowest mini-batches; failures linked to their logs.

#include <string>
#include <string_view>

#include "prs/orchestrator/failure_policy.hpp"
#include "prs/orchestrator/job_stats.hpp"
#include "prs/orchestrator/job_summary.hpp"
#include "prs/orchestrator/report_usage.hpp"

namespace prs::orchestrator {

// Links are relative to logs/, where the page is written. `chart_js` is the charting
// library's source to inline; empty: the charts are drawn as SVG.
std::string report_html(const JobOutcome& outcome, const JobCounters& counters, const JobStats& stats,
                        const NodeUsage& usage, std::string_view chart_js);

// Chart.js as libjs-chart.js installs it (PRS_CHART_JS names another file); empty when absent.
std::string chart_js_source();

}  // namespace prs::orchestrator
