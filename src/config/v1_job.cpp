// The v1 form: ParallelRunConfig's and ParallelRunStep's parameters as YAML keys, either at
// the top level or the config's under `parallel_run_config:`. Names map to v2 as in the
// migration guide's table; origins are recorded under the v2 names.

#include <fmt/format.h>

#include <algorithm>

#include "forms.hpp"

namespace prs::config::detail {

namespace {

const std::vector<std::string> kConfigKeys = {
    "entry_script",         "source_directory",       "mini_batch_size",        "error_threshold",
    "allowed_failed_count", "allowed_failed_percent", "run_invocation_timeout", "run_max_try",
    "output_action",        "append_row_file_name",   "process_count_per_node", "node_count",
    "partition_keys",       "environment_variables",  "logging_level",          "description",
    "environment",          "compute_target"};
const std::vector<std::string> kStepKeys = {"name",      "inputs",      "side_inputs",         "output",
                                            "arguments", "allow_reuse", "parallel_run_config", "output_order"};

// v2 spellings in a v1 file.
const std::map<std::string, std::string, std::less<>> kV1Hints = {
    {"timeout", "run_invocation_timeout"},
    {"max_retries", "run_max_try (= max_retries + 1)"},
    {"instance_count", "node_count"},
    {"max_concurrency_per_instance", "process_count_per_node"},
    {"mini_batch_error_threshold", "allowed_failed_count"},
    {"program_arguments", "arguments"},
    {"code", "source_directory"},
    {"outputs", "output"},
    {"append_row_to", "output_action: append_row with output: and append_row_file_name:"},
    {"is_deterministic", "allow_reuse"},
};

// Direct renames: v1 key -> setting.
const std::vector<std::pair<std::string, std::string>> kRenamed = {
    {"mini_batch_size", "mini_batch_size"},
    {"error_threshold", "error_threshold"},
    {"allowed_failed_count", "mini_batch_error_threshold"},
    {"allowed_failed_percent", "allowed_failed_percent"},
    {"run_invocation_timeout", "retry_settings.timeout"},
    {"process_count_per_node", "max_concurrency_per_instance"},
    {"node_count", "resources.instance_count"},
    {"logging_level", "logging_level"},
    {"allow_reuse", "is_deterministic"},
    {"output_order", "output_order"},
};

// The top level plus `parallel_run_config:`, looked up as one.
class V1Keys {
public:
    V1Keys(const JobFile& file, const Mapping& root) : root_(root) {
        std::vector<std::string> known = kConfigKeys;
        known.insert(known.end(), kStepKeys.begin(), kStepKeys.end());
        root.warn_unknown(known, kV1Hints);
        if (const auto nested = root.get("parallel_run_config")) {
            config_.emplace(file, *nested);
            config_->warn_unknown(kConfigKeys, kV1Hints);
            for (const Field& f : config_->fields())
                if (const auto twice = root.get(f.key.Scalar()))
                    file.fail(f, fmt::format("given both here and at {}", file.where(twice->key)), "keep one");
        }
    }

    std::optional<Field> get(std::string_view key) const {
        if (auto f = root_.get(key)) return f;
        if (config_) return config_->get(key);
        return std::nullopt;
    }

private:
    const Mapping& root_;
    std::optional<Mapping> config_;
};

void read_major_inputs(const JobFile& file, const Field& inputs, JobSpec& spec) {
    if (inputs.value.IsSequence())
        read_input_list(file, inputs, spec);
    else
        read_inputs(file, inputs, nullptr, spec);
    if (spec.inputs.size() != 1)
        file.fail(inputs, fmt::format("ParallelRunStep takes exactly one data input, got {}", spec.inputs.size()),
                  "keep the input to split in inputs: and move the others to side_inputs:");
    spec.major_input = spec.inputs.front().name;
    spec.origins["input_data"] = file.origin(inputs);
}

void read_side_inputs(const JobFile& file, const Field& side, JobSpec& spec) {
    if (side.value.IsSequence())
        read_input_list(file, side, spec);
    else
        read_inputs(file, side, nullptr, spec);
}

void read_output(const JobFile& file, const V1Keys& keys, JobSpec& spec) {
    // ParallelRunStep has one output folder; without `output:` it lives under the run directory.
    OutputSpec output{"output", OutputType::UriFolder, {}};
    if (const auto f = keys.get("output")) output.path = file.local_path(*f);
    spec.outputs.push_back(output);

    std::string action = "append_row";
    if (const auto f = keys.get("output_action")) {
        action = file.text(*f);
        if (action != "append_row" && action != "summary_only")
            file.fail_expected(*f, "append_row or summary_only",
                               "write output_action: append_row (collect run() results in one file) or summary_only");
    }
    std::string file_name = "parallel_run_step.txt";
    if (const auto f = keys.get("append_row_file_name")) {
        file_name = file.text(*f);
        if (file_name.empty() || file_name.find('/') != std::string::npos)
            file.fail_expected(*f, "a file name", "write a plain name such as results.txt; the folder is `output:`");
    }
    if (action == "append_row") {
        const fs::path folder = output.path.empty() ? fs::path("outputs") / output.name : output.path;
        spec.append_row_file = folder / file_name;
        if (const auto f = keys.get("output_action"))
            spec.origins["task.append_row_to"] = file.origin(*f);
        else
            spec.origins["task.append_row_to"] = Origin{Origin::Kind::Default, "output_action: append_row"};
    }
}

}  // namespace

void read_v1_job(const JobFile& file, const Mapping& root, JobSpec& spec) {
    spec.form = JobForm::V1;
    const V1Keys keys(file, root);

    if (const auto f = keys.get("name")) spec.job_name = file.text(*f);
    if (const auto f = keys.get("description")) spec.description = file.text(*f);

    const auto inputs = keys.get("inputs");
    if (!inputs)
        file.fail(root.node(), "inputs", "the input to split is missing",
                  "add e.g. `inputs: [./data]` (a folder of files) or a mapping name -> {type, path}");
    read_major_inputs(file, *inputs, spec);
    if (const auto f = keys.get("side_inputs")) read_side_inputs(file, *f, spec);
    read_output(file, keys, spec);

    for (const auto& [v1_key, setting] : kRenamed)
        if (const auto f = keys.get(v1_key)) file.apply(spec, *f, setting);
    if (const auto f = keys.get("run_max_try")) {
        // v1 counts tries, v2 counts retries after the first try.
        const long long tries = file.integer(*f, IntRange{1, kIntMax}, "3");
        apply_setting(spec, "retry_settings.max_retries", std::to_string(tries - 1), file.origin(*f));
    }
    if (const auto f = keys.get("partition_keys")) {
        spec.partition_keys = read_partition_keys(file, *f);
        spec.origins["partition_keys"] = file.origin(*f);
        if (const auto size = keys.get("mini_batch_size"))
            file.fail(*size, "ParallelRunConfig takes mini_batch_size or partition_keys, not both",
                      "remove mini_batch_size: each mini-batch then holds one partition");
    }

    spec.code_dir = file.dir();
    spec.origins["task.code"] = Origin{Origin::Kind::Default, "the job file's folder"};
    const auto source = keys.get("source_directory");
    if (source) {
        spec.code_dir = read_code_dir(file, *source);
        spec.origins["task.code"] = file.origin(*source);
    }
    const auto entry = keys.get("entry_script");
    if (!entry)
        file.fail(root.node(), "entry_script", "the entry script is missing",
                  "add `entry_script: score.py` (relative to source_directory)");
    // Without source_directory, v1 takes any path the machine can reach; its folder is the code.
    spec.entry_script = read_entry_script(file, *entry, spec.code_dir, source.has_value());
    if (!source) spec.code_dir = spec.entry_script.parent_path();
    spec.origins["task.entry_script"] = file.origin(*entry);

    if (const auto f = keys.get("environment_variables")) read_environment_variables(file, *f, spec);
    if (const auto f = keys.get("environment")) read_environment(file, *f, spec);
    if (const auto f = keys.get("arguments")) read_program_arguments(file, *f, spec);
}

}  // namespace prs::config::detail
