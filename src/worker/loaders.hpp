#pragma once
// Turns a mini-batch descriptor into run()'s argument, reading the data in this worker
// (never through rank 0): a list of paths, a pandas DataFrame, or numpy arrays.

#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "prs/protocol/messages.hpp"

namespace prs::worker {

struct [[gnu::visibility("hidden")]] LoadedMiniBatch {
    pybind11::object value;   // run()'s mini_batch
    std::uint32_t items = 0;  // its item count (files, rows)
};

// Bad input data: what() names the file and the row or byte offset, and what is wrong.
// The attempt fails with LOAD_FAILED; the job goes on (docs/design.md §6).
class LoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

LoadedMiniBatch load_mini_batch(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& format);

// Per input kind (load_*.cpp).
LoadedMiniBatch load_file_list(const protocol::MiniBatchDescriptor& d);
LoadedMiniBatch load_tabular(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& format);
LoadedMiniBatch load_hdf5(const protocol::MiniBatchDescriptor& d, const protocol::InputFormat& format);

// Paths are bytes on Linux: decode them as Python decodes file names, so undecodable
// names survive the round trip to open().
pybind11::object fs_str(const std::string& s);
pybind11::list fs_list(const std::vector<std::string>& items);

}  // namespace prs::worker
