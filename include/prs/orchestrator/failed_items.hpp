#pragma once
// <run_dir>/failed_items/: the items of the mini-batches that failed for good, handed back
// so that they can be looked at or run again (`input_data` of type mltable pointing at the
// folder, or mltable.load()). The MLTable names exactly the failed items: file paths for a
// file list (and for partitions keyed by paths: their whole files); for tabular inputs the
// failed rows themselves, copied with their header into rows.csv (rows.jsonl for JSON
// lines), for partitions keyed by columns the failed groups' rows. HDF5 has no MLTable
// form: the failed rows are copied into rows-NNNNN.h5 (same datasets) and the folder is a
// `type: hdf5` input (input.yml). failed_items.jsonl has one line per failed mini-batch:
// its items, attempts, last status, error and the log files to read.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "prs/protocol/messages.hpp"

namespace prs::orchestrator {

struct FailedMiniBatch {
    protocol::MiniBatchDescriptor descriptor;  // of the last attempt
    protocol::AttemptResult last;              // its outcome (rows until the run's end writes them)
    // --isolate_failed_items found the failing items: these pieces, listed instead of the whole.
    std::vector<FailedMiniBatch> pieces;
};

// A tabular mini-batch's rows: where they are in their file, 1-based data row numbers.
struct RowSpan {
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
    std::uint64_t first_row = 0;
    std::uint64_t last_row = 0;  // first_row - 1 when the range holds no row
};

// One failed_items.jsonl line (with its '\n'). `rows`: the span of a Delimited/JsonLines
// mini-batch, ignored for other kinds.
std::string failed_items_line(const FailedMiniBatch& f, const protocol::InputFormat& input, const RowSpan& rows);

// The MLTable of the failed items; empty when the input's kind has no MLTable form (HDF5:
// see write_failed_items_folder). `rows_file`: the copied rows' file name.
std::string failed_items_mltable(const std::vector<FailedMiniBatch>& failed, const protocol::InputFormat& input,
                                 const std::string& rows_file);

// Writes `dir` anew for `failed` (in id order), or removes it when there are none: the
// folder always describes the last run. Reads the failed rows of tabular and HDF5 inputs.
void write_failed_items_folder(const std::filesystem::path& dir, const std::vector<FailedMiniBatch>& failed,
                               const protocol::InputFormat& input);

}  // namespace prs::orchestrator
