#include "prs/orchestrator/report_html.hpp"

#include <algorithm>
#include <cstdlib>
#include <tuple>

#include <fmt/format.h>

#include "prs/util/text.hpp"

namespace prs::orchestrator {

namespace {
constexpr int kPlotWidth = 1000;
constexpr int kLabelWidth = 190;
constexpr int kRowHeight = 16;
constexpr int kChartHeight = 160;
constexpr int kMaxBuckets = 60;
constexpr const char* kLoadColour = "#9ecae1";

const char* colour(const AttemptRecord& a) {
    using S = protocol::AttemptStatus;
    if (a.ok) return "#3a9d23";
    switch (a.status) {
        case S::RunTimeout:
        case S::LoadTimeout:
            return "#e69500";
        case S::ProcessDied:
            return "#8e44ad";
        case S::LoadFailed:
            return "#8b5a2b";
        default:
            return "#d62728";
    }
}

std::string worker_label(const WorkerStats& w) {
    return w.process.empty() ? fmt::format("node {} (rank lost)", w.node)
                             : fmt::format("node {} {}", w.node, w.process);
}

std::string stderr_path(const WorkerStats& w) { return fmt::format("user/stderr/{}/{}.stderr.txt", w.node, w.process); }

std::string stderr_link(const WorkerStats& w) {
    if (w.process.empty()) return "-";
    return fmt::format("<a href=\"{0}\">{0}</a>", util::html_escape(stderr_path(w)));
}

// What hovering an attempt says: which mini-batch, where, how many items, and where its
// time went (loading, including prs_mpi's overhead, then run()).
std::string attempt_title(const AttemptRecord& a, const WorkerStats& w) {
    return fmt::format(
        "mini-batch {}, attempt {}: {}\n{}, {} of {} items\nload {:.3f} s, run() {:.3f} s, {:.3f} s in "
        "all\nlog: {}",
        a.mini_batch_id, a.attempt + 1, protocol::status_name(a.status), worker_label(w), a.succeeded, a.total,
        a.elapsed_s - a.run_s, a.run_s, a.elapsed_s, stderr_path(w));
}

// One row per worker that ran an attempt. Each attempt JobStats::timeline() draws is a
// light bar for its loading and a bar in its status's colour for its run(); the space
// between bars is time the worker waited. Each links to its worker's stderr log.
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
    std::string svg = fmt::format(
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
        "height=\"{}\">\n",
        kLabelWidth + kPlotWidth + 10, height);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const WorkerStats& w = workers[rows[r]];
        // Busy: the share of the job's span this worker spent in attempts; the rest it waited.
        const double busy = std::min(100.0, 100.0 * w.busy_s / span.seconds());
        svg +=
            fmt::format("<g class=\"worker\" data-worker=\"{}\"><text x=\"0\" y=\"{}\">{} ({:.0f}% busy)</text></g>\n",
                        util::html_escape(worker_label(w)), r * kRowHeight + 12, util::html_escape(worker_label(w)),
                        busy);
    }
    for (const AttemptRecord* a : stats.timeline()) {
        if (!a->start_us) continue;
        const WorkerStats& w = workers[a->worker];
        const double x = kLabelWidth + static_cast<double>(a->start_us - span.begin_us) / 1e6 * scale;
        const double width = std::max(1.0, a->elapsed_s * scale);
        const double load = std::clamp((a->elapsed_s - a->run_s) * scale, 0.0, width);
        const int y = row[a->worker] * kRowHeight + 2;
        svg += fmt::format(
            "<g class=\"attempt\"><title>{}</title><a href=\"{}\"><rect class=\"load\" x=\"{:.1f}\" "
            "y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"/><rect class=\"run\" x=\"{:.1f}\" "
            "y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"/></a></g>\n",
            util::html_escape(attempt_title(*a, w)), util::html_escape(stderr_path(w)), x, y, load, kRowHeight - 4,
            kLoadColour, x + load, y, width - load, kRowHeight - 4, colour(*a));
    }
    svg +=
        fmt::format("<text x=\"{}\" y=\"{}\">0 s</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.1f} s</text>\n",
                    kLabelWidth, height - 4, kLabelWidth + kPlotWidth, height - 4, span.seconds());
    return svg + "</svg>\n";
}

// A line chart's series: x in seconds since the job's start.
struct Line {
    std::string label;
    std::vector<std::pair<double, double>> points;
};

// Attempts finished per second, in slices of the job's time: about one per second, at
// least 10 and at most kMaxBuckets, so short jobs are not drawn as a comb.
Line throughput_line(const JobStats& stats, const Span& span) {
    Line line{"attempts finished per second", {}};
    if (span.seconds() <= 0) return line;
    const int buckets = std::clamp(static_cast<int>(span.seconds()), 10, kMaxBuckets);
    const std::vector<double> count = stats.throughput(buckets);
    for (int i = 0; i < buckets; ++i)
        line.points.emplace_back((i + 0.5) * span.seconds() / buckets, count[static_cast<std::size_t>(i)]);
    return line;
}

std::vector<Line> usage_lines(const std::vector<UsageSeries>& series, std::int64_t origin_us) {
    std::vector<Line> lines;
    for (const auto& s : series) {
        Line line{s.label, {}};
        for (const auto& p : s.points)
            line.points.emplace_back(static_cast<double>(p.epoch_us - origin_us) / 1e6, p.value);
        lines.push_back(std::move(line));
    }
    return lines;
}

// The fallback drawing when no charting library is at hand (and inside <noscript>).
std::string line_svg(const char* css_class, const std::vector<Line>& lines, std::string_view unit) {
    double x_max = 0, y_max = 0;
    for (const auto& l : lines)
        for (const auto& [x, y] : l.points) x_max = std::max(x_max, x), y_max = std::max(y_max, y);
    if (x_max <= 0) return "<p>Nothing to draw.</p>\n";
    static constexpr const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
    std::string svg = fmt::format(
        "<svg class=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\">\n"
        "<text x=\"0\" y=\"16\">{:.2f} {}</text><text x=\"0\" y=\"{}\">0 {}</text>\n"
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>\n",
        css_class, kLabelWidth + kPlotWidth + 10, kChartHeight, y_max, unit, kChartHeight - 20, unit, kLabelWidth,
        kChartHeight - 20, kLabelWidth + kPlotWidth, kChartHeight - 20);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string points;
        for (const auto& [x, y] : lines[i].points)
            points += fmt::format("{:.1f},{:.1f} ", kLabelWidth + x / x_max * kPlotWidth,
                                  10 + (kChartHeight - 30) * (1 - (y_max > 0 ? y / y_max : 0)));
        svg += fmt::format(
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"><title>{}</title>"
            "</polyline>\n",
            kColours[i % std::size(kColours)], points, util::html_escape(lines[i].label));
    }
    svg +=
        fmt::format("<text x=\"{}\" y=\"{}\">0 s</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.1f} s</text>\n",
                    kLabelWidth, kChartHeight - 4, kLabelWidth + kPlotWidth, kChartHeight - 4, x_max);
    return svg + "</svg>\n";
}

std::string lines_json(const std::vector<Line>& lines) {
    std::string json = "[";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        json += fmt::format("{}{{\"label\": {}, \"points\": [", i ? ", " : "", util::json_quote(lines[i].label));
        for (std::size_t j = 0; j < lines[i].points.size(); ++j)
            json +=
                fmt::format("{}[{:.3f}, {:.3f}]", j ? ", " : "", lines[i].points[j].first, lines[i].points[j].second);
        json += "]}";
    }
    return json + "]";
}

struct Chart {
    const char* id;
    const char* title;
    const char* unit;
    std::vector<Line> lines;
};

// The page's figures as JSON, read by the charts' script and by tools; the counters are
// job_summary.json's own.
std::string data_json(const JobOutcome& outcome, const JobCounters& c, const JobStats& stats,
                      const std::vector<Chart>& charts) {
    std::string json = fmt::format("{{\"result\": {}, \"elapsed_s\": {:.3f}, {}, \"workers\": [",
                                   util::json_quote(outcome.result), outcome.elapsed_s, counters_json(c, ", "));
    for (std::size_t i = 0; i < stats.workers().size(); ++i) {
        const auto& w = stats.workers()[i];
        json += fmt::format("{}{{\"node\": {}, \"process\": {}, \"mini_batches\": {}, \"busy_s\": {:.3f}}}",
                            i ? ", " : "", w.node, util::json_quote(w.process), w.attempts, w.busy_s);
    }
    json += "], \"charts\": {";
    for (std::size_t i = 0; i < charts.size(); ++i)
        json += fmt::format("{}\"{}\": {{\"title\": {}, \"unit\": {}, \"lines\": {}}}", i ? ", " : "", charts[i].id,
                            util::json_quote(charts[i].title), util::json_quote(charts[i].unit),
                            lines_json(charts[i].lines));
    return json + "}}";
}

// Draws every chart of the data with Chart.js and marks the page done (body's
// data-charts), which a headless browser can check.
const char* const kChartScript = R"(
(function () {
  const data = JSON.parse(document.getElementById('prs-data').textContent);
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  let drawn = 0;
  for (const [id, chart] of Object.entries(data.charts)) {
    const canvas = document.getElementById('chart-' + id);
    if (!canvas || !chart.lines.length) continue;
    new Chart(canvas, {
      type: 'line',
      data: {datasets: chart.lines.map((l, i) => ({
        label: l.label, data: l.points.map(p => ({x: p[0], y: p[1]})), borderWidth: 2,
        borderColor: colours[i % colours.length], backgroundColor: colours[i % colours.length],
        pointRadius: l.points.length > 50 ? 0 : 3}))},
      options: {animation: false, responsive: false, parsing: false,
                scales: {x: {type: 'linear', title: {display: true, text: 'seconds since the start'}},
                         y: {beginAtZero: true, title: {display: true, text: chart.unit}}}}
    });
    ++drawn;
  }
  document.body.dataset.charts = String(drawn);
})();
)";

// Inline scripts end at the first "</script", whatever string it is in.
std::string script_safe(std::string_view js) {
    std::string out(js);
    for (auto at = out.find("</script"); at != out.npos; at = out.find("</script", at)) out.replace(at, 2, "<\\/");
    return out;
}

std::string attempt_row(const AttemptRecord& a, const JobStats& stats) {
    const WorkerStats& w = stats.workers()[a.worker];
    return fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.3f}</td><td>{:.3f}</td><td>{:.3f}</td><td>{}</td><td>{}</td></"
        "tr>\n",
        a.mini_batch_id, a.attempt + 1, util::html_escape(worker_label(w)), a.elapsed_s, a.elapsed_s - a.run_s, a.run_s,
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

std::string chart_js_source() {
    const char* env = std::getenv("PRS_CHART_JS");
    const std::string path = env ? env : "/usr/share/javascript/chart.js/chart.min.js";
    return util::read_text_if_exists(path);  // PRS_CHART_JS="" (no file): no chart
}

std::string report_html(const JobOutcome& outcome, const JobCounters& c, const JobStats& stats, const NodeUsage& usage,
                        std::string_view chart_js) {
    const Span span = stats.span();
    std::string html = kHead;
    html += fmt::format("<h1>prs_mpi job report: <span class=\"{}\">{}</span></h1>\n",
                        outcome.result == "succeeded" ? "succeeded" : "failed", util::html_escape(outcome.result));
    if (!outcome.reason.empty()) html += fmt::format("<p>{}</p>\n", util::html_escape(outcome.reason));
    html += fmt::format(
        "<table><tr><th>Mini-batches</th><td>{} succeeded, {} failed, {} total ({} attempts, {} failed)</td></tr>\n"
        "<tr><th>Items</th><td>{} succeeded, {} failed, {} total</td></tr>\n"
        "<tr><th>Elapsed</th><td>{:.2f} s ({:.2f} mini-batches/s)</td></tr></table>\n"
        "<p>Details: <a href=\"job_result.txt\">job_result.txt</a>, <a href=\"job_summary.json\">job_summary.json</a>, "
        "<a href=\"sys/job_report/processed_mini-batches.csv\">processed_mini-batches.csv</a></p>\n",
        c.mini_batches_succeeded, c.mini_batches_failed, c.mini_batches_total, c.attempts, c.failed_attempts,
        c.items_succeeded, c.items_failed, c.items_total, outcome.elapsed_s,
        outcome.elapsed_s > 0 ? static_cast<double>(c.mini_batches_done()) / outcome.elapsed_s : 0.0);

    html += fmt::format(
        "<h2>Timeline</h2>\n<p class=\"legend\"><span style=\"background:{}\">loading</span>"
        "<span style=\"background:#3a9d23\">run() succeeded</span>"
        "<span style=\"background:#d62728\">run() failed</span><span style=\"background:#e69500\">"
        "timeout</span><span style=\"background:#8e44ad\">process died</span>"
        "<span style=\"background:#8b5a2b\">load failed</span> (gaps: the worker waited; hover an "
        "attempt for its details, click it for its worker's log)</p>\n",
        kLoadColour);
    if (const auto drawn = stats.timeline().size(); drawn < stats.attempts())
        html += fmt::format(
            "<p>The timeline draws {} of the {} attempts: an even sample of them, and the first {} "
            "failed ones.</p>\n",
            drawn, stats.attempts(), JobStats::kFailuresKept);
    html += timeline_svg(stats, span);

    // Usage samples may begin before the first attempt: the x axis starts at the earlier.
    std::int64_t origin_us = span.begin_us;
    for (const auto& s : usage.cpu_percent)
        if (!s.points.empty() && (!origin_us || s.points.front().epoch_us < origin_us))
            origin_us = s.points.front().epoch_us;
    std::vector<Chart> charts = {
        {"throughput", "Throughput (attempts finished per second)", "/s", {throughput_line(stats, span)}}};
    if (!usage.cpu_percent.empty()) {
        charts.push_back({"cpu", "CPU in use per node (logs/perf)", "%", usage_lines(usage.cpu_percent, origin_us)});
        charts.push_back(
            {"memory", "Memory in use per node (logs/perf)", "%", usage_lines(usage.memory_used_percent, origin_us)});
    }
    if (!usage.gpu_percent.empty())
        charts.push_back(
            {"gpu", "GPU utilisation (nvidia-smi, logs/perf)", "%", usage_lines(usage.gpu_percent, origin_us)});
    for (const auto& chart : charts) {
        html += fmt::format("<h2>{}</h2>\n", util::html_escape(chart.title));
        const std::string svg = line_svg(chart.id, chart.lines, chart.unit);
        if (chart_js.empty())
            html += svg;
        else
            html +=
                fmt::format("<canvas id=\"chart-{}\" width=\"{}\" height=\"{}\"></canvas>\n<noscript>{}</noscript>\n",
                            chart.id, kLabelWidth + kPlotWidth, kChartHeight + 60, svg);
    }
    if (usage.cpu_percent.empty())
        html += "<p>No resource usage was sampled (--resource_monitor_interval 0, or a job shorter than it).</p>\n";

    const char* const header =
        "<tr><th>Mini-batch</th><th>Attempt</th><th>Worker</th><th>Seconds</th><th>Load s</th>"
        "<th>run() s</th><th>Status</th><th>Log</th></tr>\n";
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

    html += fmt::format("<script type=\"application/json\" id=\"prs-data\">{}</script>\n",
                        script_safe(data_json(outcome, c, stats, charts)));
    if (!chart_js.empty())
        html += fmt::format("<script>{}</script>\n<script>{}</script>\n", script_safe(chart_js), kChartScript);
    return html + "</body></html>\n";
}

}  // namespace prs::orchestrator
