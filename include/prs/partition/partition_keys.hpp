#pragma once
// partition_keys jobs: one mini-batch per distinct combination of the keys' values,
// holding every row (or file) that has it, in sorted order of the values (numbers by
// value). The values come from the path when every file lies under key=value folders
// (Hive's layout, e.g. .../Store=1001/Brand=tropicana/part.csv), which reads nothing;
// else from the key columns of delimited files, which rank 0 then reads once, whole:
// the one place where rank 0 reads data rows. Groups are held in memory: one entry per
// combination, with the files it occurs in.

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "prs/partition/partition.hpp"

namespace prs::partition {

// The values of `keys` from key=value folder names in `file`'s path (the innermost
// wins; %XX escapes decoded, as Hive writes them); nullopt unless every key is there.
std::optional<std::vector<std::string>> path_key_values(const std::string& file, const std::vector<std::string>& keys);

// Key values from a path by the input's partition_format, e.g. "{Store}/{Brand}/*.csv"
// relative to the input's folder: `{name}` matches one path segment (or part of one),
// `*` any text within a segment. Throws InputError when the format names a key twice
// or misses one of the partition keys.
class PathFormat {
public:
    PathFormat(const std::string& format, const std::string& root, const std::vector<std::string>& keys);
    // nullopt when `file` does not match the format.
    std::optional<std::vector<std::string>> values(const std::string& file) const;

private:
    std::string root_;
    std::regex pattern_;
    std::vector<std::size_t> group_of_key_;  // capture group (1-based) of each partition key
};

// Where each key is among a file's column names. Throws InputError naming the file and
// its columns when one is missing.
std::vector<std::size_t> key_columns(const std::vector<std::string>& names, const std::vector<std::string>& keys,
                                     const std::string& file);

// The key values of one row (line break trimmed), as UTF-8; nullopt when the row is too
// short to hold them. `fields` is scratch space.
std::optional<std::vector<std::string>> row_key_values(std::string_view row, const std::vector<std::size_t>& columns,
                                                       const protocol::InputFormat& format,
                                                       std::vector<std::string>& fields);

// Sort order of key values: numbers (by value) before other text (by bytes).
bool key_value_less(const std::string& a, const std::string& b);

// One mini-batch per distinct `values[i]` (the key values of `files[i]`, read from its
// path by the caller), holding its files.
std::unique_ptr<Partition> make_path_values_partition(PathList files, std::vector<std::vector<std::string>> values,
                                                      protocol::InputKind kind);

// `files` absolute and sorted. Throws InputError (a key column missing in a file, keys
// neither in the paths nor readable as columns).
std::unique_ptr<Partition> make_partition_keys_partition(const config::JobSpec& job,
                                                         const protocol::InputFormat& format, PathList files);

}  // namespace prs::partition
