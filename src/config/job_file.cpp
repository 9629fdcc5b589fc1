#include "job_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "prs/config/closest_key.hpp"
#include "prs/config/load_job.hpp"

namespace prs::config::detail {

namespace {

bool has_mark(const YAML::Node& n) { return n.IsDefined() && !n.Mark().is_null(); }

std::string found(const YAML::Node& value) {
    if (!value.IsDefined() || value.IsNull()) return "nothing";
    if (value.IsSequence()) return "a list";
    if (value.IsMap()) return "a mapping";
    std::string s = value.Scalar();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return "'" + s + "'";
}

// "azureml:iris:1", "https://...", "wasbs://..." name data this machine cannot read directly.
std::optional<std::string> remote_scheme(std::string_view path) {
    const std::size_t colon = path.find(':');
    if (colon == std::string_view::npos || colon < 2) return std::nullopt;  // "C:" is a drive, not a scheme
    const std::string_view scheme = path.substr(0, colon);
    const bool scheme_like = std::isalpha(static_cast<unsigned char>(scheme.front())) &&
                             std::all_of(scheme.begin(), scheme.end(), [](char c) {
                                 return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '.' || c == '-';
                             });
    if (!scheme_like || scheme == "file") return std::nullopt;
    if (scheme == "azureml" || path.substr(colon).starts_with("://")) return std::string(scheme);
    return std::nullopt;
}

}  // namespace

JobFile::JobFile(std::string shown_name, fs::path dir, std::vector<std::string>& warnings)
    : name_(std::move(shown_name)), dir_(std::move(dir)), warnings_(&warnings) {}

std::string JobFile::where(const YAML::Node& at) const {
    if (!has_mark(at)) return name_;
    return fmt::format("{}:{}:{}", name_, at.Mark().line + 1, at.Mark().column + 1);
}

std::string JobFile::where(const Field& f) const {
    // yaml-cpp places an empty value at the start of the next line: the key is the better spot.
    const bool value_placed = has_mark(f.value) && !f.value.IsNull();
    return where(value_placed ? f.value : f.key);
}

Origin JobFile::origin(const Field& f) const { return Origin{Origin::Kind::Yaml, where(f)}; }

void JobFile::fail(const Field& f, std::string_view problem, std::string_view fix) const {
    throw_error(where(f), f.path, problem, fix);
}

void JobFile::fail(const YAML::Node& at, std::string_view key, std::string_view problem, std::string_view fix) const {
    throw_error(where(at), key, problem, fix);
}

void JobFile::throw_error(const std::string& where, std::string_view key, std::string_view problem,
                          std::string_view fix) const {
    util::Problem p{where, fmt::format("{}: {}", key, problem), std::string(fix), {}};
    // A misspelt key often causes the error ("entry_scrpt" -> entry_script is missing): show
    // the warnings so far with it, since the program stops here.
    for (const auto& w : *warnings_)
        if (w.find(": warning: ") != std::string::npos) p.notes.push_back(w);
    throw JobError(std::move(p));
}

void JobFile::fail_expected(const Field& f, std::string_view what, std::string_view fix) const {
    fail(f, fmt::format("expected {}, got {}", what, found(f.value)), fix);
}

void JobFile::warn(const YAML::Node& at, std::string_view message) const {
    warnings_->push_back(fmt::format("{}: warning: {}", where(at), message));
}

void JobFile::info(const YAML::Node& at, std::string_view message) const {
    warnings_->push_back(fmt::format("{}: info: {}", where(at), message));
}

std::string JobFile::text(const Field& f) const {
    if (!f.value.IsScalar()) fail_expected(f, "a value", fmt::format("write a value after `{}:`", f.key.Scalar()));
    return f.value.Scalar();
}

std::vector<std::string> JobFile::strings(const Field& f) const {
    if (!f.value.IsSequence())
        fail_expected(f, "a list of strings", fmt::format("write e.g. {}: [a, b]", f.key.Scalar()));
    std::vector<std::string> out;
    for (const auto& item : f.value) {
        if (!item.IsScalar())
            fail(item, f.path, fmt::format("expected a string in the list, got {}", found(item)),
                 fmt::format("write e.g. {}: [a, b]", f.key.Scalar()));
        out.push_back(item.Scalar());
    }
    return out;
}

bool JobFile::boolean(const Field& f) const {
    const std::string t = text(f);
    if (t == "true" || t == "True" || t == "TRUE") return true;
    if (t == "false" || t == "False" || t == "FALSE") return false;
    fail_expected(f, "true or false", fmt::format("write {}: true or {}: false", f.key.Scalar(), f.key.Scalar()));
}

long long JobFile::integer(const Field& f, const IntRange& range, std::string_view example) const {
    const std::string t = text(f);
    try {
        return parse_in_range(t, range, example);
    } catch (const ValueError& e) {
        fail_expected(f, e.expected, e.fix);
    }
}

void JobFile::apply(JobSpec& spec, const Field& f, std::string_view setting) const {
    const std::string t = text(f);
    try {
        apply_setting(spec, setting, t, origin(f));
    } catch (const ValueError& e) {
        fail_expected(f, e.expected, e.fix);
    }
}

fs::path JobFile::local_path(const Field& f) const {
    std::string p = text(f);
    if (p.empty()) fail_expected(f, "a path", "write the folder or file, relative to the job file or absolute");
    if (const auto scheme = remote_scheme(p))
        fail_expected(f, "a local or shared-filesystem path",
                      fmt::format("on-prem jobs take local or shared-filesystem paths, not {}: URIs. Copy the data "
                                  "to a filesystem the cluster mounts and write its path, e.g. path: ./data",
                                  *scheme));
    if (p.starts_with("file://"))
        p.erase(0, 7);
    else if (p.starts_with("file:"))
        p.erase(0, 5);
    const fs::path path(p);
    return (path.is_absolute() ? path : dir_ / path).lexically_normal();
}

Mapping::Mapping(const JobFile& file, const Field& field) : file_(&file), node_(field.value), path_(field.path) {
    if (!node_.IsMap())
        file.fail_expected(field, "a mapping (indented `key: value` lines)",
                           fmt::format("indent the settings of `{}` under it, e.g.\n    {}:\n      key: value",
                                       field.key.Scalar(), field.key.Scalar()));
    read(file);
}

Mapping::Mapping(const JobFile& file, const YAML::Node& root) : file_(&file), node_(root) {
    if (!node_.IsMap())
        file.fail(root, "(top level)", "expected a mapping of job settings (`key: value` lines), got " + found(root),
                  "start from an example job file, e.g. `type: parallel` with inputs:, input_data:, task:");
    read(file);
}

void Mapping::read(const JobFile& file) {
    for (auto it = node_.begin(); it != node_.end(); ++it) {
        Field f{child_path(it->first.IsScalar() ? it->first.Scalar() : "?"), it->first, it->second};
        if (!it->first.IsScalar())
            file.fail(it->first, path_.empty() ? "(top level)" : path_, "expected a plain key, got " + found(it->first),
                      "write `name: value`");
        // A hash index, not a search of the keys so far: a generated job file with 100,000
        // keys was quadratic (minutes) before it was an error or a warning.
        const auto [earlier, added] = index_.try_emplace(it->first.Scalar(), fields_.size());
        if (!added)
            file.fail(f.key, f.path,
                      fmt::format("key given twice (first at {})", file.where(fields_[earlier->second].key)),
                      "keep one of them");
        fields_.push_back(std::move(f));
    }
}

std::optional<Field> Mapping::get(std::string_view key) const {
    const auto it = index_.find(std::string(key));
    if (it == index_.end()) return std::nullopt;
    return fields_[it->second];
}

std::string Mapping::child_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void Mapping::warn_unknown(const std::vector<std::string>& known,
                           const std::map<std::string, std::string, std::less<>>& hints) const {
    // Each warning is a line on stderr and a closest-key search: a generated file with
    // 100,000 stray keys gets the first few and a count, not 100,000 lines.
    constexpr std::size_t kShown = 20;
    const std::string under = path_.empty() ? "" : fmt::format(" under '{}'", path_);
    std::size_t unknown = 0;
    const Field* first_unshown = nullptr;
    for (const Field& f : fields_) {
        const std::string& key = f.key.Scalar();
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        if (++unknown > kShown) {
            if (!first_unshown) first_unshown = &f;
            continue;
        }
        std::optional<std::string> suggestion;
        if (const auto hint = hints.find(key); hint != hints.end())
            suggestion = hint->second;
        else
            suggestion = closest_key(key, known);
        if (suggestion)
            file_->warn(f.key, fmt::format("unknown key '{}'{}; did you mean '{}'?", key, under, *suggestion));
        else
            file_->warn(f.key, fmt::format("unknown key '{}'{} is ignored", key, under));
    }
    if (first_unshown)
        file_->warn(first_unshown->key, fmt::format("{} more unknown keys{} are ignored, from '{}' on",
                                                    unknown - kShown, under, first_unshown->key.Scalar()));
}

bool is_binding(std::string_view text) { return text.find("${{") != std::string_view::npos; }

}  // namespace prs::config::detail
