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
#include "prs/logs/layout.hpp"
#include "prs/logs/log_file.hpp"
#include "prs/logs/readme.hpp"
#include "prs/orchestrator/exit_codes.hpp"
#include "prs/orchestrator/journal.hpp"
#include "prs/orchestrator/orchestrator.hpp"
#include "prs/orchestrator/run_lock.hpp"
#include "prs/orchestrator/stop_request.hpp"
#include "prs/partition/file_list.hpp"
#include "prs/pipeline/pipeline_run.hpp"
#include "prs/transport/mpi_transport.hpp"

namespace fs = std::filesystem;
using namespace prs;

namespace {

fs::path resolve_run_dir(const config::CommandLine& cli, const config::JobSpec& job) {
    return fs::absolute(cli.run_dir ? *cli.run_dir : fs::path("prs_runs") / job.job_name).lexically_normal();
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
    s.input = input;

    cfg.launch.worker_binary = agent::default_worker_binary();
    cfg.launch.env = job.environment_variables;
    return cfg;
}

// --print-launch: how to start this job on a cluster, one worker per rank.
std::string launch_lines(const config::JobSpec& job, const config::CommandLine& cli, const hpc::GpuInventory& gpus) {
    const int nodes = job.instance_count;
    const int per_node = job.max_concurrency_per_instance.value_or(default_concurrency(gpus));
    const std::string args = (cli.run_dir ? fmt::format("--run-dir {} ", cli.run_dir->string()) : std::string()) +
                             cli.job_file.string();
    std::string out = fmt::format(
        "# {}: resources.instance_count = {} node(s) x max_concurrency_per_instance = {}{} = {} ranks, one worker "
        "each\n",
        job.job_name, nodes, per_node, job.max_concurrency_per_instance ? "" : " (unset: this machine's default)",
        nodes * per_node);
    out += fmt::format("mpirun -np {} --map-by ppr:{}:node --bind-to none prs_mpi {}\n", nodes * per_node, per_node,
                       args);
    out += fmt::format("srun --mpi=pmix --nodes={} --ntasks-per-node={} prs_mpi {}\n", nodes, per_node, args);
    out += fmt::format("sbatch --nodes={} --ntasks-per-node={} slurm/prs_mpi_cpu.sbatch {}\n", nodes, per_node, args);
    out += fmt::format("sbatch --nodes={} --ntasks-per-node={} --gpus-per-node={} slurm/prs_mpi_gpu.sbatch {}\n", nodes,
                       per_node, per_node, args);
    return out;
}

// Rank 0, before anything runs: a clean logs tree for this run.
void prepare_run_dir(const logs::Layout& layout) {
    fs::remove_all(layout.logs());
    fs::create_directories(layout.logs() / "sys" / "job_report");
    logs::write_file_atomically(layout.readme(), logs::readme_text());
}

// What rank 0 decided at start-up, shared with every rank.
enum StartDecision { kStartRun = 0, kStartReused = 1, kStartBadInput = kExitBadInput };

// Rank 0: resume an interrupted run of the same job, reuse a finished one, or start fresh.
struct JournalDecision {
    std::optional<orchestrator::JournalState> resume;
    bool reuse = false;
    std::string fresh_because;
};

JournalDecision decide_from_journal(const config::JobSpec& job, const fs::path& journal_file,
                                    const std::string& fingerprint, bool fresh) {
    JournalDecision d;
    if (fresh) return d;
    auto previous = orchestrator::Journal::read(journal_file);
    if (!previous) return d;
    if (previous->fingerprint != fingerprint) {
        d.fresh_because = "the run directory holds a run of another job, input or entry script";
        return d;
    }
    std::error_code ec;
    const auto out_size = job.append_row_file ? fs::file_size(*job.append_row_file, ec) : 0;
    if (ec || out_size < previous->output_offset) {
        d.fresh_because = "the output file was changed since the last run";
        return d;
    }
    if (previous->finished) {
        d.reuse = previous->succeeded && job.is_deterministic;
        if (!d.reuse)
            d.fresh_because = previous->succeeded ? "is_deterministic is false" : "the last run failed";
        return d;
    }
    d.resume = std::move(previous);
    return d;
}

int run_job(const config::JobSpec& job, const protocol::InputFormat& input, const fs::path& run_dir, bool fresh,
            transport::MpiSession& mpi) {
    orchestrator::install_stop_handlers(mpi.rank() == 0);
    const auto node = mpi.node_identity();
    const logs::Layout layout(run_dir);
    const fs::path journal_file = run_dir / "journal.bin";

    std::unique_ptr<partition::Partition> partition;
    std::optional<orchestrator::Journal> journal;
    JournalDecision decision;
    int status = kStartRun;
    std::optional<orchestrator::RunDirLock> run_lock;  // rank 0, for the whole run
    if (mpi.rank() == 0) {
        try {
            // A run still ending (orphaned ranks of a killed mpirun) gets a few seconds.
            run_lock.emplace(run_dir, std::chrono::seconds(10));
            auto listing = partition::list_files(job.major().path);
            const auto settings = config::describe(job);
            // Computed before the job only when a journal may be resumed or reused; a fresh
            // run computes it beside the job (a stat per input file).
            std::optional<std::string> fingerprint;
            if (!fresh && fs::exists(journal_file))
                fingerprint = orchestrator::job_fingerprint(settings, job.entry_script, listing);
            auto listing_to_fingerprint = fingerprint ? partition::PathList() : listing;
            partition = partition::make_partition(job, input, std::move(listing));
            if (fingerprint) decision = decide_from_journal(job, journal_file, *fingerprint, fresh);
            if (decision.reuse) {
                status = kStartReused;
                logs::LogFile(layout.master_role()).line("INFO", "Reused the finished run: same job, input and entry "
                                                                 "script, and is_deterministic.");
                fmt::print(stderr, "prs_mpi: reused the finished run in {} (same job, input and entry script; "
                           "is_deterministic is true): nothing to run. Output: {}. Use --fresh to run again.\n",
                           run_dir.string(), job.append_row_file ? job.append_row_file->string() : "none");
            } else if (decision.resume) {
                journal = orchestrator::Journal::resume(journal_file, *decision.resume);
                fmt::print(stderr, "prs_mpi: resuming the interrupted run in {}: {} mini-batches already done.\n",
                           run_dir.string(), decision.resume->done_count());
            } else {
                if (!decision.fresh_because.empty())
                    fmt::print(stderr, "prs_mpi: starting fresh: {}.\n", decision.fresh_because);
                prepare_run_dir(layout);
                if (fingerprint)
                    journal = orchestrator::Journal::create(journal_file, *fingerprint);
                else
                    journal = orchestrator::Journal::create_when_known(
                        journal_file, std::async(std::launch::async, [settings, script = job.entry_script,
                                                                      paths = std::move(listing_to_fingerprint)] {
                            return orchestrator::job_fingerprint(settings, script, paths);
                        }));
            }
        } catch (const partition::InputError& e) {
            fmt::print(stderr, "prs_mpi: error: {}\n", e.what());
            status = kStartBadInput;
        } catch (const orchestrator::RunLockBusy& e) {
            fmt::print(stderr, "prs_mpi: error: {}.\n", e.what());
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
    const int local_slots = mpi.size() > 1 ? 1 : job.max_concurrency_per_instance.value_or(default_concurrency(gpus));
    agent::Agent agent(make_agent_config(job, input, run_dir, node, local_slots, gpus));
    agent.start();
    if (mpi.rank() != 0) {
        transport::MpiTransport transport;
        switch (agent::run_agent_loop(agent, transport, job.rank_timeout)) {
            case agent::AgentExit::Finalize: return kExitSucceeded;
            case agent::AgentExit::Abandon: mpi.abandon(kExitSucceeded);
            case agent::AgentExit::RankZeroLost:
                fmt::print(stderr, "prs_mpi: rank {}: no word from rank 0 for {} s; stopping.\n", mpi.rank(),
                           job.rank_timeout);
                mpi.abandon(kExitJobFailed);
        }
        return kExitSucceeded;
    }

    if (job.instance_count != node.node_count)
        fmt::print(stderr, "prs_mpi: warning: the job asks for resources.instance_count = {} nodes, the launcher gave {}; "
                   "running on {}.\n", job.instance_count, node.node_count, node.node_count);
    orchestrator::Topology topology;
    topology.world_size = mpi.size();
    topology.node_count = node.node_count;
    topology.workers_per_node = mpi.size() > 1 ? node.local_size : local_slots;
    logs::LogFile(layout.master_role())
        .line("INFO", fmt::format("GPUs per node: {} ({}{}); {} worker(s) per node.", gpus.devices.size(),
                                  gpus.source,
                                  gpus.devices.empty() ? "" : ": " + fmt::format("{}", fmt::join(gpus.devices, ",")),
                                  topology.workers_per_node));
    std::unique_ptr<transport::MpiTransport> transport;
    if (mpi.size() > 1) transport = std::make_unique<transport::MpiTransport>();
    fmt::print(stderr, "prs_mpi: {} mini-batches ({} items) on {} worker(s); logs in {}\n",
               partition->mini_batch_count(), partition->item_count(), mpi.size() > 1 ? mpi.size() : local_slots,
               layout.logs().string());
    orchestrator::Orchestrator orch(job, layout, *partition, agent, transport.get(), topology, job.append_row_file,
                                    *journal, decision.resume ? &*decision.resume : nullptr);
    const int code = orch.run();
    if (orch.lost_ranks() > 0) {
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
                    fmt::print("# {}: no parallel step can be sized before the steps before it run; launch with the "
                               "resources.instance_count x max_concurrency_per_instance of its parallel steps\n",
                               pipeline.name);
            }
        } catch (const config::JobError& e) {
            fmt::print(stderr, "{}\n", e.what());
            return kExitBadInput;
        }
        return kExitSucceeded;
    }
    transport::MpiSession mpi(argc, argv, launch.launched);
    orchestrator::install_stop_handlers(mpi.rank() == 0);
    pipeline::Edge edge;
    edge.rank = mpi.rank();
    edge.broadcast = [&](int value) { return mpi.broadcast_idle(value); };
    edge.run_parallel = [&](const config::JobSpec& job, const fs::path& run_dir, bool fresh) {
        protocol::InputFormat input;
        try {
            input = partition::describe_input(job);
        } catch (const partition::InputError& e) {
            if (mpi.rank() == 0) fmt::print(stderr, "prs_mpi: error: {}\n", e.what());
            return kExitBadInput;
        }
        return run_job(job, input, run_dir, fresh, mpi);
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
            if (speak) fmt::print("prs_mpi {}\n", PRS_VERSION);
            return kExitSucceeded;
        }
        pipeline = config::load_pipeline(cli);
        if (!pipeline) {
            job = config::load_job(cli);
            config::bind_run_dir(job, resolve_run_dir(cli, job));
        }
    } catch (const config::JobError& e) {
        if (speak) fmt::print(stderr, "{}\n", e.what());
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
        if (speak) fmt::print(stderr, "prs_mpi: error: {}\n", e.what());
        return exit_bad_input(speak);
    }

    if (cli.print_launch) {
        if (speak) fmt::print("{}", launch_lines(job, cli, hpc::detect_gpus()));
        return kExitSucceeded;
    }
    if (cli.dry_run) {
        if (!speak) return kExitSucceeded;
        try {
            const auto partition = partition::make_partition(job, input, partition::list_files(job.major().path));
            fmt::print("{}", config::describe(job));
            fmt::print("run directory: {}\n", resolve_run_dir(cli, job).string());
            if (job.append_row_file) fmt::print("output file: {}\n", job.append_row_file->string());
            fmt::print("mini-batches: {} ({} items)\n", partition->mini_batch_count(), partition->item_count());
        } catch (const partition::InputError& e) {
            fmt::print(stderr, "prs_mpi: error: {}\n", e.what());
            return kExitBadInput;
        }
        return kExitSucceeded;
    }
    try {
        transport::MpiSession mpi(&argc, &argv, launch.launched);
        return run_job(job, input, resolve_run_dir(cli, job), cli.fresh, mpi);
    } catch (const std::exception& e) {
        fmt::print(stderr, "prs_mpi: internal error: {}\n", e.what());
        return kExitJobFailed;
    }
}
