#pragma once
// Opening HDF5 files and finding datasets in them, read-only; see h5_handle.hpp for the
// ownership and error rules.

#include <optional>
#include <string>
#include <vector>

#include "prs/util/h5_handle.hpp"

namespace prs::util::h5 {

// Opens `path` read-only. Throws Error (missing, unreadable, not an HDF5 file).
File open_file(const std::string& path);

// The dataset `name` ("/x", "/group/x"; a relative name starts at the root group), or
// nullopt when the file has no object of that name. Throws Error when the name is a group
// or another object that is not a dataset, or the dataset cannot be opened.
std::optional<Dataset> find_dataset(hid_t file, const std::string& name);

// The root group's members as "/name", in name order: what a "no such dataset" error offers.
std::vector<std::string> top_level_names(hid_t file);

// The dataset's extent, one entry per axis; empty for a scalar (or null) dataspace.
std::vector<hsize_t> shape(hid_t dataset);

}  // namespace prs::util::h5
