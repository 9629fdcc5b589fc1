#include "prs/config/describe.hpp"

#include <fmt/format.h>

#include "prs/config/program_arguments.hpp"
#include "prs/util/text.hpp"

namespace prs::config {

namespace {

std::string origin_text(const JobSpec& spec, const std::string& key) {
    const auto it = spec.origins.find(key);
    if (it == spec.origins.end()) return "default";
    const Origin& o = it->second;
    switch (o.kind) {
        case Origin::Kind::Default:
            return o.detail.empty() || o.detail == "default" ? "default" : "default: " + o.detail;
        case Origin::Kind::Yaml:
            return o.detail;
        case Origin::Kind::ProgramArgument:
            return "program_arguments: " + o.detail;
        case Origin::Kind::CommandLine:
            return "command line: " + o.detail;
        case Origin::Kind::Computed:
            return "computed: " + o.detail;
    }
    return o.detail;
}

std::string form_text(const JobSpec& spec) {
    switch (spec.form) {
        case JobForm::Parallel:
            return "v2 parallel job";
        case JobForm::Pipeline:
            return fmt::format("parallel step '{}' of a pipeline", spec.job_name);
        case JobForm::V1:
            return "v1 ParallelRunConfig/ParallelRunStep";
    }
    return "";
}

std::string input_type(InputType t) {
    switch (t) {
        case InputType::UriFolder:
            return "uri_folder";
        case InputType::UriFile:
            return "uri_file";
        case InputType::MLTable:
            return "mltable";
        case InputType::Hdf5:
            return "hdf5";
    }
    return "";
}

std::string shown_path(const fs::path& p) { return p.is_relative() ? "<run_dir>/" + p.string() : p.string(); }

std::string size_text(const JobSpec& spec) {
    if (!spec.mini_batch_size) {
        if (!spec.partition_keys.empty()) return "one partition per mini-batch";
        return "10 files (file inputs) or 1mb (tabular inputs)";
    }
    const std::uint64_t n = *spec.mini_batch_size;
    if (spec.mini_batch_size_has_unit) return fmt::format("{} bytes", n);
    // A bare number counts what the major input is made of.
    for (const auto& input : spec.inputs) {
        if (input.name != spec.major_input) continue;
        switch (input.type) {
            case InputType::UriFolder:
            case InputType::UriFile:
                return fmt::format("{} files", n);
            case InputType::Hdf5:
                return fmt::format("{} rows", n);
            case InputType::MLTable:
                break;
        }
    }
    return fmt::format("{} (files, or bytes for tabular data)", n);
}

// How Python prints the string inside a list, so sys.argv reads as the script will see it.
std::string python_repr(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    return out + "'";
}

class Lines {
public:
    void add(std::string_view name, std::string_view value, std::string_view origin = {}) {
        if (origin.empty())
            text_ += fmt::format("{:<30} {}\n", name, value);
        else
            text_ += fmt::format("{:<30} {:<44} [{}]\n", name, value, origin);
    }
    void setting(const JobSpec& spec, const std::string& key, std::string_view value) {
        add(key, value, origin_text(spec, key));
    }
    std::string take() { return std::move(text_); }

private:
    std::string text_;
};

}  // namespace

std::string describe(const JobSpec& spec) {
    Lines out;
    out.add("job file", fmt::format("{} ({})", spec.job_file.string(), form_text(spec)));
    out.add("job name", spec.job_name);
    if (!spec.display_name.empty()) out.add("display name", spec.display_name);

    for (const auto& input : spec.inputs) {
        std::string value = fmt::format("{} {}", input_type(input.type), input.path.string());
        if (!input.mode.empty()) value += fmt::format(" (mode {}, read in place)", input.mode);
        if (!input.datasets.empty()) value += " datasets " + util::join(input.datasets, ",");
        const bool major = input.name == spec.major_input;
        out.add(fmt::format("input {}", input.name), value + (major ? "  <- input_data, split into mini-batches" : ""),
                major ? origin_text(spec, "input_data") : "");
    }
    for (const auto& literal : spec.literal_inputs)
        out.add(fmt::format("input {}", literal.name), fmt::format("value {}", quote_argument(literal.value)));
    for (const auto& output : spec.outputs)
        out.add(fmt::format("output {}", output.name),
                fmt::format("{} {}", output.type == OutputType::UriFile ? "uri_file" : "uri_folder",
                            output.path.empty() ? "<run_dir>/outputs/" + output.name : output.path.string()));

    out.setting(spec, "task.code", spec.code_dir.string());
    out.setting(spec, "task.entry_script", spec.entry_script.string());
    std::vector<std::string> argv;
    for (const auto& arg : spec.program_arguments) argv.push_back(python_repr(arg));
    out.setting(spec, "task.program_arguments",
                spec.program_arguments_raw.empty() ? "(none)" : spec.program_arguments_raw);
    out.add("sys.argv[1:]", "[" + util::join(argv, ", ") + "]");
    out.setting(spec, "task.append_row_to",
                spec.append_row_file ? shown_path(*spec.append_row_file) : "(none: summary_only)");
    for (const auto& [name, value] : spec.environment_variables)
        out.add("environment variable", fmt::format("{}={}", name, quote_argument(value)));
    for (const auto& dir : spec.python_path) out.add("python_path", dir.string());

    out.setting(spec, "mini_batch_size", size_text(spec));
    out.setting(spec, "partition_keys", spec.partition_keys.empty() ? "(none)" : util::join(spec.partition_keys, ", "));
    out.setting(spec, "resources.instance_count", std::to_string(spec.instance_count));
    out.setting(spec, "max_concurrency_per_instance",
                spec.max_concurrency_per_instance ? std::to_string(*spec.max_concurrency_per_instance)
                                                  : "CPU cores, or GPUs on GPU nodes");
    out.setting(spec, "mini_batch_error_threshold", std::to_string(spec.mini_batch_error_threshold));
    out.setting(spec, "retry_settings.max_retries", std::to_string(spec.max_retries));
    out.setting(spec, "retry_settings.timeout", fmt::format("{} s", spec.timeout));
    out.setting(spec, "logging_level", spec.logging_level);
    out.setting(spec, "is_deterministic", spec.is_deterministic ? "true" : "false");
    out.setting(spec, "output_order", spec.output_order_input ? "input" : "completion");
    out.setting(spec, "error_threshold", std::to_string(spec.error_threshold));
    out.setting(spec, "allowed_failed_percent", std::to_string(spec.allowed_failed_percent));
    out.setting(spec, "task_overhead_timeout", fmt::format("{} s", spec.task_overhead_timeout));
    out.setting(spec, "progress_update_timeout", fmt::format("{} s", spec.progress_update_timeout));
    out.setting(spec, "first_task_creation_timeout", fmt::format("{} s", spec.first_task_creation_timeout));
    out.setting(spec, "copy_logs_to_parent", spec.copy_logs_to_parent ? "True" : "False");
    out.setting(spec, "resource_monitor_interval",
                spec.resource_monitor_interval == 0 ? "0 (off)" : fmt::format("{} s", spec.resource_monitor_interval));
    out.setting(spec, "profiling_module", spec.profiling_module.empty() ? "(none)" : spec.profiling_module);
    out.setting(spec, "append_row_dataframe_header", spec.append_row_dataframe_header ? "True" : "False");
    out.setting(spec, "rank_timeout", fmt::format("{} s", spec.rank_timeout));
    out.setting(spec, "isolate_failed_items", spec.isolate_failed_items ? "True" : "False");
    out.setting(spec, "prefetch_mini_batches", std::to_string(spec.prefetch_mini_batches));
    return out.take();
}

}  // namespace prs::config
