#pragma once
// Where every log file lives under <run_dir>/logs (Azure's layout, docs/design.md §8).

#include <filesystem>
#include <string>

namespace prs::logs {

namespace fs = std::filesystem;

std::string process_name(int number);  // "process001"

class Layout {
public:
    explicit Layout(fs::path run_dir) : run_dir_(std::move(run_dir)) {}
    const fs::path& run_dir() const { return run_dir_; }
    fs::path logs() const { return run_dir_ / "logs"; }
    fs::path readme() const { return logs() / "readme.txt"; }
    fs::path job_result() const { return logs() / "job_result.txt"; }
    fs::path job_error() const { return logs() / "job_error.txt"; }
    fs::path progress_overview(const std::string& yyyymmddhh) const {
        return logs() / ("job_progress_overview." + yyyymmddhh + ".txt");
    }
    fs::path job_summary() const { return logs() / "job_summary.json"; }
    fs::path report_html() const { return logs() / "report.html"; }
    fs::path master_role() const { return logs() / "sys" / "master_role.txt"; }
    fs::path processed_mini_batches() const { return logs() / "sys" / "job_report" / "processed_mini-batches.csv"; }
    fs::path node_main(int node) const { return logs() / "sys" / "node" / std::to_string(node) / "_main.txt"; }
    fs::path node_process(int node, const std::string& proc) const {
        return logs() / "sys" / "node" / std::to_string(node) / (proc + ".txt");
    }
    // The worker's --profiling_module statistics (pstats), beside its system log.
    fs::path worker_profile(int node, const std::string& proc) const {
        return logs() / "sys" / "node" / std::to_string(node) / (proc + ".profile");
    }
    fs::path perf(int node) const { return logs() / "perf" / std::to_string(node); }
    fs::path user_stdout(int node, const std::string& proc) const {
        return logs() / "user" / "stdout" / std::to_string(node) / (proc + ".stdout.txt");
    }
    fs::path user_stderr(int node, const std::string& proc) const {
        return logs() / "user" / "stderr" / std::to_string(node) / (proc + ".stderr.txt");
    }
    // EntryScript().logger's file (the entry script's own log).
    fs::path entry_script_log(int node, const std::string& proc) const {
        return logs() / "user" / "entry_script_log" / std::to_string(node) / (proc + ".log.txt");
    }
    fs::path user_error(int node, const std::string& proc) const {
        return logs() / "user" / "error" / std::to_string(node) / (proc + ".txt");
    }
    // Failures of a worker that are not its entry script's exception (deaths, timeouts).
    fs::path sys_error(int node, const std::string& proc) const {
        return logs() / "sys" / "error" / std::to_string(node) / (proc + ".txt");
    }

private:
    fs::path run_dir_;
};

}  // namespace prs::logs
