#pragma once
// Reading the job file's YAML with positions, so that every error and warning names
// file:line:column (1-based), the dotted key, what was expected and what was found.

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "prs/config/job_spec.hpp"
#include "settings.hpp"

namespace prs::config::detail {

// One `key: value` of a mapping. `path` is the dotted key from the document root
// ("retry_settings.timeout", "jobs.score.task.code"), as messages show it.
struct Field {
    std::string path;
    YAML::Node key;
    YAML::Node value;
};

class JobFile {
public:
    // `shown_name` is the job file as the user typed it; relative paths resolve against `dir`.
    JobFile(std::string shown_name, fs::path dir, std::vector<std::string>& warnings);

    const std::string& name() const { return name_; }
    const fs::path& dir() const { return dir_; }
    std::string where(const YAML::Node& at) const;  // "job.yml:12:3"
    std::string where(const Field& f) const;        // the value's position, or the key's when it has none
    Origin origin(const Field& f) const;

    [[noreturn]] void fail(const Field& f, std::string_view problem, std::string_view fix) const;
    [[noreturn]] void fail(const YAML::Node& at, std::string_view key, std::string_view problem,
                           std::string_view fix) const;
    // "expected <what>, got <what the field holds>".
    [[noreturn]] void fail_expected(const Field& f, std::string_view what, std::string_view fix) const;
    void warn(const YAML::Node& at, std::string_view message) const;
    void info(const YAML::Node& at, std::string_view message) const;

    std::string text(const Field& f) const;                  // any scalar, as written
    std::vector<std::string> strings(const Field& f) const;  // a list of scalars
    bool boolean(const Field& f) const;
    long long integer(const Field& f, const IntRange& range, std::string_view example) const;
    // Validates and sets a settings.hpp setting from the field, recording the field's position.
    void apply(JobSpec& spec, const Field& f, std::string_view setting) const;
    // A local or shared-filesystem path, resolved against the job file's folder. Refuses
    // azureml:, https:, wasbs:, abfss:, ... URIs: there is no workspace to fetch them from.
    fs::path local_path(const Field& f) const;

private:
    [[noreturn]] void throw_error(const std::string& where, std::string_view key, std::string_view problem,
                                  std::string_view fix) const;

    std::string name_;
    fs::path dir_;
    std::vector<std::string>* warnings_;
};

// A YAML mapping read in file order, looked up by key.
class Mapping {
public:
    // Fails unless `value` is a mapping with distinct keys.
    Mapping(const JobFile& file, const Field& field);
    // The document root.
    Mapping(const JobFile& file, const YAML::Node& root);

    const std::vector<Field>& fields() const { return fields_; }
    const YAML::Node& node() const { return node_; }
    std::optional<Field> get(std::string_view key) const;
    std::string child_path(std::string_view key) const;

    // Warns about each key not in `known`, suggesting the closest known key, or the hint
    // for keys that belong elsewhere (`timeout` -> `retry_settings.timeout`).
    void warn_unknown(const std::vector<std::string>& known,
                      const std::map<std::string, std::string, std::less<>>& hints = {}) const;

private:
    void read(const JobFile& file);

    const JobFile* file_;
    YAML::Node node_;
    std::string path_;
    std::vector<Field> fields_;
    std::unordered_map<std::string, std::size_t> index_;  // key -> its field in fields_
};

// Whether the scalar is written as a ${{...}} binding.
bool is_binding(std::string_view text);

}  // namespace prs::config::detail
