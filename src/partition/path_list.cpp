#include "prs/partition/path_list.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace prs::partition {

PathList::PathList(std::string prefix) : prefix_(std::move(prefix)) {}

void PathList::add(std::string_view path) {
    if (!path.starts_with(prefix_) || path.find('\0') != std::string_view::npos)
        throw std::invalid_argument("PathList: '" + std::string(path) + "' is not under '" + prefix_ + "'");
    starts_.push_back(rests_.size());
    rests_.append(path.substr(prefix_.size()));
    rests_.push_back('\0');
}

void PathList::sort() {
    // The prefix is shared, so the rests decide; strcmp orders bytes as unsigned, like
    // std::string's compare. Only the offsets move: no path is copied.
    const char* base = rests_.data();
    std::sort(starts_.begin(), starts_.end(),
              [base](std::uint64_t a, std::uint64_t b) { return std::strcmp(base + a, base + b) < 0; });
}

std::string PathList::operator[](std::size_t i) const {
    std::string path;
    assign_to(path, i);
    return path;
}

void PathList::assign_to(std::string& out, std::size_t i) const {
    const std::string_view r = rest(i);
    out.reserve(prefix_.size() + r.size());
    out.assign(prefix_).append(r);
}

}  // namespace prs::partition
