#include "prs/config/load_job.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "document.hpp"
#include "forms.hpp"
#include "prs/config/program_arguments.hpp"

namespace prs::config {

namespace {

using detail::Field;
using detail::JobFile;
using detail::kPipelineKeys;
using detail::Mapping;

// Keys only a v1 (ParallelRunConfig / ParallelRunStep) file has.
const std::vector<std::string> kV1OnlyKeys = {"entry_script",
                                              "source_directory",
                                              "run_invocation_timeout",
                                              "run_max_try",
                                              "output_action",
                                              "append_row_file_name",
                                              "process_count_per_node",
                                              "node_count",
                                              "allowed_failed_count",
                                              "side_inputs",
                                              "output",
                                              "arguments",
                                              "compute_target",
                                              "allow_reuse",
                                              "parallel_run_config"};

void refuse_job_flag(const CommandLine& cli, std::string_view form) {
    if (cli.job)
        throw JobError(util::Problem{"",
                                     fmt::format("--job {}: {} is a {}, not a pipeline; --job picks a pipeline's step",
                                                 *cli.job, cli.job_file.string(), form),
                                     "drop --job",
                                     {}});
}

// The seed docs show a parallel step alone, `name: {type: parallel, ...}`: a bare `jobs:` mapping.
bool is_bare_jobs_mapping(const Mapping& top) {
    const auto& fields = top.fields();
    const bool all_maps = std::all_of(fields.begin(), fields.end(), [](const Field& f) { return f.value.IsMap(); });
    const bool any_parallel = std::any_of(fields.begin(), fields.end(), [](const Field& f) {
        if (!f.value.IsMap()) return false;
        const YAML::Node type = f.value["type"];
        return type.IsDefined() && type.IsScalar() && type.Scalar() == "parallel";
    });
    return !fields.empty() && all_maps && any_parallel;
}

void read_pipeline(const JobFile& file, const Mapping& top, const CommandLine& cli, JobSpec& spec) {
    top.warn_unknown(kPipelineKeys);
    if (const auto f = top.get("display_name")) spec.display_name = file.text(*f);
    if (const auto f = top.get("description")) spec.description = file.text(*f);
    detail::ParentScope scope;
    if (const auto f = top.get("inputs")) scope.inputs.emplace(file, *f);
    if (const auto f = top.get("outputs")) scope.outputs.emplace(file, *f);
    const auto jobs = top.get("jobs");
    if (!jobs)
        file.fail(top.node(), "jobs", "a pipeline without jobs:",
                  "add the parallel step under jobs:, e.g.\n    jobs:\n      score:\n        type: parallel");
    detail::read_pipeline_jobs(file, Mapping(file, *jobs), &scope, cli.job, spec);
}

void read_form(const JobFile& file, const Mapping& top, const CommandLine& cli, JobSpec& spec) {
    if (const auto type = top.get("type")) {
        const std::string t = file.text(*type);
        if (t == "pipeline") {
            read_pipeline(file, top, cli, spec);
            return;
        }
        if (t != "parallel")
            file.fail_expected(*type, "parallel or pipeline",
                               "prs_mpi runs `type: parallel` jobs and pipelines with a parallel step");
        refuse_job_flag(cli, "parallel job");
        spec.form = JobForm::Parallel;
        if (const auto name = top.get("name")) spec.job_name = file.text(*name);
        detail::read_parallel_job(file, top, nullptr, spec);
        return;
    }
    const bool v1 = std::any_of(kV1OnlyKeys.begin(), kV1OnlyKeys.end(),
                                [&](const std::string& k) { return top.get(k).has_value(); });
    if (v1) {
        refuse_job_flag(cli, "v1 ParallelRunConfig job");
        detail::read_v1_job(file, top, spec);
        return;
    }
    if (is_bare_jobs_mapping(top)) {
        detail::read_pipeline_jobs(file, top, nullptr, cli.job, spec);
        return;
    }
    file.fail(top.node(), "type", "cannot tell what kind of job this is: there is no `type:` key",
              "add `type: parallel` (a v2 parallel job) or `type: pipeline`; a v1 file has `entry_script:` at the top");
}

}  // namespace

void detail::apply_overrides(const CommandLine& cli, JobSpec& spec) {
    for (const auto& [flag, value] : cli.overrides) {
        const auto key = detail::setting_for_flag(flag);
        if (!key) throw JobError(fmt::format("prs_mpi: --{} is not a setting prs_mpi can override", flag));
        try {
            detail::apply_setting(spec, *key, value,
                                  Origin{Origin::Kind::CommandLine,
                                         fmt::format("--{} {}", flag, quote_argument(value))});
        } catch (const detail::ValueError& e) {
            throw JobError(
                util::Problem{"", fmt::format("--{}: expected {}, got '{}'", flag, e.expected, value), e.fix, {}});
        }
    }
}

void detail::settle(JobSpec& spec) {
    if (!spec.partition_keys.empty() && spec.mini_batch_size) {
        // Azure's v2 lets partition keys win (v1 files were refused earlier).
        const Origin& size = spec.origins["mini_batch_size"];
        const std::string where = size.kind == Origin::Kind::Yaml ? size.detail : "prs_mpi";
        spec.warnings.push_back(
            fmt::format("{}: warning: mini_batch_size is ignored because partition_keys is set: "
                        "each mini-batch holds one partition, as on Azure",
                        where));
        spec.mini_batch_size.reset();
        spec.mini_batch_size_has_unit = false;
        spec.origins["mini_batch_size"] = Origin{Origin::Kind::Computed, "ignored: partition_keys is set"};
    }
    if (spec.origins["progress_update_timeout"].kind == Origin::Kind::Default) {
        spec.progress_update_timeout = 3 * (spec.timeout + spec.task_overhead_timeout);
        spec.origins["progress_update_timeout"] =
            Origin{Origin::Kind::Computed, "3 * (retry_settings.timeout + task_overhead_timeout)"};
    }
}

JobSpec load_job(const CommandLine& cli) {
    YAML::Node root = detail::parse_yaml_file(cli.job_file, cli.job_file.string());
    if (!root.IsDefined() || root.IsNull())
        throw JobError(
            util::Problem{cli.job_file.string(), "the job file is empty", "start from an example parallel job", {}});

    JobSpec spec;
    spec.job_file = fs::absolute(cli.job_file).lexically_normal();
    spec.job_name = cli.job_file.stem().string();
    detail::record_defaults(spec);
    const JobFile file(cli.job_file.string(), spec.job_file.parent_path(), spec.warnings);
    detail::apply_sets(root, cli, file.name());
    const YAML::Node name = root.IsMap() ? root["name"] : YAML::Node();
    const std::string job_name = cli.job                               ? *cli.job
                                 : name.IsDefined() && name.IsScalar() ? name.Scalar()
                                                                       : spec.job_name;
    detail::resolve_locations(root, detail::locations_of(cli), job_name, file.name());
    read_form(file, Mapping(file, root), cli, spec);
    detail::apply_overrides(cli, spec);
    detail::record_set_origins(cli, cli.job ? "jobs." + *cli.job + "." : "", spec);
    detail::settle(spec);
    return spec;
}

void bind_run_dir(JobSpec& spec, const std::filesystem::path& run_dir) {
    const fs::path dir = fs::absolute(run_dir).lexically_normal();
    for (auto& output : spec.outputs)
        if (output.path.empty()) output.path = dir / "outputs" / output.name;
    if (spec.append_row_file && spec.append_row_file->is_relative()) spec.append_row_file = dir / *spec.append_row_file;
    detail::bind_program_arguments(spec);
}

}  // namespace prs::config
