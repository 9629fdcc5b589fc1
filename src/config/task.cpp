// The parts of `task:` (v2) that v1 writes at the top level: code folder, entry script,
// environment variables, environment; and partition_keys.

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "forms.hpp"

namespace prs::config::detail {

namespace {

// Keys of an Azure environment that only matter for building images and conda envs.
const std::vector<std::string> kImageKeys = {"name", "version", "image",   "conda_file",      "description",
                                             "tags", "build",   "os_type", "inference_config"};

fs::path existing_folder(const JobFile& file, const Field& f) {
    const fs::path dir = file.local_path(f);
    if (!fs::is_directory(dir))
        file.fail(f, fmt::format("expected an existing folder, but {} is not one", dir.string()),
                  fmt::format("create it or correct the path (relative paths start at {})", file.dir().string()));
    return dir;
}

// DIR/lib/python3*/site-packages of a virtual environment.
std::vector<fs::path> venv_site_packages(const fs::path& venv) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(venv / "lib", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("python3") && fs::is_directory(entry.path() / "site-packages"))
            found.push_back(entry.path() / "site-packages");
    }
    std::sort(found.begin(), found.end());
    return found;
}

}  // namespace

fs::path read_code_dir(const JobFile& file, const Field& code) { return existing_folder(file, code); }

fs::path read_entry_script(const JobFile& file, const Field& entry, const fs::path& code_dir, bool inside_code) {
    const std::string written = file.text(entry);
    const fs::path script = (code_dir / written).lexically_normal();
    const std::string rel = script.lexically_relative(code_dir).string();
    if (inside_code && (rel.empty() || rel.starts_with("..")))
        file.fail(entry,
                  fmt::format("the entry script must be inside the code folder {}, but {} is not", code_dir.string(),
                              script.string()),
                  "move the script into the code folder, or point task.code at its folder");
    if (!fs::is_regular_file(script))
        file.fail(entry, fmt::format("expected the entry script file {}, but it does not exist", script.string()),
                  fmt::format("entry_script is relative to the code folder {}: correct the name or the code folder",
                              code_dir.string()));
    return script;
}

void read_environment_variables(const JobFile& file, const Field& variables, JobSpec& spec) {
    const Mapping m(file, variables);
    // Where each variable set so far is: a search of them for each key was quadratic.
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < spec.environment_variables.size(); ++i)
        index.emplace(spec.environment_variables[i].first, i);
    for (const Field& f : m.fields()) {
        const std::string& name = f.key.Scalar();
        if (name.empty() || name.find('=') != std::string::npos)
            file.fail(f.key, f.path, "expected an environment variable name", "use a name without '='");
        const std::string value = f.value.IsNull() ? std::string{} : file.text(f);
        if (const auto [it, added] = index.try_emplace(name, spec.environment_variables.size()); !added)
            spec.environment_variables[it->second].second = value;
        else
            spec.environment_variables.emplace_back(name, value);
    }
    spec.origins["task.environment_variables"] = file.origin(variables);
}

void read_environment(const JobFile& file, const Field& environment, JobSpec& spec) {
    if (environment.value.IsScalar()) {
        file.info(environment.value,
                  fmt::format("{} '{}' is not used: workers run this cluster's Python. Add packages with "
                              "environment.python_path or environment.venv",
                              environment.path, environment.value.Scalar()));
        return;
    }
    const Mapping m(file, environment);
    std::vector<std::string> known = kImageKeys;
    known.insert(known.end(), {"python_path", "venv"});
    m.warn_unknown(known);

    std::vector<std::string> ignored;
    for (const Field& f : m.fields())
        if (std::find(kImageKeys.begin(), kImageKeys.end(), f.key.Scalar()) != kImageKeys.end())
            ignored.push_back(f.key.Scalar());
    if (!ignored.empty()) {
        std::string list;
        for (const auto& key : ignored) list += (list.empty() ? "" : ", ") + key;
        file.info(environment.key, fmt::format("{} ({}) is not used: no images or conda on-prem, workers run this "
                                               "cluster's Python. Add packages with environment.python_path or "
                                               "environment.venv",
                                               environment.path, list));
    }

    if (const auto paths = m.get("python_path")) {
        if (!paths->value.IsSequence())
            file.fail_expected(*paths, "a list of folders", "write e.g. python_path: [./lib, /shared/site-packages]");
        std::size_t index = 0;
        for (const auto& item : paths->value)
            spec.python_path.push_back(
                existing_folder(file, Field{fmt::format("{}[{}]", paths->path, index++), paths->key, item}));
    }
    if (const auto venv = m.get("venv")) {
        const fs::path dir = existing_folder(file, *venv);
        const auto site = venv_site_packages(dir);
        if (site.empty())
            file.fail(*venv, fmt::format("{} has no lib/python3*/site-packages", dir.string()),
                      "point venv at a folder made by `python3 -m venv DIR`");
        spec.python_path.insert(spec.python_path.end(), site.begin(), site.end());
    }
    spec.origins["task.environment"] = file.origin(environment);
}

std::vector<std::string> read_partition_keys(const JobFile& file, const Field& keys) {
    std::vector<std::string> out;
    if (keys.value.IsScalar()) {
        // v1 PipelineParameters carry the list as a JSON string: '["store", "brand"]'.
        YAML::Node parsed;
        try {
            parsed = YAML::Load(keys.value.Scalar());
        } catch (const YAML::Exception&) {
        }
        if (!parsed.IsSequence())
            file.fail_expected(keys, "a list of column or path keys", "write e.g. partition_keys: [store, brand]");
        for (const auto& item : parsed) out.push_back(item.Scalar());
    } else {
        out = file.strings(keys);
    }
    if (out.empty() || std::any_of(out.begin(), out.end(), [](const std::string& k) { return k.empty(); }))
        file.fail_expected(keys, "a non-empty list of non-empty keys", "write e.g. partition_keys: [store, brand]");
    return out;
}

}  // namespace prs::config::detail
