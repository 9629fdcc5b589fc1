#include "prs/orchestrator/job_summary.hpp"

#include <sys/resource.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "prs/util/text.hpp"

namespace prs::orchestrator {

namespace {
double per_second(std::uint64_t count, double seconds) {
    return seconds > 0 ? static_cast<double>(count) / seconds : 0;
}

std::string process_json(const WorkerStats& w) {
    return fmt::format(
        "{{\"process\": {}, \"mini_batches\": {}, \"failures\": {}, \"items_succeeded\": {}, "
        "\"busy_s\": {:.3f}}}",
        util::json_quote(w.process.empty() ? "(rank lost)" : w.process), w.attempts, w.failed_attempts,
        w.items_succeeded, w.busy_s);
}
}  // namespace

std::string counters_json(const JobCounters& c, std::string_view separator) {
    return fmt::format(
        "\"mini_batches\": {{\"total\": {}, \"succeeded\": {}, \"failed\": {}, \"attempts\": {}, "
        "\"failed_attempts\": {}}}{}\"items\": {{\"total\": {}, \"succeeded\": {}, \"failed\": {}}}{}"
        "\"rows_written\": {}",
        c.mini_batches_total, c.mini_batches_succeeded, c.mini_batches_failed, c.attempts, c.failed_attempts, separator,
        c.items_total, c.items_succeeded, c.items_failed, separator, c.rows_written);
}

ProcessUsage own_usage() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
    };
    // VmHWM, not ru_maxrss: the latter keeps the peak of the image before execve (a
    // launcher's or a Python parent's fork of itself), so it would report their memory.
    double peak_mb = 0;
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("VmHWM:")) peak_mb = std::strtod(line.c_str() + 6, nullptr) / 1024.0;
    return ProcessUsage{seconds(u.ru_utime) + seconds(u.ru_stime), peak_mb};
}

std::string job_summary_json(const JobOutcome& outcome, const ProcessUsage& rank0, const JobCounters& c,
                             const JobStats& stats) {
    std::string json = "{\n";
    json += fmt::format("  \"result\": {},\n  \"exit_code\": {},\n  \"reason\": {},\n  \"elapsed_s\": {:.3f},\n",
                        util::json_quote(outcome.result), outcome.exit_code, util::json_quote(outcome.reason),
                        outcome.elapsed_s);
    json += "  " + counters_json(c, ",\n  ") + ",\n";
    json += fmt::format("  \"throughput\": {{\"mini_batches_per_s\": {:.3f}, \"items_per_s\": {:.3f}}},\n",
                        per_second(c.mini_batches_done(), outcome.elapsed_s),
                        per_second(c.items_succeeded + c.items_failed, outcome.elapsed_s));
    // Rank 0's own process (the orchestrator, and the agent of its own workers), start-up
    // included.
    const double per_attempt_us = c.attempts ? rank0.cpu_s * 1e6 / static_cast<double>(c.attempts) : 0.0;
    json +=
        fmt::format("  \"rank0\": {{\"cpu_s\": {:.3f}, \"cpu_us_per_attempt\": {:.2f}, \"peak_rss_mb\": {:.1f}}},\n",
                    rank0.cpu_s, per_attempt_us, rank0.peak_rss_mb);

    // Attempts of this run only: a resumed job's earlier attempts are in its own summary.
    std::map<int, std::vector<const WorkerStats*>> by_node;
    for (const auto& w : stats.workers()) by_node[w.node].push_back(&w);
    json += "  \"nodes\": [";
    bool first_node = true;
    for (const auto& [node, workers] : by_node) {
        WorkerStats total;
        std::string processes;
        for (const WorkerStats* w : workers) {
            total.attempts += w->attempts;
            total.failed_attempts += w->failed_attempts;
            total.items_succeeded += w->items_succeeded;
            total.busy_s += w->busy_s;
            processes += (processes.empty() ? "\n      " : ",\n      ") + process_json(*w);
        }
        json += fmt::format(
            "{}\n    {{\"node\": {}, \"mini_batches\": {}, \"failures\": {}, \"items_succeeded\": {}, "
            "\"busy_s\": {:.3f}, \"processes\": [{}]}}",
            first_node ? "" : ",", node, total.attempts, total.failed_attempts, total.items_succeeded, total.busy_s,
            processes);
        first_node = false;
    }
    json += by_node.empty() ? "],\n" : "\n  ],\n";
    // report.html's timeline draws a sample of the attempts.
    const auto drawn = stats.timeline().size();
    json += fmt::format("  \"timeline_attempts\": {},\n  \"timeline_attempts_dropped\": {}\n}}\n", drawn,
                        stats.attempts() - drawn);
    return json;
}

}  // namespace prs::orchestrator
