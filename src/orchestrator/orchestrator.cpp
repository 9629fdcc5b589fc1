#include "prs/orchestrator/orchestrator.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "prs/agent/agent_loop.hpp"
#include "prs/orchestrator/stop_request.hpp"
#include "prs/partition/input_file.hpp"
#include "prs/partition/partition.hpp"

namespace prs::orchestrator {

namespace {
constexpr auto kOverviewEvery = std::chrono::seconds(10);
const char* const kSeeLogs = "Please check logs for error. You can check logs/readme.txt for the layout of logs.";
}  // namespace

Orchestrator::Orchestrator(const config::JobSpec& job, const logs::Layout& layout, partition::Partition& source,
                           agent::LocalAgent& local, transport::RankZeroEndpoint* transport, Topology topology,
                           std::optional<std::filesystem::path> output_file, Journal& journal,
                           const JournalState* resumed, Environment env)
    : env_(std::move(env)),
      job_(job),
      layout_(layout),
      local_(local),
      transport_(transport),
      topology_(std::move(topology)),
      source_(source),
      scheduler_(source, job.max_retries),
      policy_(job, {topology_.node_count, topology_.workers_per_node, topology_.survives_lost_ranks}),
      master_(layout.master_role()),
      overview_(layout.progress_overview(logs::hour_stamp_now())),
      report_(layout.processed_mini_batches()),
      progress_(STDERR_FILENO),
      journal_(journal) {
    started_ = last_progress_ = last_overview_ = last_commit_ = now();
    if (resumed) {
        counters_ = resumed->counters;
        resumed_done_ = counters_.mini_batches_done();
        resumed_rows_ = counters_.rows_written;
        scheduler_.skip(resumed->done);
        master_.line("INFO", fmt::format("Resuming: {} mini-batches were already done; the output keeps their {} "
                                         "rows ({} bytes).",
                                         resumed->done_count(), counters_.rows_written, resumed->output_offset));
    }
    counters_.mini_batches_total = source.mini_batch_count();
    counters_.items_total = source.item_count();
    items_from_results_ = counters_.items_total == 0;
    // Each agent says how many mini-batches it can hold (its workers' pipelines): the local
    // one when asked, remote ones in a Credit message as soon as they start.
    for (int r = 0; r < topology_.world_size; ++r) scheduler_.add_agent(r == 0 ? local_.wanted_credit() : 0);
    peers_.assign(static_cast<std::size_t>(topology_.world_size), agent::PeerClock(now()));
    lost_.assign(static_cast<std::size_t>(topology_.world_size), false);
    if (output_file) {
        writer_ = std::make_unique<output::RowWriter>(*output_file, job.append_row_dataframe_header,
                                                      resumed ? resumed->output_offset : 0);
        if (job.output_order_input)
            sequencer_ =
                std::make_unique<output::InputOrderSequencer>(*writer_, resumed ? resumed->done : std::vector<bool>{});
    }
    committer_ = std::make_unique<Committer>(journal_, writer_ ? writer_->fd() : -1,
                                             writer_ ? writer_->path() : std::filesystem::path(),
                                             resumed && writer_ ? resumed->output_offset : 0,
                                             resumed && writer_ ? resumed->output_checksum.value_or(0) : 0);
}

bool Orchestrator::handle(int rank, protocol::AgentToRankZero&& m) {
    return std::visit(protocol::Overloaded{
                          [&](protocol::Result& r) {
                              on_result(rank, std::move(r.result));
                              return false;
                          },
                          [&](const protocol::WorkerEvent& e) {
                              on_worker_event(rank, e);
                              return false;
                          },
                          [&](const protocol::Credit& c) {
                              scheduler_.set_credit(rank, c.credit);
                              return false;
                          },
                          [](const protocol::Bye&) { return true; },
                          // Nothing to do: hearing it is the point (pump_remote noted that).
                          [](const protocol::Heartbeat&) { return false; },
                      },
                      m);
}

void Orchestrator::on_result(int rank, protocol::AttemptResult&& r) {
    protocol::MiniBatchDescriptor descriptor;  // for the report
    // Azure's orange-juice example returns one row per partition (rule 14, failure_policy.hpp).
    const bool short_succeeds = policy_.short_return_succeeds();
    const Verdict verdict = scheduler_.on_result(rank, r, &descriptor, short_succeeds);
    if (short_succeeds && r.status == protocol::AttemptStatus::RunDone && r.succeeded < r.total &&
        verdict == Verdict::Succeeded && !short_return_reported_) {
        short_return_reported_ = true;
        const std::string line = fmt::format(
            "mini-batch {}: run() returned {} results for {} items; with error_threshold -1 that is a success (as on "
            "Azure): its rows are written and the shortfall counts as failed items. Set --error_threshold 0 or more "
            "to fail such attempts. (Reported once.)",
            r.mini_batch_id, r.succeeded, r.total);
        master_.line("WARNING", line);
        fmt::print(stderr, "prs_mpi: {}\n", line);
    }
    if (verdict == Verdict::Stale) return;
    any_result_ = true;
    last_progress_ = now();
    account(r, descriptor, verdict);
}

void Orchestrator::account(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& descriptor,
                           Verdict verdict) {
    ++counters_.attempts;
    const auto piece = pieces_.find(r.mini_batch_id);
    const bool is_piece = piece != pieces_.end();
    if (is_piece)
        report_.add(r, descriptor, {piece->second.first, piece->second.second.lo, piece->second.second.hi});
    else
        report_.add(r, descriptor);
    stats_.add(r);
    if (!r.ok() && verdict != Verdict::Succeeded) {  // a short return under error_threshold -1 succeeded
        ++counters_.failed_attempts;
        if (is_piece) {
            // job_error.txt names the mini-batch the user knows, not the piece.
            auto as_parent = r;
            as_parent.mini_batch_id = piece->second.first;
            errors_.add(as_parent);
        } else {
            errors_.add(r);
        }
        const std::string name = is_piece ? fmt::format("{} items [{}, {})", piece->second.first,
                                                        piece->second.second.lo, piece->second.second.hi)
                                          : std::to_string(r.mini_batch_id);
        master_.line("WARNING", fmt::format("mini-batch {} attempt {} on node {} {}: {} {}{}", name, r.attempt + 1,
                                            r.node_id, r.process, protocol::status_name(r.status), r.error_message,
                                            verdict == Verdict::WillRetry     ? " (will retry)"
                                            : verdict == Verdict::Interrupted ? " (job stopping: not final)"
                                                                              : " (no retries left)"));
    }
    if (r.succeeded > r.total)
        master_.line("WARNING", fmt::format("mini-batch {}: run() returned {} results for {} items; all rows are kept.",
                                            r.mini_batch_id, r.succeeded, r.total));
    if (is_piece) {
        const auto [parent, range] = piece->second;
        pieces_.erase(piece);
        on_piece(r, descriptor, verdict, parent, range);
        return;
    }
    if (verdict == Verdict::Failed && job_.isolate_failed_items && isolates(r.status) && !write_failed_ &&
        start_isolation(r, descriptor))
        return;
    if (verdict == Verdict::Succeeded || verdict == Verdict::Failed)
        on_final(r, descriptor, verdict == Verdict::Succeeded);
}

const protocol::InputFormat& Orchestrator::input_format() {
    if (!input_format_) input_format_ = partition::describe_input(job_);
    return *input_format_;
}

bool Orchestrator::start_isolation(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d) {
    std::vector<std::uint64_t> rows;
    const bool tabular = d.kind == protocol::InputKind::Delimited || d.kind == protocol::InputKind::JsonLines;
    std::error_code not_regular;
    // A FIFO is never opened (that blocks until someone writes it): its mini-batch is not split.
    if (tabular && d.partition_values.empty() && !d.files.empty() &&
        std::filesystem::is_regular_file(d.files[0], not_regular)) {
        try {
            const partition::InputFile file(d.files[0]);
            if (file.regular())
                rows = row_starts(file.read_range(d.begin, d.end == 0 ? file.size() : d.end), d.begin,
                                  d.kind == protocol::InputKind::Delimited && input_format().support_multi_line);
        } catch (const std::exception& e) {
            master_.line("WARNING", fmt::format("mini-batch {}: cannot read its rows to isolate the failing ones: {}",
                                                d.id, e.what()));
            return false;
        }
    }
    const auto n = divisible_items(d, rows);
    if (n < 2) {
        if (!d.partition_values.empty())
            master_.line("INFO", fmt::format("mini-batch {}: a partition_keys mini-batch is indivisible; its failing "
                                             "items are not isolated.",
                                             d.id));
        return false;
    }
    master_.line("INFO", fmt::format("mini-batch {}: every attempt failed ({}); isolating its failing items among {} "
                                     "by halves (at most {} extra attempts per failing item).",
                                     d.id, protocol::status_name(r.status), n, bisection_bound(1, n)));
    auto& iso = isolating_.emplace(d.id, Isolating{d, r, Bisection(n), std::move(rows), {}, {}, 0, {}}).first->second;
    ++isolated_mini_batches_;
    queue_pieces(d.id, iso, iso.bisection.start());
    return true;
}

void Orchestrator::queue_pieces(std::uint64_t parent, Isolating& iso, const std::vector<ItemRange>& pieces) {
    for (const auto& range : pieces) {
        const auto id = next_piece_id_++;
        pieces_.emplace(id, std::pair{parent, range});
        scheduler_.add_piece(piece_of(iso.whole, range, iso.rows, id));
        ++isolation_attempts_;
    }
}

void Orchestrator::on_piece(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d, Verdict verdict,
                            std::uint64_t parent, ItemRange range) {
    const auto it = isolating_.find(parent);
    if (it == isolating_.end()) return;  // given up (the job stops)
    auto& iso = it->second;
    if (verdict == Verdict::Interrupted) {
        // The job stops: the whole mini-batch is not final, and a resumed run does it again.
        isolating_.erase(it);
        return;
    }
    const bool ok = verdict == Verdict::Succeeded;
    auto more = iso.bisection.settle(range, ok, isolates(r.status));
    if (ok || more.empty()) {
        iso.piece_rows[range.lo] = r.rows;
        iso.row_count += r.row_count;
        if (!r.header.empty()) iso.header = r.header;
    }
    if (!ok && more.empty()) {
        FailedMiniBatch f{d, r, {}};
        f.descriptor.id = parent;
        f.last.mini_batch_id = parent;
        std::string().swap(f.last.rows);
        iso.failed.push_back(std::move(f));
        iso.last_failure = r;
    }
    queue_pieces(parent, iso, more);
    if (iso.bisection.done()) end_isolation(parent);
}

void Orchestrator::end_isolation(std::uint64_t parent) {
    auto node = isolating_.extract(parent);
    auto& iso = node.mapped();
    const auto n = iso.bisection.items();
    const auto bad = iso.bisection.failed_items();
    protocol::AttemptResult whole = iso.failed.empty() ? protocol::AttemptResult{} : iso.last_failure;
    if (iso.failed.empty()) whole.node_id = iso.last_failure.node_id, whole.process = iso.last_failure.process;
    whole.mini_batch_id = parent;
    whole.attempt = iso.whole.attempt;
    whole.total = static_cast<std::uint32_t>(n);
    whole.succeeded = static_cast<std::uint32_t>(n - bad);
    whole.rows.clear();
    for (auto& [lo, rows] : iso.piece_rows) whole.rows += rows;
    whole.row_count = iso.row_count;
    whole.header = iso.header;
    isolated_items_ += bad;
    const auto bound = bisection_bound(std::max<std::uint64_t>(bad, 1), n);
    isolation_bound_ += bound;
    master_.line("INFO", fmt::format("mini-batch {}: isolated {} failing item(s) among {} in {} extra attempts "
                                     "(bound 2 x k x ceil(log2 n) = {}).",
                                     parent, bad, n, iso.bisection.attempts(), bound));
    on_final(whole, iso.whole, iso.failed.empty());
    if (const auto f = failed_.find(parent); f != failed_.end()) f->second.pieces = std::move(iso.failed);
}

void Orchestrator::on_final(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d, bool succeeded) {
    if (write_failed_) return;  // not written, not committed: a rerun does it again
    try {
        write_final(r, d, succeeded);
    } catch (const std::exception& e) {
        stop_on_error(e);
    }
}

void Orchestrator::write_final(const protocol::AttemptResult& r, const protocol::MiniBatchDescriptor& d,
                               bool succeeded) {
    JobCounters final_counts;
    (succeeded ? final_counts.mini_batches_succeeded : final_counts.mini_batches_failed) = 1;
    if (items_from_results_) final_counts.items_total = r.total;
    final_counts.items_succeeded = std::min(r.succeeded, r.total);
    final_counts.items_failed = r.total - final_counts.items_succeeded;
    if (writer_) final_counts.rows_written = r.row_count;
    counters_ += final_counts;
    if (!succeeded) {
        failed_total_ += final_counts;
        failed_[r.mini_batch_id] = FailedMiniBatch{d, r, {}};
    }
    if (writer_) {
        if (r.row_count > 0 || !r.header.empty()) writer_->offer_header(r.header);
        if (sequencer_) {
            // Held rows are not in the output yet: their counts stay out of the journal
            // until they are, or a resumed run would count them again. A failed mini-batch
            // holds up no other: its rows come at the end.
            if (succeeded) {
                held_[r.mini_batch_id] = final_counts;
                held_total_ += final_counts;
            }
            for (auto id : sequencer_->put(r.mini_batch_id, succeeded ? r.rows : std::string())) {
                if (failed_.count(id)) continue;
                held_total_ -= held_[id];
                held_.erase(id);
                uncommitted_.push_back(id);
            }
            return;
        }
        if (succeeded) writer_->append(r.rows);
    }
    if (succeeded) uncommitted_.push_back(r.mini_batch_id);
}

void Orchestrator::write_failed_rows() {
    std::vector<std::uint64_t> ids;
    for (auto& [id, f] : failed_) {
        ids.push_back(id);
        if (writer_) writer_->append(f.last.rows);
        std::string().swap(f.last.rows);
    }
    if (writer_) writer_->flush();
    JobCounters counts = counters_;
    counts -= held_total_;
    committer_->commit_failed(ids, writer_ ? writer_->bytes_written() : 0, counts);
}

void Orchestrator::write_failed_items() {
    std::vector<FailedMiniBatch> failed;
    failed.reserve(failed_.size());
    for (auto& [id, f] : failed_) failed.push_back(std::move(f));
    try {
        write_failed_items_folder(layout_.run_dir() / "failed_items", failed, partition::describe_input(job_));
    } catch (const std::exception& e) {
        // The job's outcome stands; the user hears what is missing.
        master_.line("ERROR", fmt::format("cannot write failed_items/: {}", e.what()));
        fmt::print(stderr, "prs_mpi: warning: cannot write {}: {}\n", (layout_.run_dir() / "failed_items").string(),
                   e.what());
    }
}

void Orchestrator::commit(bool now) {
    if (write_failed_) return;
    try {
        commit_rows(now);
    } catch (const std::exception& e) {
        stop_on_error(e);
    }
}

void Orchestrator::commit_rows(bool now) {
    const auto t = this->now();
    if (!uncommitted_.empty() &&
        (now || t - last_commit_ >= std::chrono::milliseconds(100) || uncommitted_.size() >= 4096) &&
        (!writer_ || writer_->flush_for_commit())) {
        JobCounters committed = counters_;
        committed -= held_total_;
        committed -= failed_total_;
        committer_->request(uncommitted_, writer_ ? writer_->bytes_written() : 0, committed);
        uncommitted_.clear();
        last_commit_ = t;
        // The report's rows of these attempts go out with them: a resumed run skips the
        // mini-batches, so rows still in the buffer at a kill would never be written.
        report_.flush();
    }
    if (now) committer_->wait();
}

void Orchestrator::commit_and_close(bool with_failed) {
    if (write_failed_) return;
    try {
        if (writer_) writer_->stop_waiting_for_header();
        commit_rows(true);
        if (with_failed && !failed_.empty()) write_failed_rows();
        if (writer_) writer_->close();
    } catch (const std::exception& e) {
        stop_on_error(e);
    }
}

void Orchestrator::check_stop_request() {
    const auto req = env_.stop_request();
    if (!req.signal) return;
    if (!stop_signal_) {
        stop_signal_ = req.signal;
        scheduler_.stop_dispatching();
        // Running mini-batches may finish (their rows are kept) within one run() timeout.
        abort_at_ = policy_.stop_deadline(req.count, now());
        master_.line("WARNING", fmt::format("Stop requested by signal {}: no new mini-batches; waiting up to {} s "
                                            "for the {} running ones.",
                                            req.signal, job_.timeout, scheduler_.in_flight()));
        progress_.interrupt();
        fmt::print(stderr,
                   "prs_mpi: stopping (signal {}): waiting up to {} s for {} running mini-batches; signal "
                   "again to stop at once.\n",
                   req.signal, job_.timeout, scheduler_.in_flight());
    }
    if (req.count > 1) abort_at_ = policy_.stop_deadline(req.count, now());
}

void Orchestrator::on_worker_event(int rank, const protocol::WorkerEvent& e) {
    using K = protocol::WorkerEvent::Kind;
    switch (e.kind) {
        case K::Ready:
            any_worker_ready_ = true;
            master_.line("INFO",
                         fmt::format("node {} {} (rank {}) is ready; {}.", e.node_id, e.process, rank, e.message));
            break;
        case K::InitFailed:
            ++init_failures_;
            errors_.add_init_failure(fmt::format("node {} {}", e.node_id, e.process), e.message);
            master_.line("ERROR",
                         fmt::format("node {} {} (rank {}): init failed: {}", e.node_id, e.process, rank, e.message));
            break;
        case K::Exited:
            master_.line("INFO", fmt::format("node {} {} (rank {}) exits with returncode {}: {}", e.node_id, e.process,
                                             rank, e.returncode, e.message));
            break;
        case K::GaveUp:
            lose_agent(rank, e.message);
            break;
    }
}

void Orchestrator::lose_agent(int rank, const std::string& why) {
    master_.line("ERROR", fmt::format("rank {} stopped working: {}", rank, why));
    for (auto& [d, verdict] : scheduler_.on_agent_lost(rank)) {
        protocol::AttemptResult r;
        r.mini_batch_id = d.id;
        r.attempt = d.attempt;
        r.status = protocol::AttemptStatus::ProcessDied;
        r.total = d.items;
        r.error_category = "SystemError";
        r.error_message = fmt::format("rank {} stopped working: {}", rank, why);
        account(r, d, verdict);
    }
}

void Orchestrator::fail(JobFailure failure) {
    if (failure_) return;
    if (failure.resumable) resumable_failure_ = true;
    failure_ = std::move(failure);
    abort_at_ = policy_.failure_deadline(*failure_, now());
    master_.line("ERROR", fmt::format("Job failed: {}: {}. Stop scheduling.", failure_->rule, failure_->detail));
    scheduler_.stop_dispatching();
}

void Orchestrator::stop_on_error(const std::exception& e) {
    write_failed_ = true;
    // Replaces a threshold already crossed: this is what the user must fix first.
    failure_.reset();
    fail(failure_on_error(e));
    progress_.interrupt();
    fmt::print(stderr, "prs_mpi: error: {}; stopping the job.\n", e.what());
}

void Orchestrator::check_job_rules() {
    if (!totals_final_ && scheduler_.all_scheduled()) {
        totals_final_ = true;
        counters_.mini_batches_total = source_.mini_batch_count();
    }
    if (failure_) return;
    const JobActivity activity{started_,      scheduler_.live_agents(), init_failures_, any_worker_ready_, any_result_,
                               last_progress_};
    if (auto failure = policy_.check_running(counters_, scheduler_.all_scheduled(), activity, errors_, now()))
        fail(std::move(*failure));
}

void Orchestrator::write_progress(bool force) {
    const auto now = this->now();
    if (!scheduling_logged_ && scheduler_.all_scheduled()) {
        scheduling_logged_ = true;
        overview_.raw(fmt::format(
            "{} Scheduling finished. Scheduled {} mini batches in {:.0f} seconds. There are {} "
            "tasks with {} items.\n",
            logs::iso_now(), counters_.mini_batches_total, std::chrono::duration<double>(now - started_).count(),
            counters_.mini_batches_total, counters_.items_total));
    }
    if (!force && now - last_overview_ < kOverviewEvery) return;
    last_overview_ = now;
    if (counters_.mini_batches_done() == 0 && !force) {
        overview_.raw(fmt::format("{} No task has been processed yet.\n", logs::iso_now()));
        return;
    }
    overview_.raw(fmt::format(
        "{} {} of {} mini batches processed ({} failed), {} of {} items succeeded, {} rows "
        "written.\n",
        logs::iso_now(), counters_.mini_batches_done(), counters_.mini_batches_total, counters_.mini_batches_failed,
        counters_.items_succeeded, counters_.items_total, counters_.rows_written));
}

logs::ProgressCounts Orchestrator::progress_counts() const {
    logs::ProgressCounts c;
    c.done = counters_.mini_batches_done();
    c.total = totals_final_ || !items_from_results_ ? counters_.mini_batches_total : 0;
    c.items_done = counters_.items_succeeded + counters_.items_failed;
    c.items_total = items_from_results_ ? 0 : counters_.items_total;
    c.failed = counters_.mini_batches_failed;
    c.failed_attempts = counters_.failed_attempts;
    c.resumed = resumed_done_;
    return c;
}

int Orchestrator::pump_remote() {
    if (!transport_) return 0;
    int byes = 0;
    const auto t = now();
    while (auto in = transport_->receive()) {
        const auto rank = static_cast<std::size_t>(in->first);
        peers_[rank].heard(t);
        if (lost_[rank]) continue;  // a rank declared lost stays lost: its work went elsewhere
        if (handle(in->first, std::move(in->second))) ++byes;
    }
    // The peers' clocks count in seconds (a heartbeat after 1 s of quiet, --rank_timeout): a
    // look every 10 ms serves as well as one every loop (a millisecond), which would cost
    // rank 0 O(ranks) per millisecond however few mini-batches end in it.
    if (t - peers_checked_ < std::chrono::milliseconds(10)) return byes;
    peers_checked_ = t;
    for (int r = 1; r < topology_.world_size; ++r) {
        const auto i = static_cast<std::size_t>(r);
        if (lost_[i]) continue;
        if (peers_[i].silent_for(job_.rank_timeout, t)) {
            lost_[i] = true;
            ++lost_count_;
            if (scheduler_.agent_alive(r))
                lose_agent(r, fmt::format("no message for --rank_timeout = {} s: the rank died or hangs",
                                          job_.rank_timeout));
            else
                master_.line("ERROR", fmt::format("rank {} fell silent for {} s.", r, job_.rank_timeout));
        } else if (peers_[i].should_heartbeat(t)) {
            transport_->send(r, protocol::Heartbeat{});
            peers_[i].spoke(t);
        }
    }
    return byes;
}

void Orchestrator::shut_down() {
    // Success: let workers call shutdown(). Failure or a stop: kill what still runs.
    const bool abort = failure_.has_value() || stop_signal_;
    if (abort)
        local_.abort();
    else
        local_.drain();
    if (transport_) {
        for (int r = 1; r < topology_.world_size; ++r) {
            if (lost_[static_cast<std::size_t>(r)]) continue;
            transport_->send(r, abort ? protocol::RankZeroToAgent{protocol::Abort{}}
                                      : protocol::RankZeroToAgent{protocol::Drain{}});
            peers_[static_cast<std::size_t>(r)].spoke(now());
        }
    }
    int byes = 0;
    const auto byes_expected = [&] {
        return topology_.world_size - 1 - lost_ranks();
    };
    while (!local_.finished() || byes < byes_expected()) {
        for (auto& m : local_.poll(transport_ ? 1 : 100)) handle(0, std::move(m));
        byes += pump_remote();
    }
}

void Orchestrator::release_ranks() {
    if (!transport_) return;
    for (int r = 1; r < topology_.world_size; ++r)
        if (!lost_[static_cast<std::size_t>(r)]) transport_->send(r, protocol::Finish{lost_ranks() > 0});
    transport_->flush();
}

int Orchestrator::run() {
    master_.line("INFO", fmt::format("Start scheduling: {} mini-batches, {} items, {} rank(s) on {} node(s).",
                                     counters_.mini_batches_total, counters_.items_total, topology_.world_size,
                                     topology_.node_count));
    overview_.raw(fmt::format("{} Start the simulator.\n", logs::iso_now()));
    try {
        schedule();
    } catch (const std::exception& e) {
        stop_on_error(e);
    }
    shut_down();
    // A rank told to finalize waits in MPI_Finalize for rank 0, however long its logs take:
    // it hears at once. One told to abandon (a rank was lost) exits at once, and mpirun ends
    // the job, rank 0 included, at the first exit code that is not 0: it hears only after
    // the logs are written. (finish() hears no rank, so the count cannot change.)
    const bool abandon = lost_ranks() > 0;
    if (!abandon) release_ranks();
    const int code = finish();
    if (abandon) release_ranks();
    return code;
}

void Orchestrator::schedule() {
    while (!scheduler_.finished() && !((failure_ || stop_signal_) && now() >= abort_at_)) {
        scheduler_.set_credit(0, local_.wanted_credit());
        for (auto& a : scheduler_.assign()) {
            if (a.agent == 0)
                local_.enqueue(std::move(a.descriptor));
            else {
                transport_->send(a.agent, protocol::Assign{std::move(a.descriptor)});
                peers_[static_cast<std::size_t>(a.agent)].spoke(now());
            }
        }
        if (transport_) transport_->post();
        const int cap = transport_ ? agent::mpi_poll_timeout_ms(*transport_, local_.next_deadline_ms(1000))
                                   : local_.next_deadline_ms(1000);
        for (auto& m : local_.poll(cap)) handle(0, std::move(m));
        pump_remote();
        check_job_rules();
        check_stop_request();
        write_progress(false);
        progress_.update(progress_counts());
        commit(false);
    }
    // Before the workers stop: a shutdown() that hangs, or a kill while it runs, must not
    // cost the rows of finished mini-batches.
    commit(true);
}

int Orchestrator::finish() {
    const bool stopped = stopped_by_signal(stop_signal_, failure_.has_value(), scheduler_.all_scheduled(),
                                           scheduler_.in_flight(), counters_);
    if (stopped) {
        // Mini-batches failed so far run again on resume, so their rows are not written;
        // failed_items/ lists them (the unfinished ones have not failed).
        commit_and_close(false);
        report_.flush();
        write_progress(true);
        const auto failed_count = failed_.size();
        if (!write_failed_) write_failed_items();
        std::string result = fmt::format(
            "Job stopped by signal {} after {} of {} mini-batches; nothing is lost.\n"
            "Resume: run the same command again; finished mini-batches are skipped and their rows kept.\n",
            stop_signal_, counters_.mini_batches_done(), counters_.mini_batches_total);
        if (failed_count > 0 && !write_failed_)
            result +=
                fmt::format("Failed items: {} mini-batches so far, listed in {} (the resumed run retries them).\n",
                            failed_count, (layout_.run_dir() / "failed_items").string());
        write_log(layout_.job_result(), result);
        overview_.raw(fmt::format("{} Job stopped by signal {}; resumable.\n", logs::iso_now(), stop_signal_));
        master_.line("WARNING", "Job stopped; resumable.");
        progress_.finish(progress_counts());
        write_summaries(JobOutcome{std::string(result_name(JobResult::Stopped)), exit_code(JobResult::Stopped),
                                   fmt::format("stopped by signal {}", stop_signal_),
                                   std::chrono::duration<double>(now() - started_).count()});
        fmt::print(stderr, "prs_mpi: {}", result);
        return exit_code(JobResult::Stopped);
    }
    if (!failure_)
        if (auto failure = policy_.check_end(counters_, JobEnding{!errors_.empty(), lost_ranks(), lost_ranks_text()}))
            fail(std::move(*failure));
    commit_and_close(true);
    // After a failed write, or a failure that left the work done, the journal stays
    // unfinished: the rerun resumes instead of starting fresh.
    if (!resumable_failure_) {
        try {
            journal_.finish(!failure_);
        } catch (const std::exception& e) {
            stop_on_error(e);
        }
    }
    report_.flush();
    write_progress(true);
    if (!errors_.empty()) write_log(layout_.job_error(), errors_.render());
    const auto failed_count = failed_.size();
    if (!write_failed_) write_failed_items();

    const double elapsed = std::chrono::duration<double>(now() - started_).count();
    std::string summary = fmt::format(
        "Mini-batches: {} succeeded, {} failed, {} total ({} attempts, {} failed attempts).\n"
        "Items: {} succeeded, {} failed, {} total.\n",
        counters_.mini_batches_succeeded, counters_.mini_batches_failed, counters_.mini_batches_total,
        counters_.attempts, counters_.failed_attempts, counters_.items_succeeded, counters_.items_failed,
        counters_.items_total);
    if (writer_ && write_failed_)
        summary += fmt::format(
            "Rows: those of the mini-batches committed before the error are in {}; the rerun "
            "writes the others.\n",
            writer_->path().string());
    else if (writer_)
        summary += fmt::format("Rows: {} written to {}.\n", counters_.rows_written, writer_->path().string());
    else
        summary += "Rows: none written (summary_only: no task.append_row_to).\n";
    if (lost_ranks() > 0)
        summary += fmt::format(
            "Dropped: {} (silent for --rank_timeout = {} s); the other ranks ran their "
            "mini-batches.\n",
            lost_ranks_text(), job_.rank_timeout);
    if (resumed_done_ > 0)
        summary += fmt::format(
            "Resumed: {} mini-batches and their {} rows were kept from the earlier run and are "
            "counted above; the failures and the thresholds' counts are this run's.\n",
            resumed_done_, resumed_rows_);
    if (isolated_mini_batches_ > 0)
        summary += fmt::format(
            "Isolation (--isolate_failed_items): {} mini-batches split, {} extra attempts for {} "
            "failing items (bound 2 x k x ceil(log2 n): {}){}.\n",
            isolated_mini_batches_, isolation_attempts_, isolated_items_, isolation_bound_,
            isolating_.empty() ? "" : fmt::format("; {} unfinished, run again on resume", isolating_.size()));
    if (failed_count > 0 && !write_failed_)
        summary += fmt::format(
            "Failed items: {} mini-batches, listed in {} (run the same command again to retry "
            "them).\n",
            failed_count, (layout_.run_dir() / "failed_items").string());
    summary += fmt::format("Elapsed: {:.2f} s.\n", elapsed);

    std::string result;
    if (failure_) {
        result = fmt::format("Job failed.\nReason ({}): {}.\nFix: {}.\n{}{}\n", failure_->rule, failure_->detail,
                             failure_->fix, summary, kSeeLogs);
        overview_.raw(fmt::format("{} Job failed: {}.\n", logs::iso_now(), failure_->detail));
    } else {
        result = "Job succeeded.\n" + summary;
        overview_.raw(fmt::format("{} The job completed and the result is succeeded.\n", logs::iso_now()));
    }
    write_log(layout_.job_result(), result);
    master_.line(failure_ ? "ERROR" : "INFO", failure_ ? "Job failed." : "Job succeeded.");
    progress_.finish(progress_counts());
    const JobResult ended = failure_ ? JobResult::Failed : JobResult::Succeeded;
    write_summaries(JobOutcome{std::string(result_name(ended)), exit_code(ended),
                               failure_ ? failure_->rule + ": " + failure_->detail : std::string(), elapsed});
    fmt::print(stderr, "prs_mpi: {}See {}\n", result.substr(0, result.find(kSeeLogs)), layout_.job_result().string());
    return exit_code(ended);
}

std::string Orchestrator::lost_ranks_text() const {
    std::string text = lost_ranks() > 1 ? "ranks" : "rank";
    const char* sep = " ";
    for (int r = 0; r < topology_.world_size; ++r) {
        if (!lost(r)) continue;
        text += sep + std::to_string(r);
        sep = ", ";
    }
    return text;
}

void Orchestrator::write_log(const std::filesystem::path& file, std::string_view text) {
    try {
        logs::write_file_atomically(file, text);
    } catch (const std::exception& e) {
        // The job's outcome (and its exit code) stands; the user hears which log is missing.
        master_.line("ERROR", e.what());
        fmt::print(stderr, "prs_mpi: warning: {}\n", e.what());
    }
}

void Orchestrator::write_summaries(const JobOutcome& outcome) {
    write_log(layout_.job_summary(), job_summary_json(outcome, own_usage(), counters_, stats_));
    write_log(layout_.report_html(),
              report_html(outcome, counters_, stats_, read_node_usage(layout_.logs() / "perf"), chart_js_source()));
}

}  // namespace prs::orchestrator
