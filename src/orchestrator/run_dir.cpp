#include "prs/orchestrator/run_dir.hpp"

#include <fstream>
#include <string>

#include <fmt/format.h>

#include "prs/logs/log_file.hpp"
#include "prs/logs/readme.hpp"

namespace prs::orchestrator {

namespace fs = std::filesystem;

namespace {

bool plain(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

// The readme's first line: every logs/ tree prs_mpi makes starts with this file, so it marks
// the folder as ours (runs of earlier versions included).
bool made_by_prs_mpi(const fs::path& readme) {
    const std::string text = logs::readme_text();
    const std::string first_line = text.substr(0, text.find('\n'));
    std::ifstream in(readme);
    std::string line;
    return std::getline(in, line) && line == first_line;
}

}  // namespace

fs::path default_run_dir(std::string_view job_name) {
    std::string name;
    for (const char c : job_name) name += plain(c) ? c : '_';
    if (name.empty() || name.front() == '.') name.insert(name.begin(), '_');
    return fs::path("prs_runs") / name;
}

void check_logs_are_ours(const logs::Layout& layout) {
    const fs::path logs = layout.logs();
    std::error_code ec;
    if (fs::exists(fs::symlink_status(logs, ec)) && !fs::is_empty(logs, ec) && !made_by_prs_mpi(layout.readme()))
        throw ForeignLogs(util::Problem{
            "",
            fmt::format("the run directory {} holds a logs/ folder that prs_mpi did not make (no readme.txt of ours "
                        "in it), and a fresh run would delete it",
                        layout.run_dir().string()),
            "give this run its own --run-dir, or move that folder away.",
            {}});
}

void prepare_logs(const logs::Layout& layout) {
    check_logs_are_ours(layout);
    const fs::path logs = layout.logs();
    fs::remove_all(logs);
    // The readme first: a logs/ with anything in it is then marked as ours.
    fs::create_directories(logs);
    logs::write_file_atomically(layout.readme(), logs::readme_text());
    fs::create_directories(logs / "sys" / "job_report");
}

}  // namespace prs::orchestrator
