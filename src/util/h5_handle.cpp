#include "prs/util/h5_handle.hpp"

#include <string>

namespace prs::util::h5 {

namespace {

herr_t append_entry(unsigned, const H5E_error2_t* entry, void* data) {
    auto& text = *static_cast<std::string*>(data);
    if (!text.empty()) text += "; ";
    text += entry->func_name ? entry->func_name : "?";
    text += "(): ";
    text += entry->desc ? entry->desc : "";
    return 0;
}

// One line, from the API call down to the innermost cause ("file signature not found").
std::string error_stack() {
    std::string text;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, append_entry, &text);
    H5Eclear2(H5E_DEFAULT);
    return text.empty() ? "no detail from the HDF5 library" : text;
}

}  // namespace

void throw_error(std::string_view what) { throw Error(std::string(what) + ": " + error_stack()); }

void silence_error_printing() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

}  // namespace prs::util::h5
