#pragma once
// HDF5 inputs (type: hdf5): row ranges of the first axis of the listed datasets.

#include <memory>

#include "prs/partition/partition.hpp"

namespace prs::partition {

// `listing`: list_files() of the input's path; in a folder only .h5 and .hdf5 files count.
std::unique_ptr<Partition> make_hdf5_partition(const config::JobSpec& job, const protocol::InputFormat& format,
                                               const PathList& listing);

}  // namespace prs::partition
