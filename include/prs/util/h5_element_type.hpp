#pragma once
// Which HDF5 element types become which numpy dtypes. Kept free of Python so that rank 0
// can reject an unreadable dataset before the job starts, and the worker reads with the
// very same mapping.

#include <string>

#include "prs/util/h5_handle.hpp"

namespace prs::util::h5 {

// How a dataset's elements land in a numpy array: numpy's dtype string and an HDF5 memory
// type with the same bytes, into which H5Dread converts the file's type (byte order,
// string padding).
struct ElementType {
    std::string numpy_dtype;  // "<i4", "<u8", "<f2", "?", "S16"
    Datatype memory_type;
};

// Integers of 1, 2, 4, 8 bytes, IEEE floats of 2, 4, 8 bytes, h5py's booleans (an enum
// FALSE=0, TRUE=1 over one byte) and fixed-length strings (numpy 'S': bytes, null-padded).
// Anything else throws Error naming the type.
ElementType element_type(hid_t file_type);

}  // namespace prs::util::h5
