#pragma once
// Edits of a parsed job document before its readers see it: --set overrides, the
// ${{name}} / ${{default_datastore}} placeholders and azureml:// URIs mapped to local
// folders. Edits change scalars in place, so yaml-cpp keeps their file positions.
// Internal to config.

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "prs/config/command_line.hpp"
#include "prs/config/job_spec.hpp"

namespace prs::config::detail {

// Parses a YAML file; JobError (file:line:col) on bad YAML or an unreadable file.
YAML::Node parse_yaml_file(const fs::path& file, const std::string& shown);

// Applies `cli.sets` (--set a.b.c=value) to `root`, creating mappings as needed. A value
// written as a YAML list or mapping ([a, b], {k: v}) is set as one.
void apply_sets(YAML::Node root, const CommandLine& cli, const std::string& shown);

// Where azureml:// URIs and ${{...}} placeholders lead on this machine.
struct Locations {
    std::map<std::string, fs::path> datastores;  // --datastore NAME=DIR, absolute
    fs::path datastore_root;                     // absolute
    std::map<std::string, fs::path> data;        // --data NAME:VERSION=PATH, absolute
    std::string default_datastore = "workspaceblobstore";
};
Locations locations_of(const CommandLine& cli);

// In every scalar under `node`: ${{default_datastore}} and ${{name}} (= `name`) replaced,
// azureml://datastores/<ds>/paths/<p> turned into <the datastore's folder>/<p>, and a
// `path: azureml:<asset>:<version>` (or @latest) into its --data folder. Throws JobError
// (naming file:line, `shown`) for an asset without --data.
void resolve_locations(YAML::Node node, const Locations& where, const std::string& name, const std::string& shown);

// Calls `edit` on every scalar under `node` (mapping values and list items) with the key
// it sits under ("" in lists); a returned string replaces the scalar's text in place.
using ScalarEdit = std::function<std::optional<std::string>(const std::string& key, const YAML::Node& scalar)>;
void edit_scalars(YAML::Node node, const ScalarEdit& edit, const std::string& key = "");

// The settings --set changed in a document, as their JobSpec origin names: with `prefix`
// "jobs.train." a --set jobs.train.resources.instance_count=3 yields resources.instance_count.
void record_set_origins(const CommandLine& cli, const std::string& prefix, JobSpec& spec);

}  // namespace prs::config::detail
