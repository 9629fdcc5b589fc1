#pragma once
// MLTable's extract_columns_from_partition_format: a format such as
// "{Store}/{Brand}/{file_name}.{extension}" or "{Dept}/{Day:yyyy/MM/dd}/data.csv" matched
// against the tail of each file's path, as Azure's mltable matches it: `{name}` is a
// string column (one path segment or part of one), `{name:yyyy/MM/dd/HH/mm/ss}` a
// datetime column. Rank 0 checks every file against it and takes partition keys from
// it; the workers' Python (python/mltable/_transform.py) builds the same columns.

#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace prs::partition {

class PartitionFormat {
public:
    // Throws InputError (without a location) for a format with no {column} or one named twice.
    explicit PartitionFormat(const std::string& text);
    const std::vector<std::string>& columns() const { return columns_; }
    // The columns' values as text (a datetime as it stands in the path); nullopt when
    // the path's tail does not match.
    std::optional<std::vector<std::string>> values(const std::string& path) const;

private:
    std::vector<std::string> columns_;
    std::regex pattern_;
};

}  // namespace prs::partition
