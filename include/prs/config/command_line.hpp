#pragma once
// prs_mpi's own command line (Boost.Program_options).

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace prs::config {

struct CommandLine {
    std::filesystem::path job_file;
    std::optional<std::filesystem::path> run_dir;  // --run-dir
    std::optional<std::string> job;                // --job NAME (pipeline with several parallel steps)
    bool dry_run = false;                          // --dry-run
    bool fresh = false;                            // --fresh
    bool retry_failed = false;                     // --retry-failed
    bool print_launch = false;                     // --print-launch
    std::optional<std::string> until;              // --until STEP: a pipeline stops after this step
    // --set key.path=value (as `az ml job create --set`), in order: applied to the job file.
    std::vector<std::pair<std::string, std::string>> sets;
    // --datastore NAME=DIR: azureml://datastores/NAME/paths/... is DIR/...
    std::map<std::string, std::filesystem::path> datastores;
    std::optional<std::filesystem::path> datastore_root;  // --datastore-root (else $PRS_DATASTORE_ROOT)
    std::map<std::string, std::filesystem::path> data;    // --data NAME:VERSION=PATH
    bool help = false;
    bool version = false;
    // PRS settings given as flags, canonical name without dashes -> value as typed,
    // e.g. {"error_threshold", "5"}, {"timeout", "120"}. Override the job file.
    std::map<std::string, std::string> overrides;
};

// Parses argv. Throws JobError (exit 2) on unknown flags or missing job file argument,
// with a hint naming the closest flag.
CommandLine parse_command_line(int argc, const char* const argv[]);

// The --help text.
std::string help_text();

}  // namespace prs::config
