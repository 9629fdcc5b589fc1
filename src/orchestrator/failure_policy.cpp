#include "prs/orchestrator/failure_policy.hpp"

#include <system_error>

#include <fmt/format.h>

#include "prs/orchestrator/error_summary.hpp"
#include "prs/orchestrator/exit_codes.hpp"
#include "prs/orchestrator/io_failure.hpp"

namespace prs::orchestrator {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

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

FailurePolicy::FailurePolicy(const config::JobSpec& job, PolicyTopology topology)
    : mini_batch_error_threshold_(job.mini_batch_error_threshold),
      item_error_threshold_(job.error_threshold),
      allowed_failed_percent_(job.allowed_failed_percent),
      run_timeout_s_(job.timeout),
      first_task_creation_timeout_s_(job.first_task_creation_timeout),
      progress_update_timeout_s_(job.progress_update_timeout),
      rank_timeout_s_(job.rank_timeout),
      append_rows_(job.append_row_file.has_value()),
      topology_(topology) {}

std::optional<JobFailure> FailurePolicy::check(const JobCounters& c, bool all_scheduled) const {
    if (mini_batch_error_threshold_ >= 0 &&
        c.mini_batches_failed > static_cast<std::uint64_t>(mini_batch_error_threshold_))
        return JobFailure{
            "mini_batch_error_threshold",
            fmt::format("{} mini-batches failed, more than mini_batch_error_threshold = {}", c.mini_batches_failed,
                        mini_batch_error_threshold_),
            "raise `mini_batch_error_threshold` (v1: allowed_failed_count) in the job file, or -1 to ignore "
            "failed mini-batches",
            true};
    if (item_error_threshold_ >= 0 && c.items_failed > static_cast<std::uint64_t>(item_error_threshold_))
        return JobFailure{
            "error_threshold",
            fmt::format("{} items failed, more than --error_threshold = {}", c.items_failed, item_error_threshold_),
            "raise `--error_threshold` in task.program_arguments (or on the prs_mpi command line), or -1 to "
            "ignore failed items",
            true};
    if (all_scheduled && allowed_failed_percent_ < 100 && c.mini_batches_total > 0) {
        const double percent =
            100.0 * static_cast<double>(c.mini_batches_failed) / static_cast<double>(c.mini_batches_total);
        if (percent > allowed_failed_percent_)
            return JobFailure{
                "allowed_failed_percent",
                fmt::format("{:.1f}% of the {} mini-batches failed, more than --allowed_failed_percent = {}", percent,
                            c.mini_batches_total, allowed_failed_percent_),
                "raise `--allowed_failed_percent` in task.program_arguments, or 100 to ignore", true};
    }
    return std::nullopt;
}

std::optional<JobFailure> FailurePolicy::check_running(const JobCounters& c, bool all_scheduled, const JobActivity& a,
                                                       const ErrorSummary& errors, Clock::time_point now) const {
    if (auto breach = check(c, all_scheduled)) return breach;
    const auto elapsed = now - a.started;
    if (a.live_agents == 0)
        return JobFailure{
            "init failure",
            fmt::format("init() failed on every worker ({} failures), so no worker is left. First error: {}",
                        a.init_failures, errors.first_message()),
            "fix the entry script's init() (see logs/job_error.txt and logs/user/stderr/)"};
    if (elapsed > std::chrono::minutes(2) &&
        a.init_failures >= 2ull * static_cast<unsigned>(topology_.node_count * topology_.workers_per_node))
        return JobFailure{"init failure",
                          fmt::format("init() failed {} times in {} s. First error: {}", a.init_failures,
                                      std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(),
                                      errors.first_message()),
                          "fix the entry script's init() (see logs/job_error.txt)"};
    if (!a.any_worker_ready && elapsed > std::chrono::seconds(3 * run_timeout_s_ + 30))
        return JobFailure{"init timeout",
                          fmt::format("no worker finished init() within 3 x retry_settings.timeout + 30 s = {} s",
                                      3 * run_timeout_s_ + 30),
                          "make init() faster or raise retry_settings.timeout"};
    if (!a.any_result && elapsed > std::chrono::seconds(first_task_creation_timeout_s_))
        return JobFailure{
            "first_task_creation_timeout",
            fmt::format("no mini-batch finished within --first_task_creation_timeout = {} s",
                        first_task_creation_timeout_s_),
            "raise --first_task_creation_timeout in task.program_arguments, or look at logs/user/stdout for "
            "where the entry script spends its time"};
    if (a.any_result && now - a.last_result > std::chrono::seconds(progress_update_timeout_s_))
        return JobFailure{"progress_update_timeout",
                          fmt::format("no mini-batch finished for --progress_update_timeout = {} s",
                                      progress_update_timeout_s_),
                          "raise --progress_update_timeout in task.program_arguments"};
    return std::nullopt;
}

std::optional<JobFailure> FailurePolicy::check_end(const JobCounters& c, const JobEnding& e) const {
    // job_error.txt is written only when some attempt failed: without one, nothing ran on any data.
    const char* const fix_no_result = e.any_attempt_failed ? "see logs/job_error.txt for the entry script's errors"
                                                           : "check that the input holds items";
    if (append_rows_ && c.rows_written == 0)
        return JobFailure{"no result to append",
                          "NoResultToAppendError: There is no succeeded mini batch item returned from run()",
                          fix_no_result};
    // Nothing at all: with error_threshold -1 a run() returning [] for every mini-batch
    // succeeds (Azure's many-models example trains a model per partition so), and an
    // isolated mini-batch whose good items succeeded counts as failed.
    if (c.mini_batches_succeeded == 0 && c.items_succeeded == 0 && c.mini_batches_failed > 0)
        return JobFailure{"nothing succeeded",
                          fmt::format("all {} mini-batches failed and no item succeeded", c.mini_batches_failed),
                          fix_no_result};
    if (e.lost_ranks > 0 && !topology_.survives_lost_ranks) {
        // The rows are all there, but the launcher will fail the job: rank 0 cannot finalize
        // MPI beside a rank that never answers. Said here, so the exit code and the report agree.
        return JobFailure{
            "lost rank",
            fmt::format("{} fell silent for --rank_timeout = {} s and {} dropped; {} mini-batches ran on the other "
                        "ranks, but without mpirun --enable-recovery a rank that does not finish fails the job",
                        e.lost_ranks_text, rank_timeout_s_, e.lost_ranks > 1 ? "were" : "was",
                        e.lost_ranks > 1 ? "their" : "its"),
            "find out why it stopped answering (a stopped or hung process, its node), then run the same command "
            "again: it resumes and keeps every finished mini-batch; or start the job with mpirun --enable-recovery "
            "to finish without a lost rank",
            false, true};
    }
    return std::nullopt;
}

Clock::time_point FailurePolicy::failure_deadline(const JobFailure& failure, Clock::time_point now) const {
    return failure.wait_for_in_flight ? now + std::chrono::seconds(run_timeout_s_) : now;
}

Clock::time_point FailurePolicy::stop_deadline(int signals, Clock::time_point now) const {
    return signals > 1 ? now : now + std::chrono::seconds(run_timeout_s_);
}

JobFailure failure_on_error(const std::exception& e) {
    return JobFailure{dynamic_cast<const std::system_error*>(&e) ? "I/O error" : "internal error", e.what(),
                      io_error_fix(e), false, true};
}

bool may_respawn(int init_failures, int workers) { return init_failures < 3 * workers; }

bool stopped_by_signal(int stop_signal, bool failed, bool all_scheduled, std::size_t in_flight, const JobCounters& c) {
    const bool all_done = all_scheduled && in_flight == 0 && c.mini_batches_done() == c.mini_batches_total;
    return stop_signal != 0 && !failed && !all_done;
}

int exit_code(JobResult result) {
    switch (result) {
        case JobResult::Succeeded:
            return kExitSucceeded;
        case JobResult::Failed:
            return kExitJobFailed;
        case JobResult::Stopped:
            return kExitResumable;
    }
    return kExitJobFailed;
}

std::string_view result_name(JobResult result) {
    switch (result) {
        case JobResult::Succeeded:
            return "succeeded";
        case JobResult::Failed:
            return "failed";
        case JobResult::Stopped:
            return "stopped";
    }
    return "failed";
}

}  // namespace prs::orchestrator
