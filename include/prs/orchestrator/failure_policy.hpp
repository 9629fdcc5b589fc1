#pragma once
// Every rule that ends a job, and the exit code it ends with (docs/design.md §6). The
// orchestrator and the agent gather the counts and act on the verdict (stop, exit code,
// logs/job_result.txt); the decisions are made here, as pure functions of those counts and of a
// `now` the caller passes in (nothing here reads a clock), so that "why did my job exit 42?" is
// answered by this file and each rule is tested at its boundary (tests/unit/test_failure_policy.cpp).
//
// The job fails: exit 42 (kExitJobFailed), job_result.txt says "Reason (<rule>): <detail>. Fix: <fix>."
//  While it runs (FailurePolicy::check_running, every turn of rank 0's loop, first match wins):
//    1. mini_batch_error_threshold   failed mini-batches > mini_batch_error_threshold (-1: never)
//    2. error_threshold              failed items > --error_threshold (-1: never)
//    3. allowed_failed_percent       failed mini-batches > --allowed_failed_percent % of all, checked once
//                                    every mini-batch is scheduled (100: never)
//                                    1-3: mini-batches already running may finish, within one retry_settings.timeout
//    4. init failure                 no rank is left to run work: each gave up starting workers (rule 13) or fell
//                                    silent
//    5. init failure                 Azure's second init rule: the job has run > 2 min and init() failed
//                                    >= 2 x nodes x workers-per-node times
//    6. init timeout                 Azure's third init rule: no worker finished init() within
//                                    3 x retry_settings.timeout + 30 s
//    7. first_task_creation_timeout  no mini-batch finished within --first_task_creation_timeout s
//    8. progress_update_timeout      no mini-batch finished for --progress_update_timeout s after the last one
//  At its end (FailurePolicy::check_end, first match wins):
//    9. no result to append          task.append_row_to is set and no row was written
//   10. nothing succeeded            some mini-batch failed, none succeeded and no item succeeded
//   11. lost rank                    a rank fell silent for --rank_timeout and was dropped, and mpirun has no
//                                    --enable-recovery (resumable: the journal stays unfinished)
//  On an error (failure_on_error):
//   12. I/O error, internal error    writing the output or the journal failed, or rank 0's loop threw
//                                    (resumable; nothing more is written)
// A rank stops starting workers (may_respawn; its agent then gives up, see rule 4):
//   13. Azure's first init rule      init() failed 3 x workers times on the rank
// An attempt that is not a failure (short_return_succeeds):
//   14. short return                 with --error_threshold -1, run() returning fewer results than items
//                                    succeeds (its shortfall counts as failed items)
// The job stops, resumably: exit 75 (kExitResumable):
//   15. stopped by a signal          SIGTERM/SIGINT/SIGUSR1 before every mini-batch was done (stopped_by_signal);
//                                    running mini-batches may finish within one retry_settings.timeout, a second
//                                    signal stops at once (stop_deadline)
// Before or beside the orchestrator (src/app/main.cpp, not rules of the job's progress): bad input exits 2
// and writes nothing; a job that cannot start (its run directory, output or journal) exits 42; a rank other
// than 0 exits 42 when rank 0 falls silent for --rank_timeout, or when a rank was dropped without
// --enable-recovery.

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "prs/config/job_spec.hpp"

namespace prs::orchestrator {

class ErrorSummary;

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

// Why the job fails: what job_result.txt, job_summary.json and stderr say, and how it stops.
struct JobFailure {
    std::string rule;    // which rule (the list above)
    std::string detail;  // the numbers
    std::string fix;     // which setting to change, or what to look at
    // Mini-batches already running may finish (their rows count), within one run() timeout;
    // false: when nothing progresses (or nothing can be written), waiting is pointless.
    bool wait_for_in_flight = false;
    bool resumable = false;  // the journal stays unfinished: running the same command again resumes
};

// The cluster, as far as the rules need it.
struct PolicyTopology {
    int node_count = 1;
    int workers_per_node = 1;
    bool survives_lost_ranks = false;  // mpirun --enable-recovery
};

// What rank 0 knows of the job's progress besides the counters, for rules 4-8.
struct JobActivity {
    std::chrono::steady_clock::time_point started;
    int live_agents = 1;                                // ranks still taking work
    std::uint64_t init_failures = 0;                    // on every rank
    bool any_worker_ready = false;                      // some worker finished init()
    bool any_result = false;                            // some attempt finished
    std::chrono::steady_clock::time_point last_result;  // when the latest did
};

// What rank 0 knows at the job's end besides the counters, for rules 9-11.
struct JobEnding {
    bool any_attempt_failed = false;  // logs/job_error.txt exists
    int lost_ranks = 0;
    std::string lost_ranks_text;  // "rank 2", "ranks 1, 3"
};

class FailurePolicy {
public:
    explicit FailurePolicy(const config::JobSpec& job, PolicyTopology topology = {});
    // Rules 1-3; `all_scheduled` enables the percentage rule, which Azure checks only once
    // every mini-batch has been scheduled.
    std::optional<JobFailure> check(const JobCounters& c, bool all_scheduled) const;
    // Rules 1-8 at `now`; `errors` gives the init rules' first error.
    std::optional<JobFailure> check_running(const JobCounters& c, bool all_scheduled, const JobActivity& a,
                                            const ErrorSummary& errors,
                                            std::chrono::steady_clock::time_point now) const;
    // Rules 9-11, once the job ran to its end without failing.
    std::optional<JobFailure> check_end(const JobCounters& c, const JobEnding& e) const;
    // Rule 14: an attempt whose run() returned fewer results than items succeeds.
    bool short_return_succeeds() const { return item_error_threshold_ < 0; }
    // Until when mini-batches already running may finish after `failure` at `now`.
    std::chrono::steady_clock::time_point failure_deadline(const JobFailure& failure,
                                                           std::chrono::steady_clock::time_point now) const;
    // Rule 15: until when running mini-batches may finish after the `signals`-th stop request at `now`.
    std::chrono::steady_clock::time_point stop_deadline(int signals, std::chrono::steady_clock::time_point now) const;

private:
    long mini_batch_error_threshold_;
    long item_error_threshold_;
    int allowed_failed_percent_;
    int run_timeout_s_;
    int first_task_creation_timeout_s_;
    int progress_update_timeout_s_;
    int rank_timeout_s_;
    bool append_rows_;
    PolicyTopology topology_;
};

// Rule 12: the failure that ends a job whose loop, output or journal threw `e`.
JobFailure failure_on_error(const std::exception& e);

// Rule 13: whether a rank starts another worker after `init_failures` on it, running `workers`.
bool may_respawn(int init_failures, int workers);

// Rule 15: a stop request (`stop_signal` != 0) ends the job resumably unless it failed, or its
// work was all done by the time the running mini-batches stopped (then it ends as usual).
bool stopped_by_signal(int stop_signal, bool failed, bool all_scheduled, std::size_t in_flight, const JobCounters& c);

// How a job ended, and the exit code and job_summary.json "result" of each ending.
enum class JobResult { Succeeded, Failed, Stopped };
int exit_code(JobResult result);
std::string_view result_name(JobResult result);

}  // namespace prs::orchestrator
