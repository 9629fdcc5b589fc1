#pragma once
// Thin RAII over the HDF5 C API: every hid_t is owned by a Handle whose destructor closes
// it with its kind's H5*close, and failures become h5::Error carrying HDF5's error stack.

#include <hdf5.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace prs::util::h5 {

// An HDF5 call failed, or the data is not what we can read. what() is the context,
// then HDF5's error stack from the API call down to where the problem was found.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws Error("<what>: <HDF5 error stack>") and clears the stack.
[[noreturn]] void throw_error(std::string_view what);

// HDF5 reports failure as a negative hid_t, herr_t, htri_t or ssize_t.
template <class T>
T check(T result, std::string_view what) {
    if (result < 0) throw_error(what);
    return result;
}

// HDF5 prints every error stack to stderr by default; ours go into exceptions instead.
// Idempotent; open_file() calls it.
void silence_error_printing();

template <herr_t (*Close)(hid_t)>
class Handle {
public:
    Handle() = default;
    // Takes ownership of `id`; throws Error("<what>: ...") when the call that made it failed.
    Handle(hid_t id, std::string_view what) : id_(check(id, what)) {}
    Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
    Handle& operator=(Handle&& o) noexcept {
        if (this != &o) {
            reset();
            id_ = std::exchange(o.id_, H5I_INVALID_HID);
        }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { reset(); }

    hid_t get() const { return id_; }

private:
    void reset() {
        // A failed close only leaks the id; there is no one to tell from a destructor.
        if (id_ >= 0) Close(id_);
        id_ = H5I_INVALID_HID;
    }
    hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Object = Handle<H5Oclose>;
using Dataset = Handle<H5Dclose>;
using Dataspace = Handle<H5Sclose>;
using Datatype = Handle<H5Tclose>;
using PropertyList = Handle<H5Pclose>;

}  // namespace prs::util::h5
