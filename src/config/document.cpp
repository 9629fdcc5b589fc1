#include "document.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "prs/config/load_job.hpp"

namespace prs::config::detail {

namespace {

constexpr const char* kSetFix = "name a key path of the job file, e.g. jobs.STEP.resources.instance_count";

std::string at(const std::string& shown, const YAML::Node& n) {
    if (!n.IsDefined() || n.Mark().is_null()) return shown;
    return fmt::format("{}:{}:{}", shown, n.Mark().line + 1, n.Mark().column + 1);
}

std::vector<std::string> split_dots(const std::string& key) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const auto dot = key.find('.', start);
        parts.push_back(key.substr(start, dot - start));
        if (dot == std::string::npos) return parts;
        start = dot + 1;
    }
}

fs::path absolute_from_cwd(const fs::path& p) { return fs::absolute(p).lexically_normal(); }

}  // namespace

YAML::Node parse_yaml_file(const fs::path& file, const std::string& shown) {
    if (fs::is_directory(file))
        throw JobError(
            util::Problem{"", fmt::format("{} is a folder, not a job file", shown), "name the job's YAML file", {}});
    std::ifstream in(file);
    if (!in)
        throw JobError(util::Problem{
            "", fmt::format("cannot read job file '{}': {}", shown, std::strerror(errno)), "check the path", {}});
    std::stringstream text;
    text << in.rdbuf();
    try {
        return YAML::Load(text.str());
    } catch (const YAML::ParserException& e) {
        throw JobError(util::Problem{fmt::format("{}:{}:{}", shown, e.mark.line + 1, e.mark.column + 1),
                                     "invalid YAML: " + e.msg,
                                     "check indentation (spaces, not tabs) and quoting near this spot; quote values "
                                     "that contain ': ' or start with {, [, *, & or !",
                                     {}});
    }
}

void apply_sets(YAML::Node root, const CommandLine& cli, const std::string& shown) {
    for (const auto& [key, value] : cli.sets) {
        const auto parts = split_dots(key);
        YAML::Node cur;
        cur.reset(root);  // reset, not =: assigning a Node would overwrite what it refers to
        for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
            if (!cur.IsMap())
                throw JobError(util::Problem{"",
                                             fmt::format("--set {}={}: {} is not a mapping in {}", key, value,
                                                         parts[i > 0 ? i - 1 : 0], shown),
                                             kSetFix,
                                             {}});
            YAML::Node next = cur[parts[i]];
            if (!next.IsDefined()) {
                cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
                next.reset(cur[parts[i]]);
            }
            cur.reset(next);
        }
        if (!cur.IsMap())
            throw JobError(util::Problem{
                "", fmt::format("--set {}={}: cannot set a key inside a value in {}", key, value, shown), kSetFix, {}});
        YAML::Node parsed;
        try {
            parsed = YAML::Load(value);
        } catch (const YAML::Exception&) {
        }
        YAML::Node target = cur[parts.back()];
        if (parsed.IsSequence() || parsed.IsMap())
            cur[parts.back()] = parsed;
        else if (target.IsDefined() && target.IsScalar())
            target = value;  // in place: the key keeps its position for messages
        else
            cur[parts.back()] = value;
    }
}

Locations locations_of(const CommandLine& cli) {
    Locations where;
    for (const auto& [name, dir] : cli.datastores) where.datastores[name] = absolute_from_cwd(dir);
    if (cli.datastore_root)
        where.datastore_root = absolute_from_cwd(*cli.datastore_root);
    else if (const char* env = std::getenv("PRS_DATASTORE_ROOT"); env && *env)
        where.datastore_root = absolute_from_cwd(env);
    else
        where.datastore_root = absolute_from_cwd("prs_datastores");
    for (const auto& [asset, path] : cli.data) where.data[asset] = absolute_from_cwd(path);
    return where;
}

void edit_scalars(YAML::Node node, const ScalarEdit& edit, const std::string& key) {
    if (node.IsScalar()) {
        if (auto text = edit(key, node)) node = *text;
    } else if (node.IsMap()) {
        for (auto it = node.begin(); it != node.end(); ++it)
            edit_scalars(it->second, edit, it->first.IsScalar() ? it->first.Scalar() : "");
    } else if (node.IsSequence()) {
        for (auto it = node.begin(); it != node.end(); ++it) edit_scalars(*it, edit, "");
    }
}

void resolve_locations(YAML::Node node, const Locations& where, const std::string& name, const std::string& shown) {
    static const std::regex placeholder(R"(\$\{\{\s*(default_datastore|name)\s*\}\})");
    static const std::regex datastore(R"(^azureml://datastores/([^/]+)/paths/?(.*)$)");
    static const std::regex asset(R"(^azureml:([A-Za-z0-9_.-]+)(:[A-Za-z0-9_.-]+|@latest)$)");
    edit_scalars(node, [&](const std::string& key, const YAML::Node& scalar) -> std::optional<std::string> {
        std::string text = scalar.Scalar();
        bool changed = false;
        std::smatch m;
        std::string out;
        auto from = text.cbegin();
        while (std::regex_search(from, text.cend(), m, placeholder)) {
            out.append(from, m[0].first);
            out += m[1] == "name" ? name : where.default_datastore;
            from = m[0].second;
            changed = true;
        }
        if (changed) text = out + std::string(from, text.cend());
        if (std::regex_match(text, m, datastore)) {
            const std::string store = m[1];
            const auto known = where.datastores.find(store);
            const fs::path dir = known != where.datastores.end() ? known->second : where.datastore_root / store;
            text = (dir / m[2].str()).lexically_normal().string();
            changed = true;
        } else if (key == "path" && std::regex_match(text, m, asset)) {
            const std::string id = m[1].str() + (m[2].str() == "@latest" ? "@latest" : m[2].str());
            const auto found = where.data.find(id);
            if (found == where.data.end())
                throw JobError(util::Problem{
                    at(shown, scalar),
                    fmt::format("path: data asset {} lives in an Azure workspace, which prs_mpi cannot reach", text),
                    fmt::format("copy the data to a shared filesystem and pass --data {}=/path/to/it", id),
                    {}});
            text = found->second.string();
            changed = true;
        }
        return changed ? std::optional<std::string>(text) : std::nullopt;
    });
}

void record_set_origins(const CommandLine& cli, const std::string& prefix, JobSpec& spec) {
    for (const auto& [key, value] : cli.sets) {
        if (!key.starts_with(prefix)) continue;
        const std::string setting = key.substr(prefix.size());
        if (spec.origins.count(setting))
            spec.origins[setting] = Origin{Origin::Kind::CommandLine, fmt::format("--set {}={}", key, value)};
    }
}

}  // namespace prs::config::detail
