#pragma once
// The pipeline's own report: one line per step on stderr, and <run_dir>/logs/job_result.txt,
// job_summary.json and report.html (each step's own logs stay under <run_dir>/<step>/logs).

#include <filesystem>
#include <string>
#include <vector>

namespace prs::pipeline {

struct StepResult {
    std::string name;
    std::string type;                // command, parallel
    std::string status = "not run";  // succeeded, reused, failed, stopped, not run
    double seconds = 0;
    int exit_code = 0;
    std::filesystem::path logs;  // the step's log folder (parallel) or std_log.txt (command)
    std::string detail;          // why it failed or was not run
};

// "succeeded", "failed", "stopped": the pipeline's result from its exit code.
std::string pipeline_result(int exit_code);

// The stderr table and job_result.txt text.
std::string summary_text(const std::string& pipeline, int exit_code, const std::vector<StepResult>& steps);
std::string summary_json(const std::string& pipeline, int exit_code, const std::vector<StepResult>& steps);
std::string summary_html(const std::string& pipeline, int exit_code, const std::vector<StepResult>& steps,
                         const std::filesystem::path& run_dir);

// Writes the three files under <run_dir>/logs.
void write_summary(const std::filesystem::path& run_dir, const std::string& pipeline, int exit_code,
                   const std::vector<StepResult>& steps);

}  // namespace prs::pipeline
