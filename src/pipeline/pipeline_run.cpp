#include "prs/pipeline/pipeline_run.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <sstream>

#include "prs/config/describe.hpp"
#include "prs/config/load_job.hpp"
#include "prs/logs/log_file.hpp"
#include "prs/logs/progress.hpp"
#include "prs/orchestrator/exit_codes.hpp"
#include "prs/orchestrator/run_lock.hpp"
#include "prs/pipeline/command_step.hpp"
#include "prs/pipeline/pipeline_summary.hpp"
#include "prs/pipeline/step_fingerprint.hpp"
#include "prs/util/text.hpp"

namespace prs::pipeline {

namespace fs = std::filesystem;
using config::PipelineStep;

namespace {

// What rank 0 tells the others about a step; the step's exit code otherwise.
constexpr int kStepReused = -1;

const char* kind_name(PipelineStep::Kind k) { return k == PipelineStep::Kind::Command ? "command" : "parallel"; }

// The end of a step's log, indented, for the failure message.
std::string last_lines(const fs::path& log, std::size_t count) {
    std::vector<std::string> lines;
    std::istringstream in(util::read_text_if_exists(log));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::string out;
    for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i)
        out += "    | " + lines[i] + "\n";
    return out;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Outputs under the run directory are ours: a re-run step starts with them empty, as on
// Azure. Outputs elsewhere (a node's path:, a datastore) are the user's and stay.
void prepare_outputs(const PipelineStep& step, const fs::path& run_dir) {
    for (const auto& out : step.outputs) {
        const std::string rel = out.path.lexically_relative(run_dir).string();
        const bool ours = !rel.empty() && rel != "." && !rel.starts_with("..");  // strictly inside
        if (out.type == "uri_file") {
            fs::create_directories(out.path.parent_path());
            continue;
        }
        if (ours) fs::remove_all(out.path);
        fs::create_directories(out.path);
    }
}

// Rank 0: runs (or reuses) a command step; the step's exit code, kStepReused or 75.
int command_step(const config::PipelineSpec& pipeline, const PipelineStep& step, bool fresh, StepResult& result) {
    const fs::path dir = pipeline.run_dir / step.name;
    const fs::path log = dir / "logs" / "user_logs" / "std_log.txt";
    const fs::path marker = dir / "step_done";
    result.logs = log;
    std::vector<fs::path> skip = {pipeline.run_dir};
    for (const auto& out : step.outputs) skip.push_back(out.path);
    const std::string fingerprint = step_fingerprint(step, skip);
    if (!fresh && util::read_text_if_exists(marker) == fingerprint) {
        const bool outputs_there =
            std::all_of(step.outputs.begin(), step.outputs.end(), [](const auto& o) { return fs::exists(o.path); });
        if (outputs_there) {
            fmt::print(stderr,
                       "prs_mpi: step {}: reused (same command, code and inputs as the finished run; "
                       "--fresh runs it again).\n",
                       step.name);
            return kStepReused;
        }
    }
    std::error_code ec;
    fs::remove(marker, ec);
    fs::remove_all(dir / "logs", ec);
    prepare_outputs(step, pipeline.run_dir);
    fmt::print(stderr, "prs_mpi: step {}: running `{}` in {}; log: {}\n", step.name, step.command.command,
               step.command.code_dir.string(), log.string());
    const auto outcome = run_command_step(step, dir, log);
    if (outcome.stopped) {
        fmt::print(stderr, "prs_mpi: step {}: stopped by a signal; run the same command to run it again.\n", step.name);
        return kExitResumable;
    }
    if (outcome.exit_code == 0) logs::write_file_atomically(marker, fingerprint);
    return outcome.exit_code;
}

}  // namespace

int run_pipeline(const config::PipelineSpec& pipeline, const config::CommandLine& cli, const Edge& edge) {
    const bool rank0 = edge.rank == 0;
    std::vector<StepResult> results;
    std::set<std::string> reran, broken;  // broken: failed, or not run because of a failure
    int code = kExitSucceeded;
    // Rank 0 holds the pipeline's run directory for the whole run (each parallel step also
    // locks its own folder): two runs of one pipeline would run its command steps twice.
    std::optional<orchestrator::RunDirLock> lock;
    int locked = 1;
    if (rank0) {
        try {
            fs::create_directories(pipeline.run_dir);
            lock.emplace(pipeline.run_dir, std::chrono::seconds(10));
        } catch (const std::exception& e) {
            fmt::print(stderr, "prs_mpi: error: {}.\n", e.what());
            locked = 0;
        }
    }
    if (!edge.broadcast(locked)) return kExitBadInput;
    if (rank0) {
        std::string list;
        for (const auto& s : pipeline.steps)
            list += fmt::format("{}{} ({})", list.empty() ? "" : ", ", s.name, kind_name(s.kind));
        fmt::print(stderr, "prs_mpi: pipeline {}: {} step(s) in this order: {}; run directory {}\n", pipeline.name,
                   pipeline.steps.size(), list, pipeline.run_dir.string());
    }
    for (std::size_t i = 0; i < pipeline.steps.size(); ++i) {
        const PipelineStep& step = pipeline.steps[i];
        StepResult r;
        r.name = step.name;
        r.type = kind_name(step.kind);
        r.logs = step.kind == PipelineStep::Kind::Parallel ? pipeline.run_dir / step.name / "logs" : fs::path();
        const auto blocker = std::find_if(step.upstream.begin(), step.upstream.end(),
                                          [&](const std::string& u) { return broken.count(u) > 0; });
        if (code == kExitResumable || code == kExitBadInput ||
            (code != kExitSucceeded && !pipeline.continue_on_step_failure) || blocker != step.upstream.end()) {
            r.detail = blocker != step.upstream.end() ? fmt::format("needs step {}, which did not succeed", *blocker)
                                                      : "an earlier step did not succeed";
            broken.insert(step.name);
            results.push_back(r);
            continue;
        }
        const bool upstream_reran = std::any_of(step.upstream.begin(), step.upstream.end(),
                                                [&](const std::string& u) { return reran.count(u) > 0; });
        const bool fresh = cli.fresh || pipeline.force_rerun || !step.is_deterministic || upstream_reran;
        logs::set_progress_label(fmt::format("step {}", step.name));
        if (rank0)
            fmt::print(stderr, "prs_mpi: step {}/{}: {} ({}){}\n", i + 1, pipeline.steps.size(), step.name, r.type,
                       upstream_reran ? ": an earlier step ran again, so this one does too" : "");
        const auto started = std::chrono::steady_clock::now();
        int step_code = kExitSucceeded;
        if (step.kind == PipelineStep::Kind::Command) {
            if (rank0) {
                try {
                    step_code = command_step(pipeline, step, fresh, r);
                } catch (const std::exception& e) {
                    fmt::print(stderr, "prs_mpi: step {}: {}\n", step.name, e.what());
                    r.detail = e.what();
                    step_code = kExitJobFailed;
                }
            }
            step_code = edge.broadcast(step_code);
            if (step_code == kStepReused) {
                r.status = "reused";
                step_code = kExitSucceeded;
            } else if (step_code == kExitSucceeded) {
                reran.insert(step.name);
            } else if (step_code != kExitResumable) {
                if (r.detail.empty())
                    r.detail = fmt::format("the command exited with code {}; see {}", step_code, r.logs.string());
                r.exit_code = step_code;
                if (rank0)
                    fmt::print(stderr, "prs_mpi: step {} failed: {}\n{}", step.name, r.detail, last_lines(r.logs, 10));
                step_code = kExitJobFailed;
            }
        } else {
            config::JobSpec job;
            int loaded = 1;
            try {
                job = config::load_pipeline_step(pipeline, step, cli);
            } catch (const config::JobError& e) {
                if (rank0) fmt::print(stderr, "{}\n", e.what());
                r.detail = "its settings are invalid (see the error above)";
                loaded = 0;
            }
            loaded = edge.broadcast(loaded);
            if (!loaded) {
                step_code = kExitBadInput;
            } else {
                if (rank0)
                    for (const auto& w : job.warnings) fmt::print(stderr, "{}\n", w);
                const fs::path dir = pipeline.run_dir / step.name;
                // A reused run writes nothing: a journal there before and untouched after is
                // a reuse (any run that ran something, resumed or fresh, writes to it).
                std::error_code ec;
                const auto journal_time = fs::last_write_time(dir / "journal.bin", ec);
                const bool had_journal = rank0 && !fresh && !ec;
                for (const auto& out : step.outputs)
                    if (rank0) fs::create_directories(out.type == "uri_file" ? out.path.parent_path() : out.path);
                step_code = edge.broadcast(edge.run_parallel(job, dir, fresh));
                std::error_code ec2;
                const bool untouched = had_journal && fs::last_write_time(dir / "journal.bin", ec2) == journal_time;
                if (step_code == kExitSucceeded && untouched) {
                    r.status = "reused";
                } else if (step_code == kExitSucceeded) {
                    reran.insert(step.name);
                } else if (step_code == kExitBadInput) {
                    r.detail = "its input or run directory was refused (see the error above); nothing ran";
                } else if (step_code == kExitJobFailed) {
                    r.detail =
                        fmt::format("the parallel job failed; see {}", (dir / "logs" / "job_result.txt").string());
                }
                // Every rank must agree on reuse, or downstream steps would disagree on --fresh.
                const int reran_flag = edge.broadcast(reran.count(step.name) ? 1 : 0);
                if (reran_flag)
                    reran.insert(step.name);
                else
                    reran.erase(step.name);
            }
        }
        r.seconds = seconds_since(started);
        if (r.status == "not run") {
            r.status = step_code == kExitSucceeded ? "succeeded" : step_code == kExitResumable ? "stopped" : "failed";
        }
        if (step_code != kExitSucceeded) {
            broken.insert(step.name);
            if (code == kExitSucceeded || step_code == kExitResumable || step_code == kExitBadInput) code = step_code;
        }
        results.push_back(r);
    }
    if (rank0) {
        fmt::print(stderr, "prs_mpi: {}", summary_text(pipeline.name, code, results));
        try {
            write_summary(pipeline.run_dir, pipeline.name, code, results);
        } catch (const std::exception& e) {
            fmt::print(stderr, "prs_mpi: warning: cannot write the pipeline summary in {}: {}\n",
                       (pipeline.run_dir / "logs").string(), e.what());
        }
    }
    return code;
}

std::string describe_pipeline(const config::PipelineSpec& pipeline, const config::CommandLine& cli) {
    std::string out = fmt::format("pipeline {} ({}): {} step(s); run directory {}\n", pipeline.name,
                                  pipeline.job_file.string(), pipeline.steps.size(), pipeline.run_dir.string());
    for (std::size_t i = 0; i < pipeline.steps.size(); ++i) {
        const auto& s = pipeline.steps[i];
        out += fmt::format("\nstep {}: {} ({}) at {}{}\n", i + 1, s.name, kind_name(s.kind), s.where,
                           s.upstream.empty() ? "" : fmt::format(", after {}", fmt::join(s.upstream, ", ")));
        for (const auto& o : s.outputs) out += fmt::format("  output {} ({}): {}\n", o.name, o.type, o.path.string());
        if (s.kind == PipelineStep::Kind::Command) {
            out += fmt::format("  command: {}\n  in: {}\n  python: {}\n", s.command.command,
                               s.command.code_dir.string(), step_python(s.command).string());
            for (const auto& [k, v] : s.command.environment_variables) out += fmt::format("  env {}={}\n", k, v);
        } else if (s.upstream.empty()) {
            const auto job = config::load_pipeline_step(pipeline, s, cli);
            std::istringstream lines(config::describe(job));
            for (std::string line; std::getline(lines, line);) out += "  " + line + "\n";
        } else {
            out += "  (its settings are resolved when it runs: it reads outputs of earlier steps)\n";
        }
    }
    return out;
}

}  // namespace prs::pipeline
