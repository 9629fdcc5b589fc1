#include "prs/config/command_line.hpp"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <span>
#include <sstream>

#include "prs/config/closest_key.hpp"
#include "prs/config/load_job.hpp"

namespace prs::config {

namespace po = boost::program_options;

namespace {

// Settings prs_mpi's command line can set; canonical names are CommandLine::overrides keys.
struct SettingFlag {
    const char* name;
    const char* value_name;
    const char* help;
};

constexpr SettingFlag kJobFileSettings[] = {
    {"mini_batch_size", "N|SIZE", "files per mini-batch, or approximate bytes for tabular input (\"10\", \"1mb\")"},
    {"max_concurrency_per_instance", "N", "workers per node (default: CPU cores, or GPUs on GPU nodes)"},
    {"mini_batch_error_threshold", "N", "failed mini-batches allowed, -1 = any (default -1)"},
    {"max_retries", "N", "retries of a failed or timed-out mini-batch (retry_settings.max_retries, default 2)"},
    {"timeout", "SECONDS", "limit per run() call, (0, 259200] (retry_settings.timeout, default 60)"},
    {"logging_level", "LEVEL", "INFO, WARNING or DEBUG (default INFO)"},
    {"rank_timeout", "SECONDS",
     "declare an MPI rank lost after this long without a word; its work goes to the others (default 30)"},
};

constexpr SettingFlag kProgramArgumentSettings[] = {
    {"error_threshold", "N", "failed items allowed, -1 = any (default -1)"},
    {"allowed_failed_percent", "P", "failed mini-batches allowed in percent, [0, 100] (default 100)"},
    {"task_overhead_timeout", "SECONDS", "limit for loading one mini-batch (default 600)"},
    {"progress_update_timeout", "SECONDS",
     "fail the job after this long without progress (default 3 * (timeout + task_overhead_timeout))"},
    {"first_task_creation_timeout", "SECONDS", "fail the job if no mini-batch starts within this (default 600)"},
    {"copy_logs_to_parent", "True|False", "accepted for compatibility (default False)"},
    {"resource_monitor_interval", "SECONDS", "resource usage dump interval in logs/perf, 0 = off (default 600)"},
    {"profiling_module", "MODULE", "profile each worker with this module, e.g. cProfile (default: none)"},
    {"append_row_dataframe_header", "True|False", "write the DataFrame header once at the top (default False)"},
    {"isolate_failed_items", "True|False",
     "ours: split a mini-batch whose every attempt raised, crashed or timed out and retry the halves, down to "
     "the failing items (default False)"},
    {"prefetch_mini_batches", "N", "ours: mini-batches a worker loads ahead while run() executes, 0 = off (default 1)"},
};

struct Options {
    po::options_description general{"Options"};
    po::options_description job_file{"Job file settings (override the job file)"};
    po::options_description program_arguments{
        "Settings Azure takes in task.program_arguments (these override program_arguments)"};
    po::options_description hidden;
    po::options_description all;
    po::positional_options_description positional;

    Options() {
        general.add_options()                                                                                    //
            ("help,h", "show this help and exit")                                                                //
            ("version", "show the version, commit and library versions (for a support ticket) and exit")         //
            ("dry-run", "check the job file, print every resolved setting and where it came from, run nothing")  //
            ("fresh", "start over: discard the run directory's journal instead of resuming or reusing a run")    //
            ("retry-failed",
             "run only the failed (and never finished) mini-batches of the run directory's last "
             "run, keeping the others, even when the entry script or its arguments changed")  //
            ("print-launch",
             "print the mpirun, srun and sbatch command lines for the job's instance_count x "
             "max_concurrency_per_instance, run nothing")  //
            ("run-dir", po::value<std::string>()->value_name("DIR"),
             "run directory with the journal, outputs/ and logs/ (default: ./prs_runs/<job name>)")  //
            ("job", po::value<std::string>()->value_name("NAME"),
             "run only this parallel step of a pipeline (its inputs must be on disk)")                        //
            ("until", po::value<std::string>()->value_name("STEP"), "run a pipeline's steps up to this one")  //
            ("set", po::value<std::vector<std::string>>()->value_name("KEY=VALUE")->composing(),
             "override a value of the job file, e.g. --set jobs.train.resources.instance_count=3 (repeatable)")  //
            ("datastore", po::value<std::vector<std::string>>()->value_name("NAME=DIR")->composing(),
             "the folder of datastore NAME for azureml://datastores/NAME/paths/... (repeatable)")  //
            ("datastore-root", po::value<std::string>()->value_name("DIR"),
             "folder holding one folder per datastore (default: $PRS_DATASTORE_ROOT, else ./prs_datastores)")  //
            ("data", po::value<std::vector<std::string>>()->value_name("NAME:VERSION=PATH")->composing(),
             "the local copy of data asset azureml:NAME:VERSION (repeatable)");
        for (const auto& s : kJobFileSettings)
            job_file.add_options()(s.name, po::value<std::string>()->value_name(s.value_name), s.help);
        for (const auto& s : kProgramArgumentSettings)
            program_arguments.add_options()(s.name, po::value<std::string>()->value_name(s.value_name), s.help);
        hidden.add_options()("JOB_FILE", po::value<std::vector<std::string>>());
        positional.add("JOB_FILE", -1);
        all.add(general).add(job_file).add(program_arguments).add(hidden);
    }

    std::vector<std::string> long_names() const {
        std::vector<std::string> names;
        for (const auto& option : all.options())
            if (option->long_name() != "JOB_FILE") names.push_back("--" + option->long_name());
        return names;
    }
};

[[noreturn]] void unknown_option(const Options& options, const std::string& flag) {
    const std::string bare = flag.substr(0, flag.find('='));
    const auto suggestion = closest_key(bare, options.long_names());
    throw JobError(suggestion ? fmt::format("prs_mpi: unknown option '{}'; did you mean '{}'? See prs_mpi --help", bare,
                                            *suggestion)
                              : fmt::format("prs_mpi: unknown option '{}'. See prs_mpi --help", bare));
}

}  // namespace

CommandLine parse_command_line(int argc, const char* const argv[]) {
    const Options options;
    po::variables_map vm;
    try {
        // Prefixes are allowed (allow_guessing), as argparse allows them in program_arguments.
        po::store(po::command_line_parser(argc, argv)
                      .options(options.all)
                      .positional(options.positional)
                      .style(po::command_line_style::default_style)
                      .run(),
                  vm);
    } catch (const po::unknown_option& e) {
        unknown_option(options, e.get_option_name());
    } catch (const po::error& e) {
        throw JobError(fmt::format("prs_mpi: {}. See prs_mpi --help", e.what()));
    }

    CommandLine cli;
    cli.help = vm.count("help") > 0;
    cli.version = vm.count("version") > 0;
    cli.dry_run = vm.count("dry-run") > 0;
    cli.fresh = vm.count("fresh") > 0;
    cli.retry_failed = vm.count("retry-failed") > 0;
    if (cli.fresh && cli.retry_failed)
        throw JobError(
            "prs_mpi: --fresh and --retry-failed contradict each other: --fresh starts over, "
            "--retry-failed keeps what succeeded. Give one of them");
    cli.print_launch = vm.count("print-launch") > 0;
    if (vm.count("run-dir")) cli.run_dir = vm["run-dir"].as<std::string>();
    if (vm.count("job")) cli.job = vm["job"].as<std::string>();
    if (vm.count("until")) cli.until = vm["until"].as<std::string>();
    if (vm.count("datastore-root")) cli.datastore_root = vm["datastore-root"].as<std::string>();
    const auto pairs = [&](const char* flag, const char* form) {
        std::vector<std::pair<std::string, std::string>> out;
        if (!vm.count(flag)) return out;
        for (const auto& item : vm[flag].as<std::vector<std::string>>()) {
            const auto eq = item.find('=');
            if (eq == std::string::npos || eq == 0)
                throw JobError(fmt::format("prs_mpi: --{} {}: expected {}. See prs_mpi --help", flag, item, form));
            out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
        }
        return out;
    };
    cli.sets = pairs("set", "KEY=VALUE, e.g. --set jobs.train.resources.instance_count=3");
    for (auto& [name, dir] : pairs("datastore", "NAME=DIR, e.g. --datastore workspaceblobstore=/shared/blob"))
        cli.datastores[name] = dir;
    for (auto& [asset, path] : pairs("data", "NAME:VERSION=PATH, e.g. --data iris:1=/shared/iris"))
        cli.data[asset] = path;
    const auto take = [&](std::span<const SettingFlag> settings) {
        for (const auto& s : settings)
            if (vm.count(s.name)) cli.overrides[s.name] = vm[s.name].as<std::string>();
    };
    take(kJobFileSettings);
    take(kProgramArgumentSettings);

    const auto files =
        vm.count("JOB_FILE") ? vm["JOB_FILE"].as<std::vector<std::string>>() : std::vector<std::string>{};
    if (files.size() > 1)
        throw JobError(
            fmt::format("prs_mpi: one job file expected, got '{}' and '{}'. See prs_mpi --help", files[0], files[1]));
    if (files.empty() && !cli.help && !cli.version)
        throw JobError("prs_mpi: no job file given. Usage: prs_mpi [options] job.yml; see prs_mpi --help");
    if (!files.empty()) cli.job_file = files.front();
    return cli;
}

std::string help_text() {
    std::ostringstream options;
    const Options o;
    options << o.general << "\n" << o.job_file << "\n" << o.program_arguments;
    return fmt::format(
        R"(prs_mpi {version}: run an Azure ML parallel job (ParallelRunStep) on an MPI cluster.

Usage:
  prs_mpi [options] job.yml                one machine, max_concurrency_per_instance workers
  mpirun -np N prs_mpi [options] job.yml   N ranks with one worker each (e.g. one per GPU)
  sbatch slurm/prs_mpi_cpu.sbatch job.yml  Slurm (prs_mpi_gpu.sbatch: one rank per GPU)

prs_mpi reads a v2 parallel job (type: parallel), a pipeline (type: pipeline: its command and
parallel steps run in the order their bindings imply, each in <run_dir>/<step>), or a v1
ParallelRunConfig YAML, splits the major input (input_data) into mini-batches and has worker
processes call your entry script's init(), run(mini_batch) and shutdown(), as Azure does.
run() results are appended to the append_row_to output; an interrupted run resumes when the
same command is run again.

{options}
A setting's value comes from, strongest first: this command line, task.program_arguments,
the job file, the default. --dry-run shows each one with its source. Flags may be shortened
to any unambiguous prefix (--resource_monitor_int 20).

Exit codes:
  0   the job finished
  2   bad job file or command line; nothing ran
  42  the job failed; the reason is in <run_dir>/logs/job_result.txt
  75  stopped by a signal (SIGTERM, SIGINT, Slurm's time limit); run the same command to resume

Logs: <run_dir>/logs, laid out as on Azure (readme.txt explains it; job_result.txt and
job_error.txt say why a job failed; user/ holds your script's stdout, stderr and logger).
<run_dir> is --run-dir, by default ./prs_runs/<job name>.
)",
        fmt::arg("version", PRS_VERSION), fmt::arg("options", options.str()));
}

}  // namespace prs::config
