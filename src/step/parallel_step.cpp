#include "prs/step/parallel_step.hpp"

#include <algorithm>
#include <future>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "prs/agent/agent.hpp"
#include "prs/agent/agent_loop.hpp"
#include "prs/config/describe.hpp"
#include "prs/hpc/node_ranks.hpp"
#include "prs/hpc/worker_count.hpp"
#include "prs/logs/layout.hpp"
#include "prs/logs/log_file.hpp"
#include "prs/orchestrator/exit_codes.hpp"
#include "prs/orchestrator/io_failure.hpp"
#include "prs/orchestrator/journal.hpp"
#include "prs/orchestrator/journal_decision.hpp"
#include "prs/orchestrator/orchestrator.hpp"
#include "prs/orchestrator/run_dir.hpp"
#include "prs/orchestrator/run_lock.hpp"
#include "prs/orchestrator/stop_request.hpp"
#include "prs/partition/partition.hpp"
#include "prs/util/text.hpp"
#include "prs/util/user_error.hpp"

namespace prs::step {

namespace fs = std::filesystem;

namespace {

agent::AgentConfig make_agent_config(const ParallelStep& step, const transport::NodeIdentity& node, int slots,
                                     const hpc::GpuInventory& gpus) {
    const auto& job = step.job;
    const auto& output_file = job.append_row_file;
    agent::AgentConfig cfg;
    cfg.node_id = node.node_id;
    cfg.local_rank = node.local_rank;
    cfg.local_size = node.local_size;
    cfg.slots = slots;
    cfg.gpus = gpus;
    cfg.timeout_s = job.timeout;
    cfg.load_timeout_s = job.task_overhead_timeout;
    cfg.resource_monitor_interval_s = job.resource_monitor_interval;
    cfg.run_dir = step.run_dir;

    auto& s = cfg.setup;
    s.entry_script = job.entry_script.string();
    s.code_dir = job.code_dir.string();
    s.argv.push_back(job.entry_script.string());
    s.argv.insert(s.argv.end(), job.program_arguments.begin(), job.program_arguments.end());
    for (const auto& p : job.python_path) s.python_path.push_back(p.string());
    s.logging_level = job.logging_level;
    s.log_dir = (step.run_dir / "logs").string();
    s.output_dir = output_file ? output_file->parent_path().string() : (step.run_dir / "outputs").string();
    s.input_path = job.major().path.string();
    s.append_rows = output_file.has_value();
    s.dataframe_header = job.append_row_dataframe_header;
    s.to_csv_kwargs_json = util::read_text_if_exists(job.code_dir / "parallel_run_step.settings.json");
    s.profiling_module = job.profiling_module;
    s.prefetch_mini_batches = job.prefetch_mini_batches;
    s.input = step.input;

    cfg.launch.worker_binary = agent::default_worker_binary();
    cfg.launch.env = job.environment_variables;
    return cfg;
}

struct UnwritableFolder : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Rank 0, before any worker starts: the folders the run writes take a file. A full or
// read-only filesystem found later would fail the job after its workers started.
void check_writable(const fs::path& dir, std::string_view what_for) {
    if (const auto ec = orchestrator::probe_writable(dir))
        throw UnwritableFolder(orchestrator::unwritable_message(dir, what_for, ec));
}

// What rank 0 decided at start-up, shared with every rank.
enum class StartDecision { Run, Reused, BadInput };

// Its value in the broadcast (an int); anything but Run and Reused reads as BadInput.
int to_broadcast(StartDecision d) {
    switch (d) {
        case StartDecision::Run:
            return 0;
        case StartDecision::Reused:
            return 1;
        case StartDecision::BadInput:
            return 2;
    }
    return 2;
}
StartDecision from_broadcast(int value) {
    return value == 0 ? StartDecision::Run : value == 1 ? StartDecision::Reused : StartDecision::BadInput;
}

// The step's exit code when it ends at start-up (every decision but Run).
int start_exit_code(StartDecision d) { return d == StartDecision::Reused ? kExitSucceeded : kExitBadInput; }

// What rank 0 holds for the run once it decided to run it.
struct Prepared {
    std::optional<orchestrator::RunDirLock> run_lock;  // for the whole run
    std::optional<orchestrator::OutputFileLock> output_lock;
    std::unique_ptr<partition::Partition> partition;
    orchestrator::JournalDecision decision;
    std::optional<orchestrator::Journal> journal;
};

// The run directory takes files, is this job's, and no other run of it is under way.
void claim_run_dir(const ParallelStep& step, const logs::Layout& layout, Prepared& p) {
    check_writable(step.run_dir, "run directory");
    // A run still ending (orphaned ranks of a killed mpirun) gets a few seconds.
    p.run_lock.emplace(step.run_dir, std::chrono::seconds(10));
    orchestrator::check_logs_are_ours(layout);
}

// Says what a reuse of the finished run means: nothing runs.
void report_reuse(const ParallelStep& step, const logs::Layout& layout, const orchestrator::JournalDecision& d) {
    const auto& output = step.job.append_row_file;
    if (!d.reuse_because.empty()) {
        fmt::print(stderr, "prs_mpi: nothing to run in {} ({}). Output: {}.\n", step.run_dir.string(), d.reuse_because,
                   output ? output->string() : "none");
        return;
    }
    logs::LogFile(layout.master_role())
        .line("INFO",
              "Reused the finished run: same job, input and entry "
              "script, and is_deterministic.");
    fmt::print(stderr,
               "prs_mpi: reused the finished run in {} (same job, input and entry script; "
               "is_deterministic is true): nothing to run. Output: {}. Use --fresh to run again.\n",
               step.run_dir.string(), output ? output->string() : "none");
}

// Opens the journal the decision asks for: resumed, restarted from what a run that ended kept,
// or new. `listing`: the input, for a fresh run's fingerprint computed beside the job when it
// was not needed before.
void open_journal(const ParallelStep& step, const logs::Layout& layout, const std::optional<std::string>& fingerprint,
                  std::string settings, std::string partitioning, partition::PathList listing, Prepared& p) {
    const fs::path journal_file = step.run_dir / "journal.bin";
    const auto& decision = p.decision;
    if (decision.resume && decision.restart) {
        p.journal = orchestrator::Journal::restart(journal_file, *fingerprint, *decision.resume);
        fmt::print(stderr,
                   "prs_mpi: resuming the run in {} ({}): {} succeeded mini-batches are kept, the "
                   "failed and unfinished ones run with fresh attempts.\n",
                   step.run_dir.string(), decision.resume_because, decision.resume->done_count());
    } else if (decision.resume) {
        p.journal = orchestrator::Journal::resume(journal_file, *decision.resume);
        const auto& resumed = *decision.resume;
        fmt::print(stderr, "prs_mpi: resuming the interrupted run in {}: {} mini-batches already done{}.\n",
                   step.run_dir.string(), resumed.done_count(),
                   resumed.file_bytes > resumed.valid_bytes
                       ? fmt::format(" ({} torn or damaged bytes at the end of the journal are ignored; "
                                     "what they recorded runs again)",
                                     resumed.file_bytes - resumed.valid_bytes)
                       : "");
    } else {
        if (!decision.fresh_because.empty())
            fmt::print(stderr, "prs_mpi: starting fresh: {}.\n", decision.fresh_because);
        orchestrator::prepare_logs(layout);
        if (fingerprint) {
            p.journal = orchestrator::Journal::create(journal_file, *fingerprint);
            return;
        }
        p.journal = orchestrator::Journal::create_when_known(
            journal_file,
            std::async(std::launch::async, [settings = std::move(settings), partitioning = std::move(partitioning),
                                            script = step.job.entry_script, paths = std::move(listing)] {
                return orchestrator::job_fingerprint(settings, script, partitioning, paths);
            }));
    }
}

// Rank 0: everything up to the decision to run (or not); throws on what refuses the run.
StartDecision prepare_or_throw(const ParallelStep& step, const logs::Layout& layout, Prepared& p) {
    const auto& job = step.job;
    const fs::path journal_file = step.run_dir / "journal.bin";
    claim_run_dir(step, layout, p);
    auto listing = list_input(job);
    auto settings = config::describe(job);
    auto partitioning = orchestrator::partitioning_settings(job);
    // Computed before the job only when a journal may be resumed or reused; a fresh run
    // computes it beside the job (a stat per input file).
    std::optional<std::string> fingerprint;
    if (!step.fresh && fs::exists(journal_file))
        fingerprint = orchestrator::job_fingerprint(settings, job.entry_script, partitioning, listing);
    auto listing_to_fingerprint = fingerprint ? partition::PathList() : listing;
    p.partition = partition::make_partition(job, step.input, std::move(listing));
    // Once the input is known good: bad input writes nothing, not even the folder.
    if (job.append_row_file) check_writable(job.append_row_file->parent_path(), "output folder");
    // No other job may write the output while this one decides on it and runs. A run of
    // this job still ending has let go of it with the run directory's lock.
    if (job.append_row_file) p.output_lock.emplace(*job.append_row_file, step.run_dir, std::chrono::seconds(1));
    if (fingerprint)
        p.decision = orchestrator::decide_from_journal(job, journal_file, *fingerprint, step.fresh, step.retry_failed,
                                                       p.partition->mini_batch_count());
    if (p.decision.reuse) {
        report_reuse(step, layout, p.decision);
        return StartDecision::Reused;
    }
    open_journal(step, layout, fingerprint, std::move(settings), std::move(partitioning),
                 std::move(listing_to_fingerprint), p);
    return StartDecision::Run;
}

// The same, with what refuses the run reported (bad input: exit 2, nothing written).
StartDecision prepare(const ParallelStep& step, const logs::Layout& layout, Prepared& p) {
    try {
        return prepare_or_throw(step, layout, p);
    } catch (const partition::InputError& e) {
        fmt::print(stderr, "{}\n", util::report_text(e));
    } catch (const UnwritableFolder& e) {
        fmt::print(stderr, "prs_mpi: error: {}\n", e.what());
    } catch (const orchestrator::RunLockBusy& e) {
        fmt::print(stderr, "{}\n", util::report_text(e));
    } catch (const orchestrator::ForeignLogs& e) {
        fmt::print(stderr, "{}\n", util::report_text(e));
    } catch (const std::exception& e) {
        fmt::print(stderr, "prs_mpi: error: cannot prepare run directory {}: {}\n", step.run_dir.string(), e.what());
    }
    return StartDecision::BadInput;
}

// Under a launcher every rank is one worker (one rank per GPU); alone, rank 0 runs
// max_concurrency_per_instance workers itself.
int local_worker_slots(const ParallelStep& step, const hpc::GpuInventory& gpus) {
    if (step.mpi.size() > 1) return 1;
    const auto count =
        hpc::local_worker_count(step.job.max_concurrency_per_instance.value_or(default_concurrency(gpus)),
                                std::thread::hardware_concurrency(), hpc::available_memory());
    if (!count.warning.empty()) fmt::print(stderr, "{}\n", count.warning);
    return count.workers;
}

// How a rank ends: with `exit_code`, after MPI_Finalize or, `abandon`, without it (it would
// wait forever for a rank that died).
struct RankEnd {
    int exit_code = kExitSucceeded;
    bool abandon = false;
};

StepOutcome end_rank(const ParallelStep& step, RankEnd end) {
    if (end.abandon) step.mpi.abandon(end.exit_code);
    return {.exit_code = end.exit_code};
}

// A rank other than 0: its agent takes rank 0's orders until rank 0 says it is over.
RankEnd run_agent_rank(const ParallelStep& step, agent::Agent& agent, transport::AgentEndpoint& transport) {
    switch (agent::run_agent_loop(agent, transport, step.job.rank_timeout)) {
        case agent::AgentExit::Finalize:
            return {};
        case agent::AgentExit::Abandon:
            // Some rank was dropped. Without --enable-recovery rank 0 fails the job for it, and
            // mpirun passes on the first exit code that is not 0: this one may come first.
            return {step.launch.survives_rank_loss ? kExitSucceeded : kExitJobFailed, true};
        case agent::AgentExit::RankZeroLost:
            fmt::print(stderr, "prs_mpi: rank {}: no word from rank 0 for {} s; stopping.\n", step.mpi.rank(),
                       step.job.rank_timeout);
            return {kExitJobFailed, true};
    }
    return {kExitJobFailed, true};
}

orchestrator::Topology make_topology(const ParallelStep& step, const transport::NodeIdentity& node, int local_slots) {
    orchestrator::Topology topology;
    topology.world_size = step.mpi.size();
    topology.node_count = node.node_count;
    topology.workers_per_node = step.mpi.size() > 1 ? node.local_size : local_slots;
    topology.survives_lost_ranks = step.launch.survives_rank_loss;
    return topology;
}

// Under mpirun --enable-recovery the launcher waits for every rank's process: the ranks
// rank 0 dropped for silence (stopped, hung) are ended, where they share its node.
void end_dropped_ranks(const orchestrator::Orchestrator& orch, int world_size, const hpc::NodeRanks& node_ranks,
                       const logs::Layout& layout) {
    logs::LogFile master(layout.master_role());
    for (int r = 1; r < world_size; ++r) {
        if (!orch.lost(r)) continue;
        if (node_ranks.kill(r))
            master.line("WARNING", fmt::format("rank {} (pid {}) killed: it was dropped for silence, and mpirun waits "
                                               "for every rank's process.",
                                               r, node_ranks.pid(r)));
        else
            master.line("WARNING", fmt::format("rank {} was dropped for silence and is not on this node (or is gone): "
                                               "mpirun ends when it does.",
                                               r));
    }
}

// The orchestrator could not start: the other ranks wait for orders, so MPI_Finalize would
// wait for them forever. The job ends here, and the launcher stops them.
RankEnd fail_to_start(const ParallelStep& step, const logs::Layout& layout, const std::exception& e) {
    const std::string result =
        fmt::format("Job failed.\nReason: {}.\nFix: {}.\n", e.what(), orchestrator::io_error_fix(e));
    fmt::print(stderr, "prs_mpi: {}", result);
    try {
        logs::write_file_atomically(layout.job_result(), result);
    } catch (const std::exception&) {  // the message is on stderr
    }
    return {kExitJobFailed, step.mpi.size() > 1};
}

// Rank 0: the orchestrator runs the step, its own agent one of the workers' supervisors.
RankEnd run_rank_zero(const ParallelStep& step, Prepared& p, agent::Agent& agent, const transport::NodeIdentity& node,
                      const hpc::NodeRanks& node_ranks, const hpc::GpuInventory& gpus, int local_slots,
                      const logs::Layout& layout) {
    const auto& job = step.job;
    auto& mpi = step.mpi;
    if (job.instance_count != node.node_count)
        fmt::print(stderr,
                   "prs_mpi: warning: the job asks for resources.instance_count = {} nodes, the launcher gave {}; "
                   "running on {}.\n",
                   job.instance_count, node.node_count, node.node_count);
    const auto topology = make_topology(step, node, local_slots);
    logs::LogFile(layout.master_role())
        .line("INFO", fmt::format("GPUs per node: {} ({}{}); {} worker(s) per node.", gpus.devices.size(), gpus.source,
                                  gpus.devices.empty() ? "" : ": " + fmt::format("{}", fmt::join(gpus.devices, ",")),
                                  topology.workers_per_node));
    std::unique_ptr<transport::RankZeroMpiTransport> transport;
    if (mpi.size() > 1) transport = std::make_unique<transport::RankZeroMpiTransport>();
    fmt::print(stderr, "prs_mpi: {} mini-batches ({} items) on {} worker(s); logs in {}\n",
               p.partition->mini_batch_count(), p.partition->item_count(), mpi.size() > 1 ? mpi.size() : local_slots,
               layout.logs().string());
    int code = kExitJobFailed;
    int lost_ranks = 0;
    try {
        orchestrator::Orchestrator orch(job, layout, *p.partition, agent, transport.get(), topology,
                                        job.append_row_file, *p.journal,
                                        p.decision.resume ? &*p.decision.resume : nullptr);
        code = orch.run();
        lost_ranks = orch.lost_ranks();
        if (lost_ranks > 0 && step.launch.survives_rank_loss) end_dropped_ranks(orch, mpi.size(), node_ranks, layout);
    } catch (const std::exception& e) {
        // The orchestrator ends the job itself on errors while it runs; this is one it could
        // not start with.
        return fail_to_start(step, layout, e);
    }
    // MPI_Finalize would wait for the lost ranks. The transport's last sends go first.
    transport.reset();
    return {code, lost_ranks > 0};
}

}  // namespace

partition::PathList list_input(const config::JobSpec& job) {
    std::vector<std::string> skipped;
    auto files = partition::list_files(job.major().path, skipped);
    for (const auto& link : skipped)
        fmt::print(stderr, "prs_mpi: warning: input link {}: not followed, so its files are listed once.\n", link);
    return files;
}

int default_concurrency(const hpc::GpuInventory& gpus) {
    if (!gpus.devices.empty()) return static_cast<int>(gpus.devices.size());
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

StepOutcome run_parallel_step(const ParallelStep& step) {
    auto& mpi = step.mpi;
    const bool rank0 = mpi.rank() == 0;
    orchestrator::install_stop_handlers(rank0);
    const auto node = mpi.node_identity();
    // Opened now, while every rank runs (see hpc::NodeRanks).
    const hpc::NodeRanks node_ranks(rank0 && step.launch.survives_rank_loss ? node.node_ranks
                                                                            : decltype(node.node_ranks){});
    const logs::Layout layout(step.run_dir);

    Prepared prepared;
    StartDecision start = StartDecision::Run;
    if (rank0) start = prepare(step, layout, prepared);
    start = from_broadcast(mpi.broadcast(to_broadcast(start)));
    if (start != StartDecision::Run)
        return {.exit_code = start_exit_code(start), .reused = start == StartDecision::Reused};

    const auto gpus = hpc::detect_gpus();
    const int local_slots = local_worker_slots(step, gpus);
    agent::Agent agent(make_agent_config(step, node, local_slots, gpus));
    agent.start();
    if (!rank0) {
        // Ended with the transport still open: flushing sends to a rank 0 that is gone waits.
        transport::AgentMpiTransport transport;
        return end_rank(step, run_agent_rank(step, agent, transport));
    }
    return end_rank(step, run_rank_zero(step, prepared, agent, node, node_ranks, gpus, local_slots, layout));
}

}  // namespace prs::step
