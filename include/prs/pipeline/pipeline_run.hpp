#pragma once
// Runs a whole pipeline: its steps in order, command steps on rank 0 with bash, parallel
// steps on every rank through step::run_parallel_step. Every rank walks the same step list;
// rank 0 decides each step's outcome and broadcasts it, so all ranks take the same turns.

#include <filesystem>
#include <functional>

#include "prs/config/command_line.hpp"
#include "prs/config/pipeline_spec.hpp"

namespace prs::pipeline {

// What the pipeline needs from the MPI edge (kept out of this module: it is MPI-free).
struct Edge {
    int rank = 0;
    std::function<int(int)> broadcast;  // rank 0's value, on every rank
    // Runs one parallel job on every rank; rank 0's result is the job's exit code.
    std::function<int(const config::JobSpec&, const std::filesystem::path& run_dir, bool fresh)> run_parallel;
};

// The pipeline's exit code (0, 2, 42 or 75), on every rank.
int run_pipeline(const config::PipelineSpec& pipeline, const config::CommandLine& cli, const Edge& edge);

// --dry-run: the steps in run order, what each reads and writes, and each parallel step's
// resolved settings where its inputs are already on disk.
std::string describe_pipeline(const config::PipelineSpec& pipeline, const config::CommandLine& cli);

}  // namespace prs::pipeline
