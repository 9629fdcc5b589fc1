// `inputs:` of a parallel job or pipeline step, and v1's `inputs:`/`side_inputs:` lists.

#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "forms.hpp"
#include "prs/util/text.hpp"

namespace prs::config::detail {

namespace {

const std::vector<std::string> kDataKeys = {"type",        "path",     "mode",           "datasets", "partition_format",
                                            "description", "optional", "path_on_compute"};
const std::vector<std::string> kValueKeys = {"type", "default", "description", "optional", "min", "max", "enum"};
const std::vector<std::string> kModes = {"ro_mount", "download", "direct", "eval_mount", "eval_download", "rw_mount"};

bool is_value_type(std::string_view type) {
    return type == "string" || type == "integer" || type == "number" || type == "boolean";
}

// NAME when `text` is exactly ${{parent.<kind>.NAME}}.
std::optional<std::string> parent_reference(const std::string& text, const std::string& kind) {
    const std::regex pattern("^\\$\\{\\{\\s*parent\\." + kind + "\\.([A-Za-z0-9_-]+)\\s*\\}\\}$");
    std::smatch m;
    if (!std::regex_match(text, m, pattern)) return std::nullopt;
    return m[1].str();
}

class InputReader {
public:
    InputReader(const JobFile& file, const ParentScope* parent, JobSpec& spec)
        : file_(file), parent_(parent), spec_(spec) {}

    void read(const Field& f, const std::string& name, const std::vector<std::string>& extra_keys = {}) {
        if (f.value.IsScalar()) {
            const std::string text = f.value.Scalar();
            if (is_binding(text))  // the pipeline's own inputs cannot bind further
                InputReader(file_, nullptr, spec_).read(parent_input(f, text), name);
            else
                add_value(name, text);
            return;
        }
        if (f.value.IsNull())
            file_.fail_expected(f, "an input: a mapping with type and path, or a value",
                                fmt::format("write e.g.\n    {}:\n      type: uri_folder\n      path: ./data", name));
        const Mapping m(file_, f);
        const auto type = m.get("type");
        if (type && is_value_type(file_.text(*type))) {
            read_value(m, f, name);
            return;
        }
        std::vector<std::string> known = kDataKeys;
        known.insert(known.end(), extra_keys.begin(), extra_keys.end());
        m.warn_unknown(known);
        if (auto input = read_data(m, f, name)) add_data(f, std::move(*input));
    }

private:
    // The pipeline input a step's ${{parent.inputs.X}} names.
    Field parent_input(const Field& f, const std::string& text) const {
        const auto name = parent_reference(text, "inputs");
        if (!name) {
            const bool other_step = text.find("parent.jobs.") != std::string::npos;
            file_.fail_expected(
                f, parent_ ? "${{parent.inputs.NAME}} or an input mapping" : "an input mapping or a value",
                other_step ? "prs_mpi runs only the parallel step, so it cannot take another step's output; bind "
                             "this input to data on disk: type: uri_folder, path: ./folder"
                           : "write the input as a mapping with type and path");
        }
        if (!parent_ || !parent_->inputs)
            file_.fail_expected(f, "an input mapping or a value",
                                "this job is not inside a pipeline with inputs: write type and path here");
        if (auto bound = parent_->inputs->get(*name)) return *bound;
        std::vector<std::string> names;
        for (const auto& g : parent_->inputs->fields()) names.push_back(g.key.Scalar());
        file_.fail(f,
                   fmt::format("{} names no input of the pipeline (its inputs: {})", text,
                               names.empty() ? "none" : util::join(names, ", ")),
                   "declare it under the pipeline's top-level inputs:, or fix the name");
    }

    void add_value(const std::string& name, std::string value) {
        spec_.literal_inputs.push_back(LiteralInput{name, std::move(value)});
    }

    void read_value(const Mapping& m, const Field& f, const std::string& name) {
        m.warn_unknown(kValueKeys);
        if (const auto def = m.get("default")) {
            add_value(name, file_.text(*def));
        } else if (!(m.get("optional") && file_.boolean(*m.get("optional")))) {
            file_.fail(f, "a value input needs a value", fmt::format("add `default: ...` under {}", f.path));
        }
    }

    InputType read_type(const Field& f) const {
        const std::string t = file_.text(f);
        if (t == "uri_folder" || t == "custom_model" || t == "mlflow_model" || t == "triton_model")
            return InputType::UriFolder;
        if (t == "uri_file") return InputType::UriFile;
        if (t == "mltable") return InputType::MLTable;
        if (t == "hdf5") return InputType::Hdf5;
        file_.fail_expected(f,
                            "uri_folder, uri_file, mltable or hdf5 (or string, integer, number, boolean for a value)",
                            "write type: uri_folder for a folder of files, mltable for tabular data");
    }

    std::optional<InputSpec> read_data(const Mapping& m, const Field& f, const std::string& name) {
        InputSpec input;
        input.name = name;
        const auto path = m.get("path");
        if (path && path->value.IsScalar() && is_binding(path->value.Scalar())) {
            // A step input that takes the pipeline's data but may set its own type and mode.
            const Field bound = parent_input(*path, path->value.Scalar());
            if (!bound.value.IsMap())
                file_.fail(*path, fmt::format("{} is a value, not data", path->value.Scalar()),
                           "bind path: to a pipeline input that has type and path");
            auto from_parent = InputReader(file_, nullptr, spec_).read_data(Mapping(file_, bound), bound, name);
            if (!from_parent) return std::nullopt;
            input = std::move(*from_parent);
        } else if (path) {
            input.path = file_.local_path(*path);
        } else if (const auto optional = m.get("optional"); optional && file_.boolean(*optional)) {
            return std::nullopt;  // an optional component input left unbound
        } else {
            file_.fail(f, "the input has no path",
                       fmt::format("add `path: ./data` (relative to the job file's folder) under {}", f.path));
        }
        if (const auto type = m.get("type")) input.type = read_type(*type);
        if (const auto mode = m.get("mode")) {
            input.mode = file_.text(*mode);
            if (std::find(kModes.begin(), kModes.end(), input.mode) == kModes.end())
                file_.fail_expected(*mode, "one of " + util::join(kModes, ", "),
                                    "write e.g. mode: ro_mount (every mode reads the data in place on-prem)");
        }
        if (const auto datasets = m.get("datasets")) {
            if (input.type != InputType::Hdf5)
                file_.fail(*datasets, "datasets applies only to type: hdf5", "remove it, or set type: hdf5");
            input.datasets = file_.strings(*datasets);
        }
        if (const auto format = m.get("partition_format")) input.partition_format = file_.text(*format);
        if (input.type == InputType::Hdf5 && input.datasets.empty())
            file_.fail(f, "a type: hdf5 input needs the datasets to read",
                       fmt::format("add e.g. `datasets: [/features]` under {}", f.path));
        check_path(path ? *path : f, input);
        return input;
    }

    // The path must be there, in the shape its type needs, before anything runs.
    void check_path(const Field& at, InputSpec& input) const {
        const fs::path& p = input.path;
        const std::string fix = fmt::format(
            "create it or correct the path (relative paths start at the job file's folder, {})", file_.dir().string());
        std::error_code ec;
        const auto status = fs::status(p, ec);
        if (!fs::exists(status))
            file_.fail(at,
                       fmt::format("expected an existing {}, but {} does not exist",
                                   input.type == InputType::UriFile ? "file" : "folder", p.string()),
                       fix);
        const bool is_dir = fs::is_directory(status);
        switch (input.type) {
            case InputType::UriFile:
                if (is_dir)
                    file_.fail(at, fmt::format("type uri_file needs a file, but {} is a folder", p.string()),
                               "use type: uri_folder for a folder, or name one file");
                break;
            case InputType::UriFolder:
                if (!is_dir)
                    file_.fail(at, fmt::format("type uri_folder needs a folder, but {} is a file", p.string()),
                               "use type: uri_file for a single file");
                break;
            case InputType::MLTable:
                if (!is_dir && p.filename() == "MLTable") {
                    input.path = p.parent_path();
                } else if (!is_dir || !fs::is_regular_file(p / "MLTable")) {
                    file_.fail(at,
                               fmt::format("type mltable needs a folder with an MLTable file, but {} has none",
                                           p.string()),
                               "add an MLTable file (paths:, transformations:) to the folder, or use type: uri_folder "
                               "for a plain folder of files");
                }
                break;
            case InputType::Hdf5:
                break;  // a .h5 file or a folder of them
        }
    }

    void add_data(const Field& f, InputSpec input) {
        const auto same = [&](const InputSpec& other) {
            return other.name == input.name;
        };
        if (std::any_of(spec_.inputs.begin(), spec_.inputs.end(), same))
            file_.fail(f, fmt::format("a second input named '{}'", input.name), "give each input its own name");
        spec_.inputs.push_back(std::move(input));
    }

    const JobFile& file_;
    const ParentScope* parent_;
    JobSpec& spec_;
};

}  // namespace

void read_inputs(const JobFile& file, const Field& inputs, const ParentScope* parent, JobSpec& spec) {
    InputReader reader(file, parent, spec);
    const Mapping m(file, inputs);
    for (const Field& f : m.fields()) reader.read(f, f.key.Scalar());
}

void read_input_list(const JobFile& file, const Field& list, JobSpec& spec) {
    InputReader reader(file, nullptr, spec);
    std::size_t index = 0;
    for (auto it = list.value.begin(); it != list.value.end(); ++it) {
        const YAML::Node item = *it;
        const Field f{fmt::format("{}[{}]", list.path, index++), list.key, item};
        if (item.IsScalar()) {
            // A bare path, as ParallelRunStep(inputs=[...]) takes datasets: named after its folder.
            const std::string name = file.local_path(f).filename().string();
            YAML::Node as_mapping;
            as_mapping["path"] = item;
            reader.read(Field{f.path, f.key, as_mapping}, name.empty() ? "input" : name);
        } else if (item.IsMap()) {
            const Mapping m(file, f);
            const auto name = m.get("name");
            if (!name) file.fail(f, "a list input needs a name", "add `name: NAME` to the item, or use a mapping");
            reader.read(f, file.text(*name), {"name"});
        } else {
            file.fail_expected(f, "a path or a mapping with name, type and path",
                               "write e.g. inputs: [./data] or inputs: {data: {type: uri_folder, path: ./data}}");
        }
    }
}

}  // namespace prs::config::detail
