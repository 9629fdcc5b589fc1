#pragma once
// Wire types. The orchestrator (rank 0), the per-rank agents and the worker children
// exchange only these values, each link its own set (the variants at the end); see
// codec.hpp for their byte form. Descriptors name data (paths, ranges), never carry it:
// workers read their inputs themselves.

#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace prs::protocol {

// How the worker turns a descriptor into run()'s argument.
enum class InputKind : std::uint8_t {
    FileList,   // a list of absolute paths
    Delimited,  // MLTable read_delimited: a byte range of one file -> pandas DataFrame
    JsonLines,  // MLTable read_json_lines: a byte range of one file -> pandas DataFrame
    Hdf5,       // a row range of the first axis of one .h5 file's datasets -> numpy arrays
};

struct MiniBatchDescriptor {
    std::uint64_t id = 0;       // 0-based, in partition order
    std::uint32_t attempt = 0;  // 0 for the first try; Azure's "Picked Count" is attempt + 1
    InputKind kind = InputKind::FileList;
    // FileList: the paths. Delimited/JsonLines/Hdf5: one file (several for a partition
    // mini-batch whose key values occur in several files).
    std::vector<std::string> files;
    // Delimited/JsonLines: byte range [begin, end) of whole rows in files[0] (end 0 = to
    // the end of the file). Hdf5: row range [begin, end) of the first axis.
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
    // Items when rank 0 knows them (files, HDF5 rows); 0 for byte ranges, whose rows
    // only the worker counts.
    std::uint32_t items = 0;
    // partition_keys jobs: this mini-batch's key values, in the order of the keys.
    std::vector<std::string> partition_values;
    // The key values came from columns (rank 0 decides for the whole job): only the rows
    // holding them belong to this mini-batch. From paths: every row of its files does.
    bool keys_from_columns = false;
    bool operator==(const MiniBatchDescriptor&) const = default;
};

// How the job's major input is read; the same for every mini-batch, so it travels once
// in WorkerSetup. Built by partition::describe_input() on every rank.
struct InputFormat {
    InputKind kind = InputKind::FileList;
    // MLTable read_delimited
    std::string delimiter = ",";
    enum class Header : std::uint8_t {
        AllFilesSameHeaders,
        FromFirstFile,
        NoHeader
    } header = Header::AllFilesSameHeaders;
    std::string encoding = "utf8";
    bool empty_as_string = false;
    bool support_multi_line = false;
    std::string first_file;           // Header::FromFirstFile: the file whose first line names the columns
    bool infer_column_types = true;   // false: every column is text
    bool drop_invalid_lines = false;  // read_json_lines invalid_lines: drop
    // The MLTable file when it has steps for the workers' Python to apply to each
    // mini-batch's frame (a path column, transformations after the read); else empty.
    std::string mltable_file;
    // HDF5
    std::vector<std::string> datasets;
    // partition_keys
    std::vector<std::string> partition_keys;
    // The input's partition_format ("{Store}/{Brand}/*.csv"), relative to partition_root:
    // key values come from the matching path segments. Empty: key=value folders or columns.
    std::string partition_format;
    std::string partition_root;
    bool operator==(const InputFormat&) const = default;
};

// Azure's Status column of processed_mini-batches.csv.
enum class AttemptStatus : std::uint8_t {
    RunDone,       // run() returned a list/tuple/DataFrame
    RunException,  // run() raised
    BadReturn,     // run() returned something that is not a list/tuple/DataFrame/array
    RunTimeout,    // run() exceeded retry_settings.timeout; the worker was killed
    LoadFailed,    // the worker could not load the mini-batch's data
    LoadTimeout,   // loading exceeded --task_overhead_timeout
    ProcessDied,   // the worker exited or was killed by a signal mid-run
};
const char* status_name(AttemptStatus s);

struct AttemptResult {
    std::uint64_t mini_batch_id = 0;
    std::uint32_t attempt = 0;
    AttemptStatus status = AttemptStatus::RunDone;
    std::uint32_t total = 0;      // items in the mini-batch
    std::uint32_t succeeded = 0;  // length of run()'s return
    std::uint32_t row_count = 0;  // lines in `rows`
    std::string rows;             // append_row text, every line ends in '\n'
    std::string header;           // DataFrame header line, when asked for
    std::string error_category;   // "UserError" / "SystemError", empty on success
    std::string error_message;    // one line
    std::string traceback;
    std::int32_t node_id = 0;
    std::string process;  // "process001"
    std::int32_t pid = 0;
    std::int64_t start_us = 0;  // wall clock, µs since the epoch
    double elapsed_s = 0;
    double process_cpu_s = 0;
    double run_method_s = 0;

    // The attempt counts as a success: run() returned at least one result per item.
    bool ok() const { return status == AttemptStatus::RunDone && succeeded >= total; }
    bool operator==(const AttemptResult&) const = default;
};

// ---- agent -> worker child (socketpair) ----
struct WorkerSetup {
    std::string entry_script;       // absolute path
    std::string code_dir;           // put first on sys.path
    std::vector<std::string> argv;  // sys.argv, argv[0] is the entry script
    std::vector<std::string> python_path;
    std::string logging_level;  // INFO / WARNING / DEBUG
    std::string process_name;   // "process001"
    std::int32_t node_id = 0;
    std::string log_dir;             // <run_dir>/logs
    std::string output_dir;          // the append_row output's folder
    std::string input_path;          // the major input, for mini_batch_context.dataset
    bool append_rows = true;         // false: summary_only, rows are not formatted
    bool dataframe_header = false;   // --append_row_dataframe_header
    std::string to_csv_kwargs_json;  // parallel_run_step.settings.json's to_csv arguments
    std::string profiling_module;    // --profiling_module ("cProfile"): profile run() calls; empty: off
    // --prefetch_mini_batches: loaded kinds' mini-batches the worker loads while run() executes.
    std::int32_t prefetch_mini_batches = 1;
    InputFormat input;
    bool operator==(const WorkerSetup&) const = default;
};
struct RunTask {
    MiniBatchDescriptor descriptor;
    bool operator==(const RunTask&) const = default;
};
struct StopWorker {
    bool operator==(const StopWorker&) const = default;
};

// ---- worker child -> agent ----
struct WorkerReady {
    bool ok = true;  // false: init() (or the import) failed
    std::string error_message;
    std::string traceback;
    bool operator==(const WorkerReady&) const = default;
};
// The mini-batch's data is loaded and run() is being called (not sent for file lists,
// which need no loading).
struct RunStarted {
    std::uint64_t mini_batch_id = 0;
    bool operator==(const RunStarted&) const = default;
};
struct TaskDone {
    AttemptResult result;
    bool operator==(const TaskDone&) const = default;
};

// ---- orchestrator (rank 0) -> agent (MPI) ----
struct Assign {
    MiniBatchDescriptor descriptor;
    bool operator==(const Assign&) const = default;
};
struct Drain {  // no more work: finish the queue, stop workers, say Bye
    bool operator==(const Drain&) const = default;
};
struct Abort {  // stop now: kill workers, drop the queue, say Bye
    bool operator==(const Abort&) const = default;
};

// ---- agent -> orchestrator (MPI) ----
struct Result {
    AttemptResult result;
    bool operator==(const Result&) const = default;
};
// Lifecycle of worker processes, for the master log and the init-failure rules.
struct WorkerEvent {
    // GaveUp: the agent stopped starting workers (init kept failing) and holds no work.
    enum class Kind : std::uint8_t { Ready, InitFailed, Exited, GaveUp } kind = Kind::Ready;
    std::int32_t node_id = 0;
    std::string process;
    std::int32_t returncode = 0;  // Exited: exit code, or -signal
    std::string message;
    bool operator==(const WorkerEvent&) const = default;
};
struct Bye {
    bool operator==(const Bye&) const = default;
};
// How many mini-batches the agent wants to hold (its workers' pipelines plus its
// queue): sent when that changes, as the agent learns how long mini-batches take.
struct Credit {
    std::int32_t credit = 0;
    bool operator==(const Credit&) const = default;
};

// After every Bye: the last word. `abandon` = some rank died, so MPI_Finalize (which
// waits for every rank) must be skipped.
struct Finish {
    bool abandon = false;
    bool operator==(const Finish&) const = default;
};

// ---- both directions (MPI) ----
// Sent after a second of silence, so that a rank that died (Open MPI 4.1 reports no
// error for a dead peer) is noticed by its silence, not waited on forever.
struct Heartbeat {
    bool operator==(const Heartbeat&) const = default;
};

// What each link carries, one variant per direction: a message a link does not carry does
// not compile where it would be sent, and is refused where it would be received. The wire
// tag of a message is the same on every link (codec.hpp).
using AgentToWorker = std::variant<WorkerSetup, RunTask, StopWorker>;               // socketpair
using WorkerToAgent = std::variant<WorkerReady, RunStarted, TaskDone>;              // socketpair
using RankZeroToAgent = std::variant<Assign, Drain, Abort, Finish, Heartbeat>;      // MPI
using AgentToRankZero = std::variant<Result, WorkerEvent, Credit, Bye, Heartbeat>;  // MPI

// The four link types (codec.hpp, channel.hpp and transport/ accept these only).
template <class M>
concept LinkMessage = std::is_same_v<M, AgentToWorker> || std::is_same_v<M, WorkerToAgent> ||
    std::is_same_v<M, RankZeroToAgent> || std::is_same_v<M, AgentToRankZero>;

// Visitors for std::visit: one lambda per alternative, so that one left out does not compile.
template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};

}  // namespace prs::protocol
