#include "prs/logs/readme.hpp"

namespace prs::logs {

std::string readme_text() {
    return R"(Logs of a prs_mpi run (the same layout as Azure ML's parallel job).

Start here:
  job_result.txt                      Whether the job succeeded; if not, why, and which setting to change.
  job_error.txt                       The entry script's errors, grouped: count, sample mini-batches, traceback.
  job_progress_overview.<hour>.txt    Scheduling and progress over time.
  job_summary.json                    Result, counts, elapsed time, throughput, rank 0's CPU and memory, per node and per process.
  report.html                         Open in a browser: per-worker timeline, throughput over time, the
                                      slowest mini-batches, failures linked to their logs.
  ../failed_items/                    When mini-batches failed (or had failed when a signal stopped the run):
                                      an MLTable of exactly the failed items (an input for a new job; HDF5:
                                      rows-NNNNN.h5 and input.yml) and failed_items.jsonl (items, error, logs).

System logs (written by prs_mpi):
  sys/master_role.txt                 The orchestrator (rank 0): scheduling, worker events, failures.
  sys/job_report/processed_mini-batches.csv
                                      One row per attempt: node, process, times, counts, status, error.
                                      Follow Node Id and Process to the per-process logs below.
  sys/node/<node_id>/_main.txt        Worker processes on that node: starts, exits ("processNNN exits
                                      with returncode -9"), timeouts, workers killed because shutdown()
                                      or init() did not end ("processNNN killed: ...").
  sys/node/<node_id>/<process>.txt    One line per mini-batch attempt of that worker: node IP, PID,
                                      items, start time, elapsed, CPU and run() seconds, status.
  sys/error/<node_id>/<process>.txt   Failures of that worker that are not the entry script's exception,
                                      one line each (time, mini-batch, attempt, status, message): the
                                      worker died or was killed by a signal, run() or the data load
                                      timed out, the data could not be loaded. Absent: none happened.

Performance (every --resource_monitor_interval seconds, 0 = off):
  perf/<node_id>/node_resource_usage.csv       Load, CPU % and memory of the node.
  perf/<node_id>/processes_resource_usage.csv  CPU %, RSS and threads of each worker.
  perf/<node_id>/node_disk_usage.csv           Total, used and free bytes and used % (as df computes
                                               it) of each filesystem holding the run directory, the
                                               output, the input or the temporary folder ($TMPDIR).
  perf/<node_id>/gpu_resource_usage.csv        Where nvidia-smi exists: utilisation and memory of each
                                               GPU of the node, sampled and written by nvidia-smi.
  perf/<node_id>/os/<YYYYMMDDHH>/processes_<MM>
                                               Every process on the node, like ps aux without TTY (USER
                                               PID %CPU %MEM VSZ RSS STAT START TIME COMMAND; %CPU over
                                               the process's life, VSZ and RSS in KiB). One file per
                                               minute in a folder per hour; a later snapshot in the same
                                               minute replaces the file.

User logs (written by the entry script):
  user/stdout/<node_id>/<process>.stdout.txt   print() and the root logger.
  user/stderr/<node_id>/<process>.stderr.txt   stderr, including tracebacks.
  user/error/<node_id>/<process>.txt           Tracebacks of failed init() and run() calls.
  user/entry_script_log/<node_id>/<process>.log.txt
                                               EntryScript().logger.

Process names: processNNN; a worker that dies or times out is replaced by one with a new number.

This file also marks the folder as prs_mpi's: a fresh run clears a logs/ folder only when it
holds this file (or nothing).
)";
}

}  // namespace prs::logs
