#pragma once
// HDF5 inputs (type: hdf5): row ranges of the first axis of the listed datasets.

#include <memory>

#include "prs/partition/partition.hpp"

namespace prs::partition {

std::unique_ptr<Partition> make_hdf5_partition(const config::JobSpec& job, const protocol::InputFormat& format);

}  // namespace prs::partition
