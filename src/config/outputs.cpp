// `outputs:` of a parallel job or pipeline step.

#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "forms.hpp"

namespace prs::config::detail {

namespace {

const std::vector<std::string> kOutputKeys = {"type", "path",    "mode",           "description",
                                              "name", "version", "path_on_compute"};
const std::vector<std::string> kOutputModes = {"rw_mount", "upload", "direct"};

std::optional<std::string> parent_output(const std::string& text) {
    static const std::regex pattern(R"(^\$\{\{\s*parent\.outputs\.([A-Za-z0-9_-]+)\s*\}\})");
    std::smatch m;
    if (!std::regex_match(text, m, pattern)) return std::nullopt;
    return m[1].str();
}

class OutputReader {
public:
    OutputReader(const JobFile& file, const ParentScope* parent) : file_(file), parent_(parent) {}

    OutputSpec read(const Field& f, const std::string& name) const {
        OutputSpec out;
        out.name = name;
        if (f.value.IsNull()) return out;  // `job_output_file:` alone: a folder under the run directory
        // A pipeline output read for a step keeps the step's name: ${{outputs.NAME}} uses it.
        if (f.value.IsScalar()) return OutputReader(file_, nullptr).read(parent_field(f, f.value.Scalar()), name);

        const Mapping m(file_, f);
        m.warn_unknown(kOutputKeys);
        if (const auto path = m.get("path")) {
            if (path->value.IsScalar() && is_binding(path->value.Scalar()))
                out = OutputReader(file_, nullptr).read(parent_field(*path, path->value.Scalar()), name);
            else
                out.path = file_.local_path(*path);
        }
        if (const auto type = m.get("type")) {
            const std::string t = file_.text(*type);
            if (t == "uri_folder" || t == "mltable")  // an mltable output is written as a folder
                out.type = OutputType::UriFolder;
            else if (t == "uri_file")
                out.type = OutputType::UriFile;
            else
                file_.fail_expected(*type, "uri_folder, uri_file or mltable",
                                    "write type: uri_folder (append_row writes parallel_run_step.txt in it) or "
                                    "uri_file (append_row writes that file)");
        }
        if (const auto mode = m.get("mode")) {
            const std::string mo = file_.text(*mode);
            if (std::find(kOutputModes.begin(), kOutputModes.end(), mo) == kOutputModes.end())
                file_.fail_expected(*mode, "rw_mount, upload or direct",
                                    "write mode: rw_mount (on-prem every mode writes in place)");
        }
        return out;
    }

private:
    Field parent_field(const Field& f, const std::string& text) const {
        const auto name = parent_output(text);
        if (!name || !parent_ || !parent_->outputs)
            file_.fail_expected(
                f, parent_ ? "${{parent.outputs.NAME}} or an output mapping" : "an output mapping",
                "write e.g.\n    outputs:\n      result:\n        type: uri_folder\n        path: ./out");
        if (auto bound = parent_->outputs->get(*name)) return *bound;
        file_.fail(f, fmt::format("{} names no output of the pipeline", text),
                   "declare it under the pipeline's top-level outputs:, or fix the name");
    }

    const JobFile& file_;
    const ParentScope* parent_;
};

}  // namespace

void read_outputs(const JobFile& file, const Field& outputs, const ParentScope* parent, JobSpec& spec) {
    const OutputReader reader(file, parent);
    const Mapping m(file, outputs);
    for (const Field& f : m.fields()) spec.outputs.push_back(reader.read(f, f.key.Scalar()));
}

}  // namespace prs::config::detail
