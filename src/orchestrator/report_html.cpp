#include "prs/orchestrator/report_html.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace prs::orchestrator {

namespace {
constexpr int kPlotWidth = 1000;
constexpr int kLabelWidth = 150;
constexpr int kRowHeight = 16;
constexpr int kThroughputHeight = 160;
constexpr int kMaxBuckets = 60;

std::string escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

const char* colour(const AttemptRecord& a) {
    using S = protocol::AttemptStatus;
    if (a.ok) return "#3a9d23";
    switch (a.status) {
        case S::RunTimeout:
        case S::LoadTimeout: return "#e69500";
        case S::ProcessDied: return "#8e44ad";
        case S::LoadFailed: return "#8b5a2b";
        default: return "#d62728";
    }
}

std::string worker_label(const WorkerStats& w) {
    return w.process.empty() ? fmt::format("node {} (rank lost)", w.node) : fmt::format("node {} {}", w.node, w.process);
}

std::string stderr_link(const WorkerStats& w) {
    if (w.process.empty()) return "-";
    const std::string path = fmt::format("user/stderr/{}/{}.stderr.txt", w.node, w.process);
    return fmt::format("<a href=\"{0}\">{0}</a>", escape(path));
}

// One row per worker that ran an attempt; each attempt JobStats::timeline() draws is a
// rect whose tooltip says what it was.
std::string timeline_svg(const JobStats& stats, const Span& span) {
    const auto& workers = stats.workers();
    std::vector<std::size_t> rows;
    for (std::size_t w = 0; w < workers.size(); ++w)
        if (!workers[w].process.empty()) rows.push_back(w);
    // Rows in node, then process order, whatever order the workers first reported in.
    std::sort(rows.begin(), rows.end(), [&](std::size_t x, std::size_t y) {
        return std::tie(workers[x].node, workers[x].process) < std::tie(workers[y].node, workers[y].process);
    });
    std::vector<int> row(workers.size(), -1);
    for (std::size_t r = 0; r < rows.size(); ++r) row[rows[r]] = static_cast<int>(r);
    if (rows.empty() || span.seconds() <= 0) return "<p>No attempt ran on a worker.</p>\n";
    const double scale = kPlotWidth / span.seconds();
    const int height = static_cast<int>(rows.size()) * kRowHeight + 20;
    std::string svg = fmt::format("<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
                                  "height=\"{}\">\n",
                                  kLabelWidth + kPlotWidth + 10, height);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const WorkerStats& w = workers[rows[r]];
        svg += fmt::format("<g class=\"worker\" data-worker=\"{}\"><text x=\"0\" y=\"{}\">{}</text></g>\n",
                           escape(worker_label(w)), r * kRowHeight + 12, escape(worker_label(w)));
    }
    for (const AttemptRecord* a : stats.timeline()) {
        if (!a->start_us) continue;
        const double x = kLabelWidth + static_cast<double>(a->start_us - span.begin_us) / 1e6 * scale;
        const double width = std::max(1.0, a->elapsed_s * scale);
        svg += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>mini-batch {} "
                           "attempt {}: {}, {:.3f} s</title></rect>\n",
                           x, row[a->worker] * kRowHeight + 2, width, kRowHeight - 4, colour(*a), a->mini_batch_id,
                           a->attempt + 1, protocol::status_name(a->status), a->elapsed_s);
    }
    svg += fmt::format("<text x=\"{}\" y=\"{}\">0 s</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.1f} s</text>\n",
                       kLabelWidth, height - 4, kLabelWidth + kPlotWidth, height - 4, span.seconds());
    return svg + "</svg>\n";
}

// Attempts finished per second, in slices of the job's time: about one per second, at
// least 10 and at most kMaxBuckets, so short jobs are not drawn as a comb.
std::string throughput_svg(const JobStats& stats, const Span& span) {
    if (span.seconds() <= 0) return "<p>No attempt ran on a worker.</p>\n";
    const int buckets = std::clamp(static_cast<int>(span.seconds()), 10, kMaxBuckets);
    const std::vector<double> count = stats.throughput(buckets);
    const double peak = *std::max_element(count.begin(), count.end());
    std::string points;
    for (int i = 0; i < buckets; ++i) {
        const double x = kLabelWidth + (i + 0.5) * kPlotWidth / buckets;
        const double y = 10 + (kThroughputHeight - 30) * (1 - (peak > 0 ? count[static_cast<std::size_t>(i)] / peak : 0));
        points += fmt::format("{:.1f},{:.1f} ", x, y);
    }
    return fmt::format(
        "<svg class=\"throughput\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\">\n"
        "<text x=\"0\" y=\"16\">{2:.2f} /s</text><text x=\"0\" y=\"{3}\">0 /s</text>\n"
        "<line x1=\"{4}\" y1=\"{3}\" x2=\"{5}\" y2=\"{3}\" stroke=\"#888\"/>\n"
        "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{6}\"/>\n"
        "<text x=\"{4}\" y=\"{7}\">0 s</text><text x=\"{5}\" y=\"{7}\" text-anchor=\"end\">{8:.1f} s</text>\n</svg>\n",
        kLabelWidth + kPlotWidth + 10, kThroughputHeight, peak, kThroughputHeight - 20, kLabelWidth,
        kLabelWidth + kPlotWidth, points, kThroughputHeight - 4, span.seconds());
}

std::string attempt_row(const AttemptRecord& a, const JobStats& stats) {
    const WorkerStats& w = stats.workers()[a.worker];
    return fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.3f}</td><td>{}</td><td>{}</td></tr>\n",
                       a.mini_batch_id, a.attempt + 1, escape(worker_label(w)), a.elapsed_s,
                       protocol::status_name(a.status), stderr_link(w));
}

const char* const kHead = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>prs_mpi job report</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; font-size: 90%; }
svg text { font-size: 11px; fill: #333; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 6px; color: #fff; }
.failed { color: #d62728; } .succeeded { color: #3a9d23; }
</style></head><body>
)";
}  // namespace

std::string report_html(const JobOutcome& outcome, const JobCounters& c, const JobStats& stats) {
    const Span span = stats.span();
    std::string html = kHead;
    html += fmt::format("<h1>prs_mpi job report: <span class=\"{}\">{}</span></h1>\n",
                        outcome.result == "succeeded" ? "succeeded" : "failed", escape(outcome.result));
    if (!outcome.reason.empty()) html += fmt::format("<p>{}</p>\n", escape(outcome.reason));
    html += fmt::format(
        "<table><tr><th>Mini-batches</th><td>{} succeeded, {} failed, {} total ({} attempts, {} failed)</td></tr>\n"
        "<tr><th>Items</th><td>{} succeeded, {} failed, {} total</td></tr>\n"
        "<tr><th>Elapsed</th><td>{:.2f} s ({:.2f} mini-batches/s)</td></tr></table>\n"
        "<p>Details: <a href=\"job_result.txt\">job_result.txt</a>, <a href=\"job_summary.json\">job_summary.json</a>, "
        "<a href=\"sys/job_report/processed_mini-batches.csv\">processed_mini-batches.csv</a></p>\n",
        c.mini_batches_succeeded, c.mini_batches_failed, c.mini_batches_total, c.attempts, c.failed_attempts,
        c.items_succeeded, c.items_failed, c.items_total, outcome.elapsed_s,
        outcome.elapsed_s > 0 ? static_cast<double>(c.mini_batches_done()) / outcome.elapsed_s : 0.0);

    html += "<h2>Timeline</h2>\n<p class=\"legend\"><span style=\"background:#3a9d23\">succeeded</span>"
            "<span style=\"background:#d62728\">run() failed</span><span style=\"background:#e69500\">timeout</span>"
            "<span style=\"background:#8e44ad\">process died</span><span style=\"background:#8b5a2b\">load "
            "failed</span></p>\n";
    if (const auto drawn = stats.timeline().size(); drawn < stats.attempts())
        html += fmt::format("<p>The timeline draws {} of the {} attempts: an even sample of them, and the first {} "
                            "failed ones.</p>\n",
                            drawn, stats.attempts(), JobStats::kFailuresKept);
    html += timeline_svg(stats, span);
    html += "<h2>Throughput (attempts finished per second)</h2>\n" + throughput_svg(stats, span);

    const char* const header =
        "<tr><th>Mini-batch</th><th>Attempt</th><th>Worker</th><th>Seconds</th><th>Status</th><th>Log</th></tr>\n";
    html += std::string("<h2>Slowest mini-batches</h2>\n<table class=\"slowest\">") + header;
    for (const auto& a : stats.slowest()) html += attempt_row(a, stats);
    html += "</table>\n";

    html += "<h2>Failures</h2>\n";
    // job_error.txt is only written when something failed: never link to a missing file.
    if (c.failed_attempts)
        html += "<p>Errors grouped with tracebacks: <a href=\"job_error.txt\">job_error.txt</a>.</p>\n";
    html += std::string("<table class=\"failures\">") + header;
    for (const auto& a : stats.failures()) html += attempt_row(a, stats);
    html += "</table>\n";
    if (const auto more = stats.failed_attempts() - stats.failures().size())
        html += fmt::format("<p>{} more failed attempts: see processed_mini-batches.csv.</p>\n", more);
    return html + "</body></html>\n";
}

}  // namespace prs::orchestrator
