#pragma once
// JobSpec: the typed, validated form of a job file plus the command line.
// Everything downstream (partition, orchestrator, workers) reads only this.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace prs::config {

namespace fs = std::filesystem;

enum class JobForm { Parallel, Pipeline, V1 };
enum class InputType { UriFolder, UriFile, MLTable, Hdf5 };
enum class OutputType { UriFolder, UriFile };

struct InputSpec {
    std::string name;
    InputType type = InputType::UriFolder;
    fs::path path;                      // absolute, resolved against the job file's folder
    std::string mode;                   // accepted and ignored: everything is read in place
    std::vector<std::string> datasets;  // type: hdf5 only
    // Ours (Azure v1 datasets' partition_format): a path template below `path` naming the
    // partition keys, e.g. "{Store}/{Brand}/*.csv"; partition_keys then come from paths.
    std::string partition_format;
};
// Checked by load_job: uri_folder (and custom_model/mlflow_model/triton_model, read as
// uri_folder) is an existing folder, uri_file an existing file, mltable a folder holding an
// `MLTable` file (a path naming the MLTable file itself is turned into its folder), hdf5 an
// existing file or folder with a non-empty `datasets` list.

// An input that is a value, not data (`threshold: 0.5`, or `type: integer` with `default:`).
// Only used to fill ${{inputs.NAME}} in program_arguments.
struct LiteralInput {
    std::string name;
    std::string value;
};

struct OutputSpec {
    std::string name;
    OutputType type = OutputType::UriFolder;
    // Absolute; EMPTY when the job file gave none: the output then lives in
    // <run_dir>/outputs/<name> (a folder for uri_folder, the file itself for uri_file),
    // which bind_run_dir() (load_job.hpp) fills in once the run directory is known.
    fs::path path;
};

// Where a resolved setting came from, for --dry-run and error messages.
struct Origin {
    enum class Kind { Default, Yaml, ProgramArgument, CommandLine, Computed } kind = Kind::Default;
    std::string detail;  // "job.yml:12:3", "program_arguments", "--timeout", ...
};

struct JobSpec {
    fs::path job_file;  // absolute
    JobForm form = JobForm::Parallel;
    std::string job_name;  // pipeline step key, else `name`, else the file stem
    std::string display_name;
    std::string description;

    std::vector<InputSpec> inputs;             // data inputs in file order (v1: the major input, then side_inputs)
    std::vector<LiteralInput> literal_inputs;  // value inputs, in file order
    std::vector<OutputSpec> outputs;           // in file order
    std::string major_input;                   // name of the input bound by input_data

    // mini_batch_size as written: a count for file inputs, bytes for tabular ones.
    std::optional<std::uint64_t> mini_batch_size;
    bool mini_batch_size_has_unit = false;  // "10kb" (true) vs "10" (false)
    std::vector<std::string> partition_keys;

    int instance_count = 1;
    std::optional<int> max_concurrency_per_instance;  // unset: cores (CPU) or GPUs

    long mini_batch_error_threshold = -1;
    int max_retries = 2;
    int timeout = 60;  // seconds per run() call
    std::string logging_level = "INFO";

    fs::path code_dir;      // absolute
    fs::path entry_script;  // absolute
    // task.program_arguments (v1: arguments) as written, ${{...}} not yet replaced; a v1 list
    // is joined with quote_argument(). bind_run_dir() re-binds from it.
    std::string program_arguments_source;
    // sys.argv[1:] of the entry script: the source split like a shell would, then each
    // ${{inputs.X}}/${{outputs.Y}} replaced (after splitting, so paths with blanks stay one
    // argument). PRS flags stay in it, as on Azure.
    std::vector<std::string> program_arguments;
    // program_arguments joined with quote_argument(): splitting it gives them back. For display.
    std::string program_arguments_raw;
    std::vector<std::pair<std::string, std::string>> environment_variables;
    std::vector<fs::path> python_path;  // extra sys.path entries (environment.python_path / venv)

    // Absent: summary_only. Absolute when the bound output has a path; otherwise RELATIVE to
    // the run directory: "outputs/<Y>" (uri_file) or "outputs/<Y>/parallel_run_step.txt"
    // (uri_folder; v1: "outputs/output/<append_row_file_name>"). bind_run_dir() resolves it.
    std::optional<fs::path> append_row_file;
    bool is_deterministic = true;
    bool output_order_input = false;  // our `output_order: input`

    // Settings Azure takes as program arguments (also prs_mpi's own flags, which win).
    long error_threshold = -1;  // failed items allowed, -1 = ignore
    int allowed_failed_percent = 100;
    int task_overhead_timeout = 600;
    int progress_update_timeout = 0;  // resolved: 3 * (timeout + task_overhead_timeout) unless set
    int first_task_creation_timeout = 600;
    bool copy_logs_to_parent = false;
    int resource_monitor_interval = 600;
    std::string profiling_module;
    bool append_row_dataframe_header = false;

    // Ours: seconds without a word from a rank before rank 0 declares it lost and
    // hands its mini-batches to the others (and a rank gives up on a silent rank 0).
    int rank_timeout = 30;
    // Ours: a mini-batch whose attempts all raised, crashed or timed out is split in halves
    // and retried, down to single items, so that only the failing items fail.
    bool isolate_failed_items = false;
    int prefetch_mini_batches = 1;  // ours: loaded ahead per worker while run() executes

    // setting name (v2 dotted name, e.g. "retry_settings.timeout", "error_threshold",
    // "task.entry_script") -> origin. v1 keys are recorded under their v2 names.
    std::map<std::string, Origin> origins;
    // Non-fatal findings (unknown keys with their closest known key, ignored keys),
    // already formatted as "job.yml:3:1: warning: ...".
    std::vector<std::string> warnings;

    const InputSpec& major() const;
};

}  // namespace prs::config
