// A pipeline's `type: command` step: its command with ${{inputs.X}} and ${{outputs.Y}}
// replaced, its code folder, environment variables and Python environment.

#include <fmt/format.h>

#include <regex>

#include "forms.hpp"
#include "prs/config/load_job.hpp"
#include "prs/config/program_arguments.hpp"
#include "prs/util/text.hpp"

namespace prs::config::detail {

namespace {

// Azure's command job keys and the pipeline node's (BaseNode schema).
const std::vector<std::string> kCommandKeys = {"$schema",
                                               "type",
                                               "name",
                                               "version",
                                               "display_name",
                                               "description",
                                               "tags",
                                               "properties",
                                               "component",
                                               "compute",
                                               "experiment_name",
                                               "is_deterministic",
                                               "code",
                                               "command",
                                               "environment",
                                               "inputs",
                                               "environment_variables",
                                               "outputs",
                                               "resources",
                                               "distribution",
                                               "limits",
                                               "identity",
                                               "services",
                                               "queue_settings",
                                               "comment"};

bool is_value_type(const std::string& t) { return t == "string" || t == "integer" || t == "number" || t == "boolean"; }

// $[[ ... ]] parts of a command are dropped when they name an optional input that has no
// value, as Azure does.
std::string drop_unbound_optionals(const std::string& command, const Bindings& b) {
    static const std::regex optional(R"(\$\[\[(.*?)\]\])");
    static const std::regex input(R"(\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\})");
    std::string out;
    auto from = command.cbegin();
    std::smatch m;
    while (std::regex_search(from, command.cend(), m, optional)) {
        out.append(from, m[0].first);
        const std::string part = m[1];
        bool bound = true;
        for (std::sregex_iterator it(part.begin(), part.end(), input), end; it != end; ++it)
            if (!b.inputs.count((*it)[1])) bound = false;
        if (bound) out += part;
        from = m[0].second;
    }
    return out + std::string(from, command.cend());
}

}  // namespace

void read_command_step(const JobFile& file, const Mapping& m, PipelineStep& step) {
    m.warn_unknown(kCommandKeys);
    std::vector<std::string> unused;
    for (const char* key : {"resources", "distribution", "limits", "services", "identity", "queue_settings"})
        if (m.get(key)) unused.push_back(key);
    if (!unused.empty())
        file.info(m.get(unused.front())->key,
                  fmt::format("jobs.{}: {} not used: a command step runs once, on rank 0 of this allocation", step.name,
                              util::join(unused, ", ")));
    if (const auto f = m.get("compute"); f && f->value.IsScalar())
        file.info(f->key, fmt::format("jobs.{}.compute accepted: the step runs on this allocation", step.name));
    CommandStep& c = step.command;
    c.code_dir = file.dir();
    if (const auto code = m.get("code")) c.code_dir = detail::read_code_dir(file, *code);
    if (!c.code_dir.has_filename()) c.code_dir = c.code_dir.parent_path();  // `code: ./`
    const auto command = m.get("command");
    if (!command)
        file.fail(m.node(), "jobs." + step.name + ".command", "a command step needs a command",
                  "add e.g. command: python prep.py --out ${{outputs.data}}");

    Bindings bindings;
    if (const auto inputs = m.get("inputs"); inputs && inputs->value.IsMap()) {
        const Mapping declared(file, *inputs);
        for (const Field& f : declared.fields()) {
            const std::string& name = f.key.Scalar();
            if (f.value.IsScalar()) {
                bindings.inputs[name] = f.value.Scalar();
            } else if (f.value.IsMap()) {
                const Mapping in(file, f);
                const std::string type = in.get("type") ? file.text(*in.get("type")) : "uri_folder";
                if (const auto path = in.get("path"); path && !is_value_type(type))
                    bindings.inputs[name] = file.local_path(*path).string();
                else if (const auto def = in.get("default"))
                    bindings.inputs[name] = file.text(*def);
                else if (!(in.get("optional") && file.boolean(*in.get("optional"))))
                    file.fail(f, "the input has no value", fmt::format("add path: or default: under {}", f.path));
            }
        }
    }
    for (const auto& out : step.outputs) bindings.outputs[out.name] = out.path.string();
    try {
        c.command = substitute_bindings(drop_unbound_optionals(file.text(*command), bindings), bindings);
    } catch (const JobError& e) {
        file.fail(*command, e.what(), "declare the input or output under inputs:/outputs:, or fix the name");
    }
    JobSpec scratch;
    if (const auto vars = m.get("environment_variables")) detail::read_environment_variables(file, *vars, scratch);
    if (const auto env = m.get("environment")) {
        detail::read_environment(file, *env, scratch);
        if (env->value.IsMap())
            if (const auto venv = Mapping(file, *env).get("venv")) c.venv = file.local_path(*venv);
    }
    c.environment_variables = scratch.environment_variables;
    c.python_path = scratch.python_path;
}

}  // namespace prs::config::detail
