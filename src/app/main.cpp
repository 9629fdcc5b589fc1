// prs_mpi: runs an Azure ML parallel job (ParallelRunStep) under MPI or alone.
// Data path: job file (config/) -> mini-batch descriptors (partition/) -> rank 0's
// orchestrator (orchestrator/) -> per-rank agents (agent/) -> worker children running
// the entry script (worker/) -> rows back to rank 0 -> the output file (output/).

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "prs/agent/agent.hpp"
#include "prs/agent/agent_loop.hpp"
#include "prs/config/command_line.hpp"
#include "prs/config/describe.hpp"
#include "prs/config/load_job.hpp"
#include "prs/config/pipeline_spec.hpp"
#include "prs/hpc/gpu_pinning.hpp"
#include "prs/hpc/launcher.hpp"
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
#include "prs/partition/file_list.hpp"
#include "prs/pipeline/pipeline_run.hpp"
#include "prs/transport/mpi_transport.hpp"
#include "prs/util/user_error.hpp"
#include "version_report.hpp"

namespace fs = std::filesystem;
using namespace prs;

namespace {

fs::path resolve_run_dir(const config::CommandLine& cli, const config::JobSpec& job) {
    return fs::absolute(cli.run_dir ? *cli.run_dir : orchestrator::default_run_dir(job.job_name)).lexically_normal();
}

// The major input's files; a folder link that leads to a folder listed already is not
// followed, and rank 0 says so.
partition::PathList list_input(const config::JobSpec& job) {
    std::vector<std::string> skipped;
    auto files = partition::list_files(job.major().path, skipped);
    for (const auto& link : skipped)
        fmt::print(stderr, "prs_mpi: warning: input link {}: not followed, so its files are listed once.\n", link);
    return files;
}

std::string read_text_if_exists(const fs::path& file) {
    std::ifstream in(file);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Azure's default: one worker per GPU on a GPU node, one per core otherwise.
int default_concurrency(const hpc::GpuInventory& gpus) {
    if (!gpus.devices.empty()) return static_cast<int>(gpus.devices.size());
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

agent::AgentConfig make_agent_config(const config::JobSpec& job, const protocol::InputFormat& input,
                                     const fs::path& run_dir, const transport::NodeIdentity& node, int slots,
                                     const hpc::GpuInventory& gpus) {
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
    cfg.run_dir = run_dir;

    auto& s = cfg.setup;
    s.entry_script = job.entry_script.string();
    s.code_dir = job.code_dir.string();
    s.argv.push_back(job.entry_script.string());
    s.argv.insert(s.argv.end(), job.program_arguments.begin(), job.program_arguments.end());
    for (const auto& p : job.python_path) s.python_path.push_back(p.string());
    s.logging_level = job.logging_level;
    s.log_dir = (run_dir / "logs").string();
    s.output_dir = output_file ? output_file->parent_path().string() : (run_dir / "outputs").string();
    s.input_path = job.major().path.string();
    s.append_rows = output_file.has_value();
    s.dataframe_header = job.append_row_dataframe_header;
    s.to_csv_kwargs_json = read_text_if_exists(job.code_dir / "parallel_run_step.settings.json");
    s.profiling_module = job.profiling_module;
    s.prefetch_mini_batches = job.prefetch_mini_batches;
    s.input = input;

    cfg.launch.worker_binary = agent::default_worker_binary();
    cfg.launch.env = job.environment_variables;
    return cfg;
}

// --print-launch: how to start this job on a cluster, one worker per rank.
std::string launch_lines(const config::JobSpec& job, const config::CommandLine& cli, const hpc::GpuInventory& gpus) {
    const int nodes = job.instance_count;
    const int per_node = job.max_concurrency_per_instance.value_or(default_concurrency(gpus));
    const std::string args =
        (cli.run_dir ? fmt::format("--run-dir {} ", cli.run_dir->string()) : std::string()) + cli.job_file.string();
    std::string out = fmt::format(
        "# {}: resources.instance_count = {} node(s) x max_concurrency_per_instance = {}{} = {} ranks, one worker "
        "each\n",
        job.job_name, nodes, per_node, job.max_concurrency_per_instance ? "" : " (unset: this machine's default)",
        nodes * per_node);
    out +=
        fmt::format("mpirun -np {} --map-by ppr:{}:node --bind-to none prs_mpi {}\n", nodes * per_node, per_node, args);
    out += fmt::format("srun --mpi=pmix --nodes={} --ntasks-per-node={} prs_mpi {}\n", nodes, per_node, args);
    out += fmt::format("sbatch --nodes={} --ntasks-per-node={} slurm/prs_mpi_cpu.sbatch {}\n", nodes, per_node, args);
    out += fmt::format("sbatch --nodes={} --ntasks-per-node={} --gpus-per-node={} slurm/prs_mpi_gpu.sbatch {}\n", nodes,
                       per_node, per_node, args);
    return out;
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
enum StartDecision { kStartRun = 0, kStartReused = 1, kStartBadInput = kExitBadInput };

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

int run_job(const config::JobSpec& job, const protocol::InputFormat& input, const fs::path& run_dir, bool fresh,
            bool retry_failed, const hpc::LaunchEnvironment& launch, transport::MpiSession& mpi) {
    orchestrator::install_stop_handlers(mpi.rank() == 0);
    const auto node = mpi.node_identity();
    // Opened now, while every rank runs (see hpc::NodeRanks).
    const hpc::NodeRanks node_ranks(mpi.rank() == 0 && launch.survives_rank_loss ? node.node_ranks
                                                                                 : decltype(node.node_ranks){});
    const logs::Layout layout(run_dir);
    const fs::path journal_file = run_dir / "journal.bin";

    std::unique_ptr<partition::Partition> partition;
    std::optional<orchestrator::Journal> journal;
    orchestrator::JournalDecision decision;
    int status = kStartRun;
    std::optional<orchestrator::RunDirLock> run_lock;  // rank 0, for the whole run
    std::optional<orchestrator::OutputFileLock> output_lock;
    if (mpi.rank() == 0) {
        try {
            check_writable(run_dir, "run directory");
            // A run still ending (orphaned ranks of a killed mpirun) gets a few seconds.
            run_lock.emplace(run_dir, std::chrono::seconds(10));
            orchestrator::check_logs_are_ours(layout);
            auto listing = list_input(job);
            const auto settings = config::describe(job);
            const auto partitioning = orchestrator::partitioning_settings(job);
            // Computed before the job only when a journal may be resumed or reused; a fresh
            // run computes it beside the job (a stat per input file).
            std::optional<std::string> fingerprint;
            if (!fresh && fs::exists(journal_file))
                fingerprint = orchestrator::job_fingerprint(settings, job.entry_script, partitioning, listing);
            auto listing_to_fingerprint = fingerprint ? partition::PathList() : listing;
            partition = partition::make_partition(job, input, std::move(listing));
            // Once the input is known good: bad input writes nothing, not even the folder.
            if (job.append_row_file) check_writable(job.append_row_file->parent_path(), "output folder");
            // No other job may write the output while this one decides on it and runs. A run of
            // this job still ending has let go of it with the run directory's lock.
            if (job.append_row_file) output_lock.emplace(*job.append_row_file, run_dir, std::chrono::seconds(1));
            if (fingerprint)
                decision = orchestrator::decide_from_journal(job, journal_file, *fingerprint, fresh, retry_failed,
                                                             partition->mini_batch_count());
            if (decision.reuse && !decision.reuse_because.empty()) {
                status = kStartReused;
                fmt::print(stderr, "prs_mpi: nothing to run in {} ({}). Output: {}.\n", run_dir.string(),
                           decision.reuse_because, job.append_row_file ? job.append_row_file->string() : "none");
            } else if (decision.reuse) {
                status = kStartReused;
                logs::LogFile(layout.master_role())
                    .line("INFO",
                          "Reused the finished run: same job, input and entry "
                          "script, and is_deterministic.");
                fmt::print(stderr,
                           "prs_mpi: reused the finished run in {} (same job, input and entry script; "
                           "is_deterministic is true): nothing to run. Output: {}. Use --fresh to run again.\n",
                           run_dir.string(), job.append_row_file ? job.append_row_file->string() : "none");
            } else if (decision.resume && decision.restart) {
                journal = orchestrator::Journal::restart(journal_file, *fingerprint, *decision.resume);
                fmt::print(stderr,
                           "prs_mpi: resuming the run in {} ({}): {} succeeded mini-batches are kept, the "
                           "failed and unfinished ones run with fresh attempts.\n",
                           run_dir.string(), decision.resume_because, decision.resume->done_count());
            } else if (decision.resume) {
                journal = orchestrator::Journal::resume(journal_file, *decision.resume);
                const auto& resumed = *decision.resume;
                fmt::print(stderr, "prs_mpi: resuming the interrupted run in {}: {} mini-batches already done{}.\n",
                           run_dir.string(), resumed.done_count(),
                           resumed.file_bytes > resumed.valid_bytes
                               ? fmt::format(" ({} torn or damaged bytes at the end of the journal are ignored; "
                                             "what they recorded runs again)",
                                             resumed.file_bytes - resumed.valid_bytes)
                               : "");
            } else {
                if (!decision.fresh_because.empty())
                    fmt::print(stderr, "prs_mpi: starting fresh: {}.\n", decision.fresh_because);
                orchestrator::prepare_logs(layout);
                if (fingerprint)
                    journal = orchestrator::Journal::create(journal_file, *fingerprint);
                else
                    journal = orchestrator::Journal::create_when_known(
                        journal_file, std::async(std::launch::async, [settings, partitioning, script = job.entry_script,
                                                                      paths = std::move(listing_to_fingerprint)] {
                            return orchestrator::job_fingerprint(settings, script, partitioning, paths);
                        }));
            }
        } catch (const partition::InputError& e) {
            fmt::print(stderr, "{}\n", util::report_text(e));
            status = kStartBadInput;
        } catch (const UnwritableFolder& e) {
            fmt::print(stderr, "prs_mpi: error: {}\n", e.what());
            status = kStartBadInput;
        } catch (const orchestrator::RunLockBusy& e) {
            fmt::print(stderr, "{}\n", util::report_text(e));
            status = kStartBadInput;
        } catch (const orchestrator::ForeignLogs& e) {
            fmt::print(stderr, "{}\n", util::report_text(e));
            status = kStartBadInput;
        } catch (const std::exception& e) {
            fmt::print(stderr, "prs_mpi: error: cannot prepare run directory {}: {}\n", run_dir.string(), e.what());
            status = kStartBadInput;
        }
    }
    status = mpi.broadcast(status);
    if (status == kStartReused) return kExitSucceeded;
    if (status != kStartRun) return kExitBadInput;

    const auto gpus = hpc::detect_gpus();
    // Under a launcher every rank is one worker (one rank per GPU); alone, rank 0 runs
    // max_concurrency_per_instance workers itself.
    int local_slots = 1;
    if (mpi.size() == 1) {
        const auto count = hpc::local_worker_count(job.max_concurrency_per_instance.value_or(default_concurrency(gpus)),
                                                   std::thread::hardware_concurrency(), hpc::available_memory());
        if (!count.warning.empty()) fmt::print(stderr, "{}\n", count.warning);
        local_slots = count.workers;
    }
    agent::Agent agent(make_agent_config(job, input, run_dir, node, local_slots, gpus));
    agent.start();
    if (mpi.rank() != 0) {
        transport::MpiTransport transport;
        switch (agent::run_agent_loop(agent, transport, job.rank_timeout)) {
            case agent::AgentExit::Finalize:
                return kExitSucceeded;
            // Some rank was dropped. Without --enable-recovery rank 0 fails the job for it, and
            // mpirun passes on the first exit code that is not 0: this one may come first.
            case agent::AgentExit::Abandon:
                mpi.abandon(launch.survives_rank_loss ? kExitSucceeded : kExitJobFailed);
            case agent::AgentExit::RankZeroLost:
                fmt::print(stderr, "prs_mpi: rank {}: no word from rank 0 for {} s; stopping.\n", mpi.rank(),
                           job.rank_timeout);
                mpi.abandon(kExitJobFailed);
        }
        return kExitSucceeded;
    }

    if (job.instance_count != node.node_count)
        fmt::print(stderr,
                   "prs_mpi: warning: the job asks for resources.instance_count = {} nodes, the launcher gave {}; "
                   "running on {}.\n",
                   job.instance_count, node.node_count, node.node_count);
    orchestrator::Topology topology;
    topology.world_size = mpi.size();
    topology.node_count = node.node_count;
    topology.workers_per_node = mpi.size() > 1 ? node.local_size : local_slots;
    topology.survives_lost_ranks = launch.survives_rank_loss;
    logs::LogFile(layout.master_role())
        .line("INFO", fmt::format("GPUs per node: {} ({}{}); {} worker(s) per node.", gpus.devices.size(), gpus.source,
                                  gpus.devices.empty() ? "" : ": " + fmt::format("{}", fmt::join(gpus.devices, ",")),
                                  topology.workers_per_node));
    std::unique_ptr<transport::MpiTransport> transport;
    if (mpi.size() > 1) transport = std::make_unique<transport::MpiTransport>();
    fmt::print(stderr, "prs_mpi: {} mini-batches ({} items) on {} worker(s); logs in {}\n",
               partition->mini_batch_count(), partition->item_count(), mpi.size() > 1 ? mpi.size() : local_slots,
               layout.logs().string());
    int code = kExitJobFailed;
    int lost_ranks = 0;
    try {
        orchestrator::Orchestrator orch(job, layout, *partition, agent, transport.get(), topology, job.append_row_file,
                                        *journal, decision.resume ? &*decision.resume : nullptr);
        code = orch.run();
        lost_ranks = orch.lost_ranks();
        if (lost_ranks > 0 && launch.survives_rank_loss) end_dropped_ranks(orch, mpi.size(), node_ranks, layout);
    } catch (const std::exception& e) {
        // The orchestrator ends the job itself on errors while it runs; this is one it could
        // not start with. The other ranks wait for orders, so MPI_Finalize would wait for
        // them forever: the job ends here, and the launcher stops them.
        const std::string result =
            fmt::format("Job failed.\nReason: {}.\nFix: {}.\n", e.what(), orchestrator::io_error_fix(e));
        fmt::print(stderr, "prs_mpi: {}", result);
        try {
            logs::write_file_atomically(layout.job_result(), result);
        } catch (const std::exception&) {  // the message is on stderr
        }
        if (mpi.size() > 1) mpi.abandon(kExitJobFailed);
        return kExitJobFailed;
    }
    if (lost_ranks > 0) {
        transport.reset();
        mpi.abandon(code);  // MPI_Finalize would wait for the lost ranks
    }
    return code;
}

// Every rank reads the job file before MPI starts, and only rank 0 reports what is wrong
// with it. mpirun tears the job down as soon as any rank exits non-zero, which can kill
// rank 0 before its message is out (seen once in CI); with no MPI yet to wait on, the
// silent ranks give it a second.
int exit_bad_input(bool speak) {
    if (!speak) std::this_thread::sleep_for(std::chrono::seconds(1));
    return kExitBadInput;
}

// A whole pipeline: every rank walks its steps; parallel steps go through run_job.
int run_pipeline_job(const config::PipelineSpec& pipeline, const config::CommandLine& cli,
                     const hpc::LaunchEnvironment& launch, int* argc, char*** argv) {
    const bool speak = launch.rank0;
    if (speak)
        for (const auto& w : pipeline.warnings) fmt::print(stderr, "{}\n", w);
    if (cli.dry_run || cli.print_launch) {
        if (!speak) return kExitSucceeded;
        try {
            if (cli.dry_run) fmt::print("{}", pipeline::describe_pipeline(pipeline, cli));
            // One allocation runs every step: size it for the largest parallel step.
            if (cli.print_launch) {
                std::optional<config::JobSpec> largest;
                for (const auto& step : pipeline.steps) {
                    if (step.kind != config::PipelineStep::Kind::Parallel || !step.upstream.empty()) continue;
                    auto job = config::load_pipeline_step(pipeline, step, cli);
                    const auto ranks = [](const config::JobSpec& j) {
                        return j.instance_count * j.max_concurrency_per_instance.value_or(1);
                    };
                    if (!largest || ranks(job) > ranks(*largest)) largest = std::move(job);
                }
                if (largest)
                    fmt::print("{}", launch_lines(*largest, cli, hpc::detect_gpus()));
                else
                    fmt::print(
                        "# {}: no parallel step can be sized before the steps before it run; launch with the "
                        "resources.instance_count x max_concurrency_per_instance of its parallel steps\n",
                        pipeline.name);
            }
        } catch (const config::JobError& e) {
            fmt::print(stderr, "{}\n", util::report_text(e));
            return kExitBadInput;
        }
        return kExitSucceeded;
    }
    transport::MpiSession mpi(argc, argv, launch.launched);
    orchestrator::install_stop_handlers(mpi.rank() == 0);
    pipeline::Edge edge;
    edge.rank = mpi.rank();
    edge.broadcast = [&](int value) {
        return mpi.broadcast_idle(value);
    };
    edge.run_parallel = [&](const config::JobSpec& job, const fs::path& run_dir, bool fresh) {
        protocol::InputFormat input;
        try {
            input = partition::describe_input(job);
        } catch (const partition::InputError& e) {
            if (mpi.rank() == 0) fmt::print(stderr, "{}\n", util::report_text(e));
            return kExitBadInput;
        }
        return run_job(job, input, run_dir, fresh, cli.retry_failed, launch, mpi);
    };
    return pipeline::run_pipeline(pipeline, cli, edge);
}

}  // namespace

int main(int argc, char** argv) {
    // A dead worker must show up as EOF on its socket, not kill us with SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    // Before MPI_Init the rank is only known from the launcher's environment; only rank 0
    // talks to the user so that N ranks don't print the same error N times.
    const auto launch = hpc::detect_launch(util::process_env());
    const bool speak = launch.rank0;
    config::CommandLine cli;
    config::JobSpec job;
    std::optional<config::PipelineSpec> pipeline;
    try {
        cli = config::parse_command_line(argc, argv);
        if (cli.help) {
            if (speak) fmt::print("{}", config::help_text());
            return kExitSucceeded;
        }
        if (cli.version) {
            if (speak) fmt::print("{}", app::version_report(agent::default_worker_binary()));
            return kExitSucceeded;
        }
        pipeline = config::load_pipeline(cli);
        if (!pipeline) {
            job = config::load_job(cli);
            config::bind_run_dir(job, resolve_run_dir(cli, job));
        }
    } catch (const config::JobError& e) {
        if (speak) fmt::print(stderr, "{}\n", util::report_text(e));
        return exit_bad_input(speak);
    }
    if (pipeline) {
        try {
            return run_pipeline_job(*pipeline, cli, launch, &argc, &argv);
        } catch (const std::exception& e) {
            fmt::print(stderr, "prs_mpi: internal error: {}\n", e.what());
            return kExitJobFailed;
        }
    }
    if (speak)
        for (const auto& w : job.warnings) fmt::print(stderr, "{}\n", w);
    protocol::InputFormat input;
    try {
        input = partition::describe_input(job);
    } catch (const partition::InputError& e) {
        if (speak) fmt::print(stderr, "{}\n", util::report_text(e));
        return exit_bad_input(speak);
    }

    if (cli.print_launch) {
        if (speak) fmt::print("{}", launch_lines(job, cli, hpc::detect_gpus()));
        return kExitSucceeded;
    }
    if (cli.dry_run) {
        if (!speak) return kExitSucceeded;
        try {
            const auto partition = partition::make_partition(job, input, list_input(job));
            fmt::print("{}", config::describe(job));
            fmt::print("run directory: {}\n", resolve_run_dir(cli, job).string());
            if (job.append_row_file) fmt::print("output file: {}\n", job.append_row_file->string());
            fmt::print("mini-batches: {} ({} items)\n", partition->mini_batch_count(), partition->item_count());
        } catch (const partition::InputError& e) {
            fmt::print(stderr, "{}\n", util::report_text(e));
            return kExitBadInput;
        }
        return kExitSucceeded;
    }
    try {
        transport::MpiSession mpi(&argc, &argv, launch.launched);
        return run_job(job, input, resolve_run_dir(cli, job), cli.fresh, cli.retry_failed, launch, mpi);
    } catch (const std::exception& e) {
        fmt::print(stderr, "prs_mpi: internal error: {}\n", e.what());
        return kExitJobFailed;
    }
}
