// A `type: pipeline` run whole: its steps (inline or `component: ./file.yml`), the order
// their ${{parent.jobs.S.outputs.O}} bindings imply, and every binding resolved to a
// local path or value. Each step is read from its own fresh parse of the files, so that
// binding edits (made in place, keeping yaml-cpp's positions) never leak between steps.

#include <stdlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include "document.hpp"
#include "forms.hpp"
#include "prs/config/load_job.hpp"
#include "prs/config/pipeline_spec.hpp"
#include "prs/config/program_arguments.hpp"
#include "prs/util/text.hpp"

namespace prs::config {

namespace detail {

// A parallel step's merged document, read into a JobSpec when the step runs.
struct StepSource {
    std::string shown;  // the file named in messages: the component file, else the pipeline file
    fs::path dir;       // relative paths of the document resolve here
    YAML::Node doc;
    // Settings the pipeline node sets over its component's, with their place in the pipeline
    // file (the merged document would name the component file).
    std::vector<std::pair<std::string, Origin>> node_origins;
};

}  // namespace detail

namespace {

using detail::Field;
using detail::JobFile;
using detail::kPipelineKeys;
using detail::Mapping;

const std::vector<std::string> kSettingsKeys = {"default_datastore", "default_compute",     "continue_on_step_failure",
                                                "force_rerun",       "default_environment", "on_init",
                                                "on_finalize"};

const std::regex kStepOutputRef(R"(\$\{\{\s*parent\.jobs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\}\})");
const std::regex kParentInputRef(R"(\$\{\{\s*parent\.inputs\.([A-Za-z0-9_-]+)\s*\}\})");
const std::regex kParentOutputRef(R"(\$\{\{\s*parent\.outputs\.([A-Za-z0-9_-]+)\s*\}\})");

bool is_value_type(const std::string& t) { return t == "string" || t == "integer" || t == "number" || t == "boolean"; }

std::string scalar_or(const YAML::Node& n, const char* key, std::string fallback) {
    const YAML::Node v = n.IsMap() ? n[key] : YAML::Node();
    return v.IsDefined() && v.IsScalar() ? v.Scalar() : fallback;
}

// A pipeline-level input: a value (string, number, boolean) or data with a local path.
struct ParentInput {
    bool data = false;
    std::string value;  // values only
    std::string type;   // data only
    fs::path path;      // data only, absolute
    std::string mode;
};

// An output of the pipeline, or of an earlier step, as the steps that bind it see it.
struct KnownOutput {
    std::string type;
    fs::path path;
};

class PipelineReader {
public:
    PipelineReader(const CommandLine& cli, PipelineSpec& spec)
        : cli_(cli),
          spec_(spec),
          shown_(cli.job_file.string()),
          where_(detail::locations_of(cli)),
          file_(shown_, fs::absolute(cli.job_file).parent_path().lexically_normal(), spec.warnings) {}

    void read(YAML::Node root) {
        const Mapping top(file_, root);
        top.warn_unknown(kPipelineKeys);
        spec_.job_file = fs::absolute(cli_.job_file).lexically_normal();
        spec_.name = cli_.job_file.stem().string();
        if (const auto f = top.get("name")) spec_.name = file_.text(*f);
        spec_.run_dir = default_run_dir(cli_, spec_.name);
        read_settings(top);
        std::vector<std::string> cloud;
        for (const char* key : {"compute", "experiment_name"})
            if (top.get(key)) cloud.push_back(key);
        if (!cloud.empty())
            file_.info(top.get(cloud.front())->key,
                       fmt::format("{} accepted: the steps run on this allocation", util::join(cloud, ", ")));
        const auto jobs = top.get("jobs");
        if (!jobs)
            file_.fail(top.node(), "jobs", "a pipeline without jobs:",
                       "add its steps under jobs:, e.g.\n    jobs:\n      score:\n        type: parallel");
        read_parent_inputs(fresh());
        read_parent_outputs(fresh());
        const Mapping steps(file_, *jobs);
        if (steps.fields().empty())
            file_.fail(*jobs, "the pipeline has no steps", "add a command or parallel step under jobs:");
        for (const Field& s : steps.fields()) names_.push_back(s.key.Scalar());
        const auto order = run_order(steps);
        for (const std::string& name : order) {
            spec_.steps.push_back(read_step(name));
            if (cli_.until && *cli_.until == name) break;
        }
        if (cli_.until && std::find(names_.begin(), names_.end(), *cli_.until) == names_.end())
            throw JobError(fmt::format("prs_mpi: --until {}: the pipeline has no step of that name; its steps: {}",
                                       *cli_.until, util::join(names_, ", ")));
    }

private:
    // The pipeline file parsed anew, --set applied: a private tree to edit.
    YAML::Node fresh() const {
        YAML::Node root = detail::parse_yaml_file(cli_.job_file, shown_);
        detail::apply_sets(root, cli_, shown_);
        return root;
    }

    void read_settings(const Mapping& top) {
        const auto settings = top.get("settings");
        if (!settings || settings->value.IsNull()) return;
        const Mapping m(file_, *settings);
        m.warn_unknown(kSettingsKeys);
        if (const auto f = m.get("default_datastore")) where_.default_datastore = file_.text(*f);
        if (const auto f = m.get("continue_on_step_failure")) spec_.continue_on_step_failure = file_.boolean(*f);
        if (const auto f = m.get("force_rerun")) spec_.force_rerun = file_.boolean(*f);
        if (const auto f = m.get("default_compute"))
            file_.info(f->key, "settings.default_compute accepted: the steps run on this allocation");
        for (const char* key : {"on_init", "on_finalize", "default_environment"})
            if (const auto f = m.get(key))
                file_.warn(f->key, fmt::format("settings.{} is not supported: ignored", key));
    }

    void read_parent_inputs(YAML::Node root) {
        detail::resolve_locations(root["inputs"], where_, spec_.name, shown_);
        const Mapping top(file_, root);
        const auto inputs = top.get("inputs");
        if (!inputs || inputs->value.IsNull()) return;
        const Mapping declared(file_, *inputs);
        for (const Field& f : declared.fields()) {
            ParentInput in;
            if (f.value.IsScalar()) {
                in.value = f.value.Scalar();
            } else if (f.value.IsMap()) {
                const Mapping m(file_, f);
                const std::string type = m.get("type") ? file_.text(*m.get("type")) : "uri_folder";
                if (is_value_type(type)) {
                    const auto v = m.get("default") ? m.get("default") : m.get("value");
                    if (!v)
                        file_.fail(f, "a value input needs a value",
                                   fmt::format("add `default: ...` under {}", f.path));
                    in.value = file_.text(*v);
                } else {
                    const auto path = m.get("path");
                    if (!path)
                        file_.fail(f, "the input has no path", fmt::format("add `path: ./data` under {}", f.path));
                    in.data = true;
                    in.type = type;
                    in.path = file_.local_path(*path);
                    if (const auto mode = m.get("mode")) in.mode = file_.text(*mode);
                }
            } else {
                file_.fail_expected(f, "a value or a mapping with type and path",
                                    "write e.g. n: 3 or data: {type: "
                                    "uri_folder, path: ./data}");
            }
            inputs_[f.key.Scalar()] = in;
        }
    }

    void read_parent_outputs(YAML::Node root) {
        detail::resolve_locations(root["outputs"], where_, spec_.name, shown_);
        const Mapping top(file_, root);
        const auto outputs = top.get("outputs");
        if (!outputs || outputs->value.IsNull()) return;
        const Mapping declared(file_, *outputs);
        for (const Field& f : declared.fields()) {
            KnownOutput out{"uri_folder", spec_.run_dir / "outputs" / f.key.Scalar()};
            if (f.value.IsMap()) {
                const Mapping m(file_, f);
                if (const auto t = m.get("type")) out.type = file_.text(*t);
                if (const auto p = m.get("path")) out.path = file_.local_path(*p);
            }
            outputs_[f.key.Scalar()] = out;
        }
    }

    // ---- order

    static std::string names_of(const std::map<std::string, ParentInput>& m) {
        std::vector<std::string> names;
        for (const auto& [k, v] : m) names.push_back(k);
        return names.empty() ? "none" : util::join(names, ", ");
    }

    // Steps ordered so that every step runs after the steps whose outputs it reads; among
    // steps that could run, file order. Independent steps run one after another.
    std::vector<std::string> run_order(const Mapping& steps) {
        std::map<std::string, std::set<std::string>> needs;
        std::map<std::string, YAML::Node> first_ref;  // for cycle messages
        for (const Field& s : steps.fields()) {
            auto& deps = needs[s.key.Scalar()];
            const auto scan = [&](const std::string&, const YAML::Node& scalar) -> std::optional<std::string> {
                const std::string& text = scalar.Scalar();
                for (std::sregex_iterator it(text.begin(), text.end(), kStepOutputRef), end; it != end; ++it) {
                    const std::string other = (*it)[1];
                    if (std::find(names_.begin(), names_.end(), other) == names_.end())
                        file_.fail(scalar, "jobs." + s.key.Scalar(),
                                   fmt::format("{} names no step of this pipeline (its steps: {})", it->str(),
                                               util::join(names_, ", ")),
                                   "write ${{parent.jobs.STEP.outputs.NAME}} with one of those steps");
                    if (other == s.key.Scalar())
                        file_.fail(scalar, "jobs." + s.key.Scalar(),
                                   fmt::format("the step reads its own output ({})", it->str()),
                                   "bind the input to an earlier step's output or to data on disk");
                    deps.insert(other);
                    if (!first_ref.count(s.key.Scalar())) first_ref[s.key.Scalar()] = scalar;
                }
                return std::nullopt;
            };
            detail::edit_scalars(s.value, scan);
        }
        std::vector<std::string> order;
        std::set<std::string> placed;
        while (order.size() < names_.size()) {
            bool progressed = false;
            for (const auto& name : names_) {
                if (placed.count(name)) continue;
                const auto& deps = needs[name];
                if (std::all_of(deps.begin(), deps.end(), [&](const std::string& d) { return placed.count(d) > 0; })) {
                    order.push_back(name);
                    placed.insert(name);
                    progressed = true;
                    break;
                }
            }
            if (!progressed) {
                std::vector<std::string> cycle;
                for (const auto& name : names_)
                    if (!placed.count(name)) cycle.push_back(name);
                const std::string& first = cycle.front();
                file_.fail(first_ref[first], "jobs." + first,
                           fmt::format("steps {} read each other's outputs: a cycle, so none of them can run first",
                                       util::join(cycle, ", ")),
                           "bind one of them to data on disk or to a step outside the cycle");
            }
        }
        for (const auto& name : order) {
            std::vector<std::string> up;
            for (const auto& d : order)
                if (needs[name].count(d)) up.push_back(d);
            upstream_[name] = up;
        }
        return order;
    }

    // ---- one step

    PipelineStep read_step(const std::string& name) {
        YAML::Node root = fresh();
        YAML::Node node = root["jobs"][name];
        const Field step_field{"jobs." + name, YAML::Node(), node};
        if (!node.IsMap())
            file_.fail_expected(step_field, "a step: a mapping with type and its settings",
                                fmt::format("write e.g.\n    {}:\n      type: command\n      command: echo hi", name));
        PipelineStep step;
        step.name = name;
        step.where = file_.where(node);
        step.upstream = upstream_[name];
        detail::resolve_locations(node, where_, name, shown_);
        absolutize_io_paths(node, file_.dir());
        bind_parent_references(node, name);

        std::string shown = shown_;
        fs::path dir = file_.dir();
        std::vector<std::pair<std::string, Origin>> node_origins;
        YAML::Node doc;
        doc.reset(node);
        std::string type = scalar_or(node, "type", "");
        if (const YAML::Node component = node["component"]; component.IsDefined()) {
            const Field cf{"jobs." + name + ".component", YAML::Node(), component};
            const std::string ref = file_.text(cf);
            if (ref.starts_with("azureml:") || ref.find("://") != std::string::npos)
                file_.fail(cf,
                           fmt::format("{} is a component registered in an Azure workspace or registry, which "
                                       "prs_mpi cannot fetch",
                                       ref),
                           "check the component's YAML out next to the pipeline and write component: ./path/to/it.yml");
            const fs::path path = (file_.dir() / ref).lexically_normal();
            shown = (cli_.job_file.parent_path() / ref).lexically_normal().string();
            dir = path.parent_path();
            if (!fs::is_regular_file(path))
                file_.fail(cf, fmt::format("expected the component file {}, but it does not exist", path.string()),
                           "correct the path (relative to the pipeline file's folder)");
            YAML::Node comp = detail::parse_yaml_file(path, shown);
            if (!comp.IsMap())
                throw JobError(util::Problem{shown,
                                             "expected a component (a mapping with type:), got something else",
                                             "start from a commandComponent or parallelComponent YAML",
                                             {}});
            detail::resolve_locations(comp, where_, name, shown);
            const std::string comp_type = scalar_or(comp, "type", "command");
            if (!type.empty() && type != comp_type)
                file_.fail(Field{"jobs." + name + ".type", YAML::Node(), node["type"]},
                           fmt::format("the step says type: {}, its component {} says type: {}", type, ref, comp_type),
                           "make them agree, or drop the step's type:");
            type = comp_type;
            comp_dir_ = dir;
            if (type == "parallel") node_origins = check_node_settings(step_field);
            merge_component(comp, node, name, shown);
            doc.reset(comp);
        }
        if (type.empty()) type = "command";  // Azure's default step type
        const JobFile file(shown, dir, spec_.warnings);
        assign_output_paths(doc, name, file);
        for (const auto& [out, known] : outputs_of_[name])
            step.outputs.push_back(StepOutput{out, known.type, known.path});
        step.input_paths = input_paths(doc, file);
        if (const YAML::Node det = doc["is_deterministic"]; det.IsDefined())
            step.is_deterministic = file.boolean(Field{"is_deterministic", YAML::Node(), det});

        if (type == "command") {
            step.kind = PipelineStep::Kind::Command;
            detail::read_command_step(file, Mapping(file, doc), step);
        } else if (type == "parallel") {
            step.kind = PipelineStep::Kind::Parallel;
            // The environment's venv/conda keys live under task: for a parallel step.
            step.source = std::make_shared<detail::StepSource>(detail::StepSource{shown, dir, doc, node_origins});
            // Checked now, before any step runs; inputs an earlier step writes stand in as
            // empty placeholders of their type. Its warnings are shown when the step runs.
            check_parallel(*step.source, name, step.upstream);
        } else {
            file_.fail(Field{"jobs." + name + ".type", YAML::Node(), node["type"]},
                       fmt::format("prs_mpi runs command and parallel steps, not type: {}", type),
                       "run this step with its own tool, or rewrite it as a command step");
        }
        return step;
    }

    // Reads the parallel step once with every input that an earlier step writes pointing at
    // an empty stand-in of its type (restored afterwards), so that its own mistakes are
    // reported before the pipeline starts.
    void check_parallel(const detail::StepSource& source, const std::string& name,
                        const std::vector<std::string>& upstream) const {
        std::map<std::string, std::string> written;  // path -> type, of the upstream outputs
        for (const auto& up : upstream)
            for (const auto& [out, known] : outputs_of_.at(up)) written[known.path.string()] = known.type;
        std::vector<std::pair<YAML::Node, std::string>> replaced;
        std::optional<fs::path> stand_ins;
        const auto restore = [&] {
            for (auto& [node, text] : replaced) node = text;
            if (stand_ins) {
                std::error_code ec;
                fs::remove_all(*stand_ins, ec);
            }
        };
        YAML::Node inputs = source.doc["inputs"];
        if (!written.empty() && inputs.IsDefined() && inputs.IsMap()) {
            for (auto it = inputs.begin(); it != inputs.end(); ++it) {
                if (!it->second.IsMap()) continue;
                YAML::Node path = it->second["path"];
                if (!path.IsDefined() || !path.IsScalar() || !written.count(path.Scalar())) continue;
                if (!stand_ins) {
                    std::string pattern = (fs::temp_directory_path() / "prs_mpi_check_XXXXXX").string();
                    if (!::mkdtemp(pattern.data())) return;  // cannot check early: checked when it runs
                    stand_ins = pattern;
                    fs::create_directories(*stand_ins / "folder");
                    std::ofstream(*stand_ins / "folder" / "MLTable") << "paths:\n  - folder: .\n";
                    std::ofstream(*stand_ins / "file") << "";
                }
                const std::string type = scalar_or(it->second, "type", written[path.Scalar()]);
                replaced.emplace_back(path, path.Scalar());
                path = (*stand_ins / (type == "uri_file" ? "file" : "folder")).string();
            }
        }
        try {
            JobSpec check;
            read_parallel(source, name, check);
        } catch (...) {
            restore();
            throw;
        }
        restore();
    }

    // The settings a node sets over its parallel component, checked here so that a bad value
    // is reported at its place in the pipeline file.
    std::vector<std::pair<std::string, Origin>> check_node_settings(const Field& step_field) const {
        std::vector<std::pair<std::string, Origin>> origins;
        JobSpec scratch;
        const Mapping node(file_, step_field);
        for (const char* key : {"mini_batch_size", "max_concurrency_per_instance", "mini_batch_error_threshold",
                                "logging_level", "is_deterministic", "error_threshold", "output_order"})
            if (const auto f = node.get(key)) {
                file_.apply(scratch, *f, key);
                origins.emplace_back(key, file_.origin(*f));
            }
        const std::pair<const char*, std::vector<const char*>> groups[] = {
            {"resources", {"instance_count"}}, {"retry_settings", {"max_retries", "timeout"}}};
        for (const auto& [group, keys] : groups) {
            const auto g = node.get(group);
            if (!g || !g->value.IsMap()) continue;
            const Mapping m(file_, *g);
            for (const char* key : keys)
                if (const auto f = m.get(key)) {
                    const std::string setting = fmt::format("{}.{}", group, key);
                    file_.apply(scratch, *f, setting);
                    origins.emplace_back(setting, file_.origin(*f));
                }
        }
        return origins;
    }

    // Node-level input/output paths are relative to the pipeline file even when the step's
    // component lives elsewhere.
    void absolutize_io_paths(YAML::Node node, const fs::path& base) const {
        for (const char* section : {"inputs", "outputs"}) {
            YAML::Node m = node[section];
            if (!m.IsDefined() || !m.IsMap()) continue;
            for (auto it = m.begin(); it != m.end(); ++it) {
                if (!it->second.IsMap()) continue;
                YAML::Node path = it->second["path"];
                if (!path.IsDefined() || !path.IsScalar()) continue;
                const std::string text = path.Scalar();
                if (text.empty() || detail::is_binding(text) || text.find(':') != std::string::npos) continue;
                if (fs::path(text).is_relative()) path = (base / text).lexically_normal().string();
            }
        }
    }

    KnownOutput step_output(const YAML::Node& at, const std::string& step, const std::string& s,
                            const std::string& o) const {
        const auto st = outputs_of_.find(s);
        const auto found = st->second.find(o);
        if (found == st->second.end()) {
            std::vector<std::string> names;
            for (const auto& [k, v] : st->second) names.push_back(k);
            file_.fail(at, "jobs." + step,
                       fmt::format("${{{{parent.jobs.{}.outputs.{}}}}}: step {} has no output {} (its outputs: {})", s,
                                   o, s, o, names.empty() ? "none" : util::join(names, ", ")),
                       fmt::format("declare {} under jobs.{}.outputs (or its component's outputs:), or use one of "
                                   "those",
                                   o, s));
        }
        return found->second;
    }

    const ParentInput& parent_input(const YAML::Node& at, const std::string& step, const std::string& name) const {
        const auto it = inputs_.find(name);
        if (it == inputs_.end())
            file_.fail(at, "jobs." + step,
                       fmt::format("${{{{parent.inputs.{}}}}} names no input of the pipeline (its inputs: {})", name,
                                   names_of(inputs_)),
                       "declare it under the pipeline's top-level inputs:, or fix the name");
        return it->second;
    }

    const KnownOutput& parent_output(const YAML::Node& at, const std::string& step, const std::string& name) const {
        const auto it = outputs_.find(name);
        if (it == outputs_.end())
            file_.fail(at, "jobs." + step,
                       fmt::format("${{{{parent.outputs.{}}}}} names no output of the pipeline", name),
                       "declare it under the pipeline's top-level outputs:, or fix the name");
        return it->second;
    }

    static YAML::Node data_mapping(const std::string& type, const fs::path& path, const std::string& mode = "") {
        YAML::Node m(YAML::NodeType::Map);
        m["type"] = type;
        m["path"] = path.string();
        if (!mode.empty()) m["mode"] = mode;
        return m;
    }

    // ${{parent.inputs.X}}, ${{parent.outputs.Y}} and ${{parent.jobs.S.outputs.O}}: a
    // whole input or output becomes a data mapping, anything else is replaced as text.
    void bind_parent_references(YAML::Node node, const std::string& step) {
        std::smatch m;
        for (const char* section : {"inputs", "outputs"}) {
            YAML::Node io = node[section];
            if (!io.IsDefined() || !io.IsMap()) continue;
            for (auto it = io.begin(); it != io.end(); ++it) {
                YAML::Node value = it->second;
                YAML::Node path = value.IsMap() ? value["path"] : value;
                if (!path.IsDefined() || !path.IsScalar()) continue;
                const std::string text = path.Scalar();
                std::optional<KnownOutput> bound;
                std::string mode;
                if (std::regex_match(text, m, kStepOutputRef)) {
                    bound = step_output(path, step, m[1], m[2]);
                } else if (std::regex_match(text, m, kParentOutputRef)) {
                    bound = parent_output(path, step, m[1]);
                } else if (std::regex_match(text, m, kParentInputRef)) {
                    const auto& in = parent_input(path, step, m[1]);
                    if (!in.data) {
                        if (value.IsMap())
                            value["default"] = in.value;
                        else
                            path = in.value;
                        if (value.IsMap()) value.remove("path");
                        continue;
                    }
                    bound = KnownOutput{in.type, in.path};
                    mode = in.mode;
                }
                if (!bound) continue;
                if (value.IsMap()) {
                    path = bound->path.string();
                    if (!value["type"].IsDefined()) value["type"] = bound->type;
                } else {
                    it->second = data_mapping(bound->type, bound->path, mode);
                }
            }
        }
        detail::edit_scalars(node, [&](const std::string&, const YAML::Node& scalar) -> std::optional<std::string> {
            const std::string text = scalar.Scalar();
            if (!detail::is_binding(text)) return std::nullopt;
            std::string out;
            auto from = text.cbegin();
            std::smatch r;
            static const std::regex any(
                R"(\$\{\{\s*parent\.(inputs|outputs|jobs)\.([A-Za-z0-9_-]+)(?:\.outputs\.([A-Za-z0-9_-]+))?\s*\}\})");
            bool changed = false;
            while (std::regex_search(from, text.cend(), r, any)) {
                out.append(from, r[0].first);
                const std::string kind = r[1];
                if (kind == "inputs") {
                    const auto& in = parent_input(scalar, step, r[2]);
                    out += in.data ? in.path.string() : in.value;
                } else if (kind == "outputs") {
                    out += parent_output(scalar, step, r[2]).path.string();
                } else {
                    out += step_output(scalar, step, r[2], r[3]).path.string();
                }
                from = r[0].second;
                changed = true;
            }
            if (!changed) return std::nullopt;
            return out + std::string(from, text.cend());
        });
    }

    // The node's inputs bind the component's declared inputs; its other keys override the
    // component's (mappings such as resources and retry_settings key by key).
    void merge_component(YAML::Node comp, const YAML::Node& node, const std::string& step, const std::string& shown) {
        const std::string where_step = "jobs." + step;
        YAML::Node declared = comp["inputs"];
        YAML::Node given = node["inputs"];
        YAML::Node inputs(YAML::NodeType::Map);
        std::vector<std::string> declared_names;
        if (declared.IsDefined() && declared.IsMap()) {
            for (auto it = declared.begin(); it != declared.end(); ++it) {
                const std::string key = it->first.Scalar();
                declared_names.push_back(key);
                const YAML::Node decl = it->second;
                const std::string type = scalar_or(decl, "type", decl.IsScalar() ? "string" : "uri_folder");
                const YAML::Node value = given.IsMap() ? given[key] : YAML::Node();
                if (value.IsDefined() && !value.IsNull()) {
                    inputs[key] = value;
                    if (value.IsMap() && !value["type"].IsDefined()) inputs[key]["type"] = type;
                } else if (decl.IsScalar()) {
                    inputs[key] = decl;
                } else if (decl.IsMap() && decl["default"].IsDefined()) {
                    if (is_value_type(type))
                        inputs[key] = decl["default"];
                    else
                        inputs[key] = data_mapping(type, (comp_dir_ / decl["default"].Scalar()).lexically_normal());
                } else if (decl.IsMap() && decl["path"].IsDefined()) {
                    inputs[key] = decl;
                } else if (!(decl.IsMap() && scalar_or(decl, "optional", "false") == "true")) {
                    file_.fail(node, where_step + ".inputs." + key,
                               fmt::format("the component {} declares input {} without a default, and the step gives "
                                           "it no value",
                                           shown, key),
                               fmt::format("bind it under {}.inputs:, e.g.\n    {}: ./data", where_step, key));
                }
            }
        }
        if (given.IsDefined() && given.IsMap())
            for (auto it = given.begin(); it != given.end(); ++it)
                if (std::find(declared_names.begin(), declared_names.end(), it->first.Scalar()) == declared_names.end())
                    file_.fail(it->first, where_step + ".inputs." + it->first.Scalar(),
                               fmt::format("the component {} has no input {} (its inputs: {})", shown,
                                           it->first.Scalar(),
                                           declared_names.empty() ? "none" : util::join(declared_names, ", ")),
                               "declare it in the component, or drop it here");
        comp["inputs"] = inputs;

        YAML::Node comp_outputs = comp["outputs"];
        YAML::Node given_outputs = node["outputs"];
        YAML::Node outputs(YAML::NodeType::Map);
        std::vector<std::string> output_names;
        if (comp_outputs.IsDefined() && comp_outputs.IsMap())
            for (auto it = comp_outputs.begin(); it != comp_outputs.end(); ++it) {
                const std::string key = it->first.Scalar();
                output_names.push_back(key);
                YAML::Node merged(YAML::NodeType::Map);
                if (it->second.IsMap())
                    for (auto kv = it->second.begin(); kv != it->second.end(); ++kv)
                        merged[kv->first.Scalar()] = kv->second;
                const YAML::Node over = given_outputs.IsMap() ? given_outputs[key] : YAML::Node();
                if (over.IsDefined() && over.IsMap())
                    for (auto kv = over.begin(); kv != over.end(); ++kv) merged[kv->first.Scalar()] = kv->second;
                outputs[key] = merged;
            }
        if (given_outputs.IsDefined() && given_outputs.IsMap())
            for (auto it = given_outputs.begin(); it != given_outputs.end(); ++it)
                if (std::find(output_names.begin(), output_names.end(), it->first.Scalar()) == output_names.end())
                    file_.fail(it->first, where_step + ".outputs." + it->first.Scalar(),
                               fmt::format("the component {} has no output {} (its outputs: {})", shown,
                                           it->first.Scalar(),
                                           output_names.empty() ? "none" : util::join(output_names, ", ")),
                               "declare it in the component, or drop it here");
        comp["outputs"] = outputs;

        for (auto it = node.begin(); it != node.end(); ++it) {
            const std::string key = it->first.Scalar();
            if (key == "component" || key == "inputs" || key == "outputs" || key == "type") continue;
            YAML::Node target = comp[key];
            if (target.IsDefined() && target.IsMap() && it->second.IsMap() && key != "task") {
                for (auto kv = it->second.begin(); kv != it->second.end(); ++kv)
                    target[kv->first.Scalar()] = kv->second;
            } else {
                comp[key] = it->second;
            }
        }
    }

    // Outputs without a path get <run_dir>/<step>/outputs/<name>; later steps see them.
    void assign_output_paths(YAML::Node doc, const std::string& step, const JobFile& file) {
        auto& known = outputs_of_[step];
        YAML::Node outputs = doc["outputs"];
        if (!outputs.IsDefined() || !outputs.IsMap()) return;
        for (auto it = outputs.begin(); it != outputs.end(); ++it) {
            const std::string name = it->first.Scalar();
            if (!it->second.IsMap()) {
                if (!it->second.IsNull())
                    file.fail(Field{"outputs." + name, it->first, it->second}, "expected an output mapping",
                              "write e.g.\n    outputs:\n      result:\n        type: uri_folder");
                it->second = YAML::Node(YAML::NodeType::Map);
            }
            YAML::Node out = it->second;
            const std::string type = scalar_or(out, "type", "uri_folder");
            fs::path path;
            if (out["path"].IsDefined()) {
                path = file.local_path(Field{"outputs." + name + ".path", YAML::Node(), out["path"]});
            } else {
                path = spec_.run_dir / step / "outputs" / name;
                out["path"] = path.string();
            }
            known[name] = KnownOutput{type, path};
        }
    }

    std::vector<fs::path> input_paths(const YAML::Node& doc, const JobFile& file) const {
        std::vector<fs::path> out;
        const YAML::Node inputs = doc["inputs"];
        if (!inputs.IsDefined() || !inputs.IsMap()) return out;
        for (auto it = inputs.begin(); it != inputs.end(); ++it)
            if (it->second.IsMap() && it->second["path"].IsDefined() && it->second["path"].IsScalar() &&
                !is_value_type(scalar_or(it->second, "type", "uri_folder")))
                out.push_back(file.local_path(Field{"path", YAML::Node(), it->second["path"]}));
        return out;
    }

public:
    static void read_parallel(const detail::StepSource& source, const std::string& name, JobSpec& spec) {
        detail::record_defaults(spec);
        spec.form = JobForm::Pipeline;
        spec.job_name = name;
        const JobFile file(source.shown, source.dir, spec.warnings);
        detail::read_parallel_job(file, Mapping(file, source.doc), nullptr, spec);
    }

private:
    const CommandLine& cli_;
    PipelineSpec& spec_;
    std::string shown_;
    detail::Locations where_;
    JobFile file_;
    fs::path comp_dir_;
    std::vector<std::string> names_;
    std::map<std::string, std::vector<std::string>> upstream_;
    std::map<std::string, ParentInput> inputs_;
    std::map<std::string, KnownOutput> outputs_;
    std::map<std::string, std::map<std::string, KnownOutput>> outputs_of_;
};

}  // namespace

fs::path default_run_dir(const CommandLine& cli, const std::string& name) {
    return fs::absolute(cli.run_dir ? *cli.run_dir : fs::path("prs_runs") / name).lexically_normal();
}

std::optional<PipelineSpec> load_pipeline(const CommandLine& cli) {
    if (cli.job) return std::nullopt;
    YAML::Node root = detail::parse_yaml_file(cli.job_file, cli.job_file.string());
    if (!root.IsMap()) return std::nullopt;
    detail::apply_sets(root, cli, cli.job_file.string());
    const YAML::Node type = root["type"];
    if (!type.IsDefined() || !type.IsScalar() || type.Scalar() != "pipeline") return std::nullopt;
    PipelineSpec spec;
    PipelineReader reader(cli, spec);
    reader.read(root);
    return spec;
}

JobSpec load_pipeline_step(const PipelineSpec& pipeline, const PipelineStep& step, const CommandLine& cli) {
    JobSpec spec;
    spec.job_file = pipeline.job_file;
    PipelineReader::read_parallel(*step.source, step.name, spec);
    for (const auto& [key, origin] : step.source->node_origins)
        if (spec.origins[key].kind == Origin::Kind::Yaml) spec.origins[key] = origin;
    detail::apply_overrides(cli, spec);
    detail::record_set_origins(cli, "jobs." + step.name + ".", spec);
    detail::settle(spec);
    bind_run_dir(spec, pipeline.run_dir / step.name);
    return spec;
}

}  // namespace prs::config
