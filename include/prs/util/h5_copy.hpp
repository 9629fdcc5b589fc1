#pragma once
// Copying row ranges of HDF5 datasets into a new file: failed_items/ hands back the failed
// rows of an HDF5 input as a file a job reads like the original (same dataset names,
// types and trailing axes; the rows of the ranges one after another on the first axis).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace prs::util::h5 {

// Writes `target` (replacing it) with each of `datasets` of `source` holding the rows
// [begin, end) of `ranges`, in order. Throws Error when a file or dataset cannot be read
// or written.
void copy_rows(const std::string& source, const std::vector<std::string>& datasets,
               const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges, const std::string& target);

}  // namespace prs::util::h5
