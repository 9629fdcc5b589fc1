#pragma once
// MLTable inputs (type: mltable): the folder's `MLTable` file says which files hold the
// data (`paths:` of file / folder / pattern, relative to the folder) and how to read
// them (`transformations:`: read_delimited or read_json_lines first, then column and row
// steps). Without a read transformation the MLTable is a list of files. Rank 0 checks the
// steps (names, settings, columns against the first file's header, partition formats
// against every path); the workers apply them to each mini-batch's DataFrame with the
// mltable module's code (python/mltable), so run() gets what mltable.load() gives.
// skip and take (before any filter) are a window of the table's rows that rank 0 finds
// by counting rows from the start (row_window.hpp). take_random_sample keeps a row when a
// hash of (seed, its file relative to the MLTable, its byte offset there) falls below the
// probability: a row's fate does not depend on the mini-batch it is in. random_split and
// Parquet/Delta readers are refused with the reason.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "prs/partition/partition.hpp"
#include "prs/partition/row_window.hpp"

namespace prs::partition {

struct MLTable {
    std::filesystem::path file;         // <folder>/MLTable
    std::vector<std::string> files;     // absolute, sorted, each once
    protocol::InputFormat format;       // first_file set for read_delimited; no partition_keys
    std::vector<std::string> warnings;  // "<folder>/MLTable:4:7: warning: ..."
    // extract_columns_from_partition_format's format; every file matches it.
    std::optional<std::string> partition_format;
    // skip / take: the rows of the table run() sees; rank 0 cuts only those.
    RowWindow window;
};

// Reads <folder>/MLTable and lists the files it names. Throws InputError naming the
// MLTable file, line and column, the key, and a fix.
MLTable read_mltable(const std::filesystem::path& folder);

// The job's major input's MLTable as workers read it. Lists the files too, since
// from_first_file needs the first one (every rank calls this).
protocol::InputFormat mltable_input_format(const config::JobSpec& job);

// Rank 0: a file list, byte ranges of about mini_batch_size bytes (default 1 MiB; a
// plain number is bytes here), or one mini-batch per partition key value. Prints the
// MLTable's warnings to stderr.
std::unique_ptr<Partition> make_mltable_partition(const config::JobSpec& job, const protocol::InputFormat& format);

}  // namespace prs::partition
