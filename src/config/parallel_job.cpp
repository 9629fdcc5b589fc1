// A v2 parallel job (`type: parallel`): the job file's root, or a step of a pipeline.

#include <fmt/format.h>

#include <regex>

#include "forms.hpp"

namespace prs::config::detail {

namespace {

const std::vector<std::string> kJobKeys = {"$schema", "type", "name", "version", "display_name", "description", "tags",
                                           "compute", "experiment_name", "settings", "is_deterministic", "inputs",
                                           "outputs", "input_data", "mini_batch_size", "partition_keys", "resources",
                                           "max_concurrency_per_instance", "mini_batch_error_threshold",
                                           "retry_settings", "logging_level", "task", "output_order",
                                           // Azure's parallel schema also takes these at job level.
                                           "error_threshold", "environment_variables",
                                           // Azure's pipeline-node keys.
                                           "component", "properties", "identity", "services", "queue_settings",
                                           "comment"};

// Keys that belong elsewhere in a v2 job: misplaced ones and v1 names.
const std::map<std::string, std::string, std::less<>> kJobHints = {
    {"timeout", "retry_settings.timeout"},
    {"max_retries", "retry_settings.max_retries"},
    {"instance_count", "resources.instance_count"},
    {"code", "task.code"},
    {"entry_script", "task.entry_script"},
    {"program_arguments", "task.program_arguments"},
    {"append_row_to", "task.append_row_to"},
    {"environment", "task.environment"},
    {"run_invocation_timeout", "retry_settings.timeout"},
    {"run_max_try", "retry_settings.max_retries (= run_max_try - 1)"},
    {"node_count", "resources.instance_count"},
    {"process_count_per_node", "max_concurrency_per_instance"},
    {"allowed_failed_count", "mini_batch_error_threshold"},
    {"source_directory", "task.code"},
    {"arguments", "task.program_arguments"},
    {"allowed_failed_percent", "task.program_arguments: --allowed_failed_percent N"},
};

const std::vector<std::string> kResourceKeys = {"instance_count", "instance_type", "shm_size",          "docker_args",
                                                "properties",     "locations",     "max_instance_count"};
const std::vector<std::string> kRetryKeys = {"max_retries", "timeout"};
const std::vector<std::string> kTaskKeys = {
    "type", "code", "entry_script", "program_arguments", "append_row_to", "environment_variables", "environment"};

// NAME when `text` is exactly ${{<kind>.NAME}}.
std::optional<std::string> own_reference(const std::string& text, const std::string& kind) {
    const std::regex pattern("^\\$\\{\\{\\s*" + kind + "\\.([A-Za-z0-9_-]+)\\s*\\}\\}$");
    std::smatch m;
    if (!std::regex_match(text, m, pattern)) return std::nullopt;
    return m[1].str();
}

template <typename Spec>
std::string names_of(const std::vector<Spec>& specs) {
    std::string out;
    for (const auto& s : specs) out += (out.empty() ? "" : ", ") + s.name;
    return out.empty() ? "none" : out;
}

void read_input_data(const JobFile& file, const Field& f, JobSpec& spec) {
    const std::string text = file.text(f);
    const auto name = own_reference(text, "inputs");
    const std::string fix = fmt::format(
        "write input_data: ${{{{inputs.NAME}}}} with NAME one of the data inputs "
        "({})",
        names_of(spec.inputs));
    if (!name) file.fail_expected(f, "${{inputs.NAME}}", fix);
    for (const auto& input : spec.inputs) {
        if (input.name != *name) continue;
        spec.major_input = *name;
        spec.origins["input_data"] = file.origin(f);
        return;
    }
    file.fail(f, fmt::format("{} names no data input of this job", text), fix);
}

void read_append_row_to(const JobFile& file, const Field& f, JobSpec& spec) {
    const std::string text = file.text(f);
    const auto name = own_reference(text, "outputs");
    const std::string fix = fmt::format("write append_row_to: ${{{{outputs.NAME}}}} with NAME one of the outputs ({})",
                                        names_of(spec.outputs));
    if (!name) file.fail_expected(f, "${{outputs.NAME}}", fix);
    for (const auto& output : spec.outputs) {
        if (output.name != *name) continue;
        const bool folder = output.type == OutputType::UriFolder;
        const fs::path base = output.path.empty() ? fs::path("outputs") / output.name : output.path;
        spec.append_row_file = folder ? base / "parallel_run_step.txt" : base;
        spec.origins["task.append_row_to"] = file.origin(f);
        return;
    }
    file.fail(f, fmt::format("{} names no output of this job", text), fix);
}

void read_task(const JobFile& file, const Field& task_field, JobSpec& spec) {
    const Mapping task(file, task_field);
    task.warn_unknown(kTaskKeys);
    if (const auto type = task.get("type"); type && file.text(*type) != "run_function")
        file.fail_expected(*type, "run_function", "write type: run_function (the only task type of a parallel job)");

    spec.code_dir = file.dir();
    spec.origins["task.code"] = Origin{Origin::Kind::Default, "the job file's folder"};
    if (const auto code = task.get("code")) {
        spec.code_dir = read_code_dir(file, *code);
        spec.origins["task.code"] = file.origin(*code);
    }
    const auto entry = task.get("entry_script");
    if (!entry)
        file.fail(task_field, "task.entry_script is missing",
                  "add `entry_script: score.py` (relative to task.code) under task:");
    spec.entry_script = read_entry_script(file, *entry, spec.code_dir, true);
    spec.origins["task.entry_script"] = file.origin(*entry);

    if (const auto vars = task.get("environment_variables")) read_environment_variables(file, *vars, spec);
    if (const auto env = task.get("environment")) read_environment(file, *env, spec);
    if (const auto append = task.get("append_row_to")) read_append_row_to(file, *append, spec);
    if (const auto args = task.get("program_arguments")) read_program_arguments(file, *args, spec);
}

}  // namespace

void read_parallel_job(const JobFile& file, const Mapping& job, const ParentScope* parent, JobSpec& spec) {
    job.warn_unknown(kJobKeys, kJobHints);

    if (const auto f = job.get("display_name")) spec.display_name = file.text(*f);
    if (const auto f = job.get("description")) spec.description = file.text(*f);

    if (const auto f = job.get("inputs")) read_inputs(file, *f, parent, spec);
    if (const auto f = job.get("outputs")) read_outputs(file, *f, parent, spec);

    const auto input_data = job.get("input_data");
    if (!input_data)
        file.fail(job.node(), job.child_path("input_data"), "the major input is missing",
                  "add `input_data: ${{inputs.NAME}}` naming the input to split into mini-batches");
    read_input_data(file, *input_data, spec);

    if (const auto f = job.get("mini_batch_size")) file.apply(spec, *f, "mini_batch_size");
    if (const auto f = job.get("partition_keys")) {
        spec.partition_keys = read_partition_keys(file, *f);
        spec.origins["partition_keys"] = file.origin(*f);
    }
    if (const auto f = job.get("resources")) {
        const Mapping resources(file, *f);
        resources.warn_unknown(kResourceKeys);
        if (const auto count = resources.get("instance_count")) file.apply(spec, *count, "resources.instance_count");
    }
    // Job-level error_threshold is Azure's --error_threshold; program_arguments, read later, win.
    for (const char* key : {"max_concurrency_per_instance", "mini_batch_error_threshold", "logging_level",
                            "is_deterministic", "output_order", "error_threshold"})
        if (const auto f = job.get(key)) file.apply(spec, *f, key);
    if (const auto f = job.get("retry_settings")) {
        const Mapping retry(file, *f);
        retry.warn_unknown(kRetryKeys);
        if (const auto r = retry.get("max_retries")) file.apply(spec, *r, "retry_settings.max_retries");
        if (const auto t = retry.get("timeout")) file.apply(spec, *t, "retry_settings.timeout");
    }

    // Job-level environment_variables (Azure's parallel schema) first: task's, read later, win.
    if (const auto f = job.get("environment_variables")) read_environment_variables(file, *f, spec);
    for (const char* key : {"identity", "services", "queue_settings"})
        if (const auto f = job.get(key))
            file.info(f->key, fmt::format("{} is not used: there is no workspace identity or service on-prem", key));

    const auto task = job.get("task");
    if (!task)
        file.fail(job.node(), job.child_path("task"), "the task is missing",
                  "add\n    task:\n      type: run_function\n      code: ./src\n      entry_script: score.py");
    read_task(file, *task, spec);
}

}  // namespace prs::config::detail
