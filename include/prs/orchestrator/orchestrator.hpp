#pragma once
// Rank 0's event loop ("master role"): hands descriptors to agents, gathers their
// results, appends rows to the single output file, keeps the counters, enforces
// thresholds and timeouts, and writes the job-level logs.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <algorithm>

#include "prs/agent/agent_loop.hpp"
#include "prs/agent/local_agent.hpp"
#include "prs/config/job_spec.hpp"
#include "prs/logs/layout.hpp"
#include "prs/logs/log_file.hpp"
#include "prs/logs/mini_batch_report.hpp"
#include "prs/logs/progress.hpp"
#include "prs/orchestrator/committer.hpp"
#include "prs/orchestrator/error_summary.hpp"
#include "prs/orchestrator/failed_items.hpp"
#include "prs/orchestrator/failure_policy.hpp"
#include "prs/orchestrator/isolation.hpp"
#include "prs/orchestrator/job_stats.hpp"
#include "prs/orchestrator/job_summary.hpp"
#include "prs/orchestrator/journal.hpp"
#include "prs/orchestrator/report_html.hpp"
#include "prs/orchestrator/scheduler.hpp"
#include "prs/orchestrator/stop_request.hpp"
#include "prs/output/row_writer.hpp"
#include "prs/transport/transport.hpp"

namespace prs::orchestrator {

struct Topology {
    int world_size = 1;
    int node_count = 1;
    int workers_per_node = 1;  // for Azure's init-failure rules
    // mpirun --enable-recovery: a rank dropped for silence leaves the job a success. Without
    // it the launcher fails the job anyway (rank 0 cannot finalize MPI), so the job fails,
    // resumably.
    bool survives_lost_ranks = false;
};

// What the orchestrator reads from outside besides its ranks: the time and stop requests
// (signals). The defaults are the real ones; the orchestrator's tests and bench/ simulate them.
struct Environment {
    std::function<std::chrono::steady_clock::time_point()> now = [] {
        return std::chrono::steady_clock::now();
    };
    std::function<StopRequest()> stop_request = orchestrator::stop_request;
};

class Orchestrator {
public:
    // `transport` may be null when the job runs alone (world size 1).
    // `resumed`: the journal of an interrupted run of the same job, whose committed
    // mini-batches are skipped and whose rows stay (kept_part() of a run that ended: its
    // failed mini-batches run again).
    Orchestrator(const config::JobSpec& job, const logs::Layout& layout, partition::Partition& source,
                 agent::LocalAgent& local, transport::RankZeroEndpoint* transport, Topology topology,
                 std::optional<std::filesystem::path> output_file, Journal& journal, const JournalState* resumed,
                 Environment env = {});
    int run();  // the job's exit code
    // Ranks that fell silent and were left behind; MPI_Finalize would wait on them.
    int lost_ranks() const { return lost_count_; }
    bool lost(int rank) const { return lost_[static_cast<std::size_t>(rank)]; }

private:
    // Returns whether the message was the agent's Bye.
    bool handle(int rank, protocol::AgentToRankZero&& m);
    void on_result(int rank, protocol::AttemptResult&& r);
    void on_worker_event(int rank, const protocol::WorkerEvent& e);
    // Counts, reports and (when final) writes one attempt's outcome.
    void account(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d, Verdict verdict);
    void on_final(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d, bool succeeded);
    // on_final's writes; may throw
    void write_final(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d, bool succeeded);
    // The run's end: the failed mini-batches' rows go after every committed row, and the
    // journal says where they begin (a rerun cuts them and runs those mini-batches again).
    void write_failed_rows();
    void write_failed_items();
    // --isolate_failed_items (isolation.hpp). start_isolation: false when `d` cannot be split.
    struct Isolating;
    bool start_isolation(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d);
    void on_piece(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d, Verdict verdict,
                  std::uint64_t parent, ItemRange range);
    void queue_pieces(std::uint64_t parent, Isolating& iso, const std::vector<ItemRange>& pieces);
    void end_isolation(std::uint64_t parent);
    const protocol::InputFormat& input_format();
    void lose_agent(int rank, const std::string& why);
    void check_job_rules();
    void fail(JobFailure failure);  // the first failure stands (failure_policy.hpp)
    // Writing or syncing the output or the journal failed (a full or read-only filesystem),
    // or the event loop hit another error: the job stops at once, names the cause, and
    // writes and commits nothing more, so the journal stays as a rerun resumes it.
    void stop_on_error(const std::exception& e);
    void shut_down();
    // The last word to every rank still here: Finish, saying whether to finalize or abandon.
    void release_ranks();
    // Receives what remote ranks sent, keeps their heartbeats, declares silent ones lost.
    // Returns the number of Bye messages seen.
    int pump_remote();
    void write_progress(bool force);
    logs::ProgressCounts progress_counts() const;
    void check_stop_request();
    // Has the mini-batches finished since the last commit journaled (after the output is
    // synced, on the committer's thread): at most every 100 ms (or 4096 mini-batches), so
    // the cost per mini-batch stays small. `now`: at once, and waits until it is done.
    void commit(bool now);
    void commit_rows(bool now);  // commit's work; throws what the writer or the committer threw
    // The event loop: hands out work and gathers results until the job is done or must stop.
    void schedule();
    // The end: the rows held back for a header are written, everything is committed (with
    // the failed mini-batches' rows when `with_failed`), and the output file is closed.
    void commit_and_close(bool with_failed);
    int finish();
    std::string lost_ranks_text() const;  // "rank 2", "ranks 1, 3"
    // A job-level log file, replaced whole; failing to write one is reported, not fatal.
    void write_log(const std::filesystem::path& file, std::string_view text);
    // job_summary.json and report.html, from the outcome finish() settled on.
    void write_summaries(const JobOutcome& outcome);

    using Clock = std::chrono::steady_clock;
    Clock::time_point now() const { return env_.now(); }
    Environment env_;
    const config::JobSpec& job_;
    logs::Layout layout_;
    agent::LocalAgent& local_;
    transport::RankZeroEndpoint* transport_;
    Topology topology_;
    partition::Partition& source_;
    // Byte-range inputs learn their totals as they go: the mini-batch count is exact once
    // the source is exhausted, and items are only counted by the workers.
    bool totals_final_ = false;
    bool items_from_results_ = false;
    Scheduler scheduler_;
    FailurePolicy policy_;
    JobCounters counters_;
    ErrorSummary errors_;
    JobStats stats_;
    logs::LogFile master_;
    logs::LogFile overview_;
    logs::MiniBatchReport report_;
    logs::ProgressDisplay progress_;
    std::uint64_t resumed_done_ = 0;
    std::unique_ptr<output::RowWriter> writer_;
    std::unique_ptr<output::InputOrderSequencer> sequencer_;
    std::unique_ptr<Committer> committer_;  // after writer_: stops before the output closes
    std::optional<JobFailure> failure_;
    bool write_failed_ = false;       // stop_on_error: the output and the journal are left alone
    bool resumable_failure_ = false;  // the journal stays unfinished: the rerun resumes
    Journal& journal_;
    std::vector<std::uint64_t> uncommitted_;
    // output_order input: final mini-batches whose rows wait for earlier ones, with what
    // they added to counters_ (kept out of the journal until their rows are written).
    std::map<std::uint64_t, JobCounters> held_;
    JobCounters held_total_;  // final mini-batches whose rows are written but not journaled
    // Mini-batches that failed for good, by id, with their last attempt: its rows wait for the
    // run's end (write_failed_rows), and failed_items/ lists them. Out of the journal's counts.
    std::map<std::uint64_t, FailedMiniBatch> failed_;
    JobCounters failed_total_;
    std::uint64_t resumed_rows_ = 0;
    // Mini-batches being isolated, by id. Their pieces' rows wait here until every piece is
    // final; the whole is then final as one mini-batch (journaled, or failed with its pieces).
    struct Isolating {
        protocol::MiniBatchDescriptor whole;
        protocol::AttemptResult last_failure;  // the whole's last attempt, then its latest failing piece
        Bisection bisection;
        std::vector<std::uint64_t> rows;                  // tabular: where each row starts
        std::map<std::uint64_t, std::string> piece_rows;  // by the piece's first item: rows in item order
        std::string header;
        std::uint32_t row_count = 0;
        std::vector<FailedMiniBatch> failed;  // the pieces that failed alone
    };
    std::map<std::uint64_t, Isolating> isolating_;
    std::unordered_map<std::uint64_t, std::pair<std::uint64_t, ItemRange>> pieces_;  // piece id -> whole, items
    std::uint64_t next_piece_id_ = std::uint64_t{1} << 48;                           // beyond any partition's ids
    std::uint64_t isolated_mini_batches_ = 0;
    std::uint64_t isolation_attempts_ = 0;
    std::uint64_t isolated_items_ = 0;
    std::uint64_t isolation_bound_ = 0;
    std::optional<protocol::InputFormat> input_format_;
    int stop_signal_ = 0;
    Clock::time_point started_;
    Clock::time_point abort_at_;
    Clock::time_point last_progress_;
    Clock::time_point last_overview_;
    Clock::time_point last_commit_;
    bool any_result_ = false;
    bool short_return_reported_ = false;
    bool any_worker_ready_ = false;
    bool scheduling_logged_ = false;
    std::uint64_t init_failures_ = 0;
    std::vector<agent::PeerClock> peers_;  // per rank (index 0 unused)
    Clock::time_point peers_checked_;      // pump_remote's last look at them
    std::vector<bool> lost_;
    int lost_count_ = 0;  // of lost_
};

}  // namespace prs::orchestrator
