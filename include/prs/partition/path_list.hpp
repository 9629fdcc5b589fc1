#pragma once
// Paths under one folder in one arena of bytes. Rank 0 holds every input file's path for
// the whole job; as std::strings that cost ~100 bytes a path (32 for the string, a heap
// block for its text), here it is the path's length after the shared prefix plus 9 bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace prs::partition {

class PathList {
public:
    // Every path added must start with `prefix` (the listed folder; empty for any path).
    explicit PathList(std::string prefix = {});

    void add(std::string_view path);
    // Sorts by the whole path's bytes, as std::sort of the strings would.
    void sort();

    std::size_t size() const { return starts_.size(); }
    bool empty() const { return starts_.empty(); }
    std::string operator[](std::size_t i) const;
    // The same path into `out`, reusing its buffer (loops over every path).
    void assign_to(std::string& out, std::size_t i) const;

private:
    std::string_view rest(std::size_t i) const { return rests_.data() + starts_[i]; }

    std::string prefix_;
    std::string rests_;                  // what follows the prefix, each ended by a NUL (paths hold none)
    std::vector<std::uint64_t> starts_;  // where each path's rest begins, in list order
};

}  // namespace prs::partition
