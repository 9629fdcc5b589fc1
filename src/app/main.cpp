// prs_mpi: runs an Azure ML parallel job (ParallelRunStep) under MPI or alone.
// Data path: job file (config/) -> mini-batch descriptors (partition/) -> rank 0's
// orchestrator (orchestrator/) -> per-rank agents (agent/) -> worker children running
// the entry script (worker/) -> rows back to rank 0 -> the output file (output/).

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "prs/agent/agent.hpp"
#include "prs/config/command_line.hpp"
#include "prs/config/describe.hpp"
#include "prs/config/load_job.hpp"
#include "prs/config/pipeline_spec.hpp"
#include "prs/hpc/gpu_pinning.hpp"
#include "prs/hpc/launcher.hpp"
#include "prs/orchestrator/exit_codes.hpp"
#include "prs/orchestrator/run_dir.hpp"
#include "prs/orchestrator/stop_request.hpp"
#include "prs/partition/partition.hpp"
#include "prs/pipeline/pipeline_run.hpp"
#include "prs/step/parallel_step.hpp"
#include "prs/transport/mpi_transport.hpp"
#include "prs/util/user_error.hpp"
#include "version_report.hpp"

namespace fs = std::filesystem;
using namespace prs;

namespace {

fs::path resolve_run_dir(const config::CommandLine& cli, const config::JobSpec& job) {
    return fs::absolute(cli.run_dir ? *cli.run_dir : orchestrator::default_run_dir(job.job_name)).lexically_normal();
}

// --print-launch: how to start this job on a cluster, one worker per rank.
std::string launch_lines(const config::JobSpec& job, const config::CommandLine& cli, const hpc::GpuInventory& gpus) {
    const int nodes = job.instance_count;
    const int per_node = job.max_concurrency_per_instance.value_or(step::default_concurrency(gpus));
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

// Every rank reads the job file before MPI starts, and only rank 0 reports what is wrong
// with it. mpirun tears the job down as soon as any rank exits non-zero, which can kill
// rank 0 before its message is out (seen once in CI); with no MPI yet to wait on, the
// silent ranks give it a second.
int exit_bad_input(bool speak) {
    if (!speak) std::this_thread::sleep_for(std::chrono::seconds(1));
    return kExitBadInput;
}

// A whole pipeline: every rank walks its steps; parallel steps go through step::run_parallel_step.
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
        return step::run_parallel_step({job, input, run_dir, fresh, cli.retry_failed, launch, mpi}).exit_code;
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
            const auto partition = partition::make_partition(job, input, step::list_input(job));
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
        return step::run_parallel_step(
                   {job, input, resolve_run_dir(cli, job), cli.fresh, cli.retry_failed, launch, mpi})
            .exit_code;
    } catch (const std::exception& e) {
        fmt::print(stderr, "prs_mpi: internal error: {}\n", e.what());
        return kExitJobFailed;
    }
}
