#pragma once
// One input file opened for positioned reads. Rank 0 only opens regular files (it
// stat()s first and never waits on a FIFO); workers read whatever they are given.

#include <cstdint>
#include <string>

#include "prs/util/unique_fd.hpp"

namespace prs::partition {

class InputFile {
public:
    // Throws InputError naming the path and the system's reason.
    explicit InputFile(std::string path);

    // Regular files only: others (FIFOs, character devices) have no size and no offsets.
    bool regular() const { return regular_; }
    std::uint64_t size() const { return size_; }

    // Up to `n` bytes at `offset` into `buf`; fewer only at the end of the file.
    std::size_t read_at(std::uint64_t offset, char* buf, std::size_t n) const;
    // Asks the kernel to start reading [offset, offset + n) now, without waiting.
    void prefetch(std::uint64_t offset, std::size_t n) const;
    // Bytes [begin, end); end 0 = to the end. A non-regular file is read as a stream.
    std::string read_range(std::uint64_t begin, std::uint64_t end) const;

private:
    std::string path_;
    util::UniqueFd fd_;
    bool regular_ = false;
    std::uint64_t size_ = 0;
};

}  // namespace prs::partition
