#pragma once
// The single append_row output file, written by rank 0 only. Each mini-batch's rows
// are appended as one block, so lines of two mini-batches never interleave.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "prs/util/unique_fd.hpp"

namespace prs::output {

class RowWriter {
public:
    // Creates the parent folders and truncates the file. With `header_first`, rows are
    // held back until a DataFrame header arrives (or close()) so the header is line 1.
    RowWriter(const std::filesystem::path& file, bool header_first);
    RowWriter(const RowWriter&) = delete;
    RowWriter& operator=(const RowWriter&) = delete;
    ~RowWriter();

    void offer_header(std::string_view header);
    void append(std::string_view rows);
    void flush();   // hands buffered rows to the kernel
    void close();   // flush + fsync
    std::uint64_t bytes_written() const { return bytes_; }
    const std::filesystem::path& path() const { return path_; }

private:
    void write_all(std::string_view bytes);
    std::filesystem::path path_;
    util::UniqueFd fd_;
    std::string buffer_;
    bool waiting_for_header_;
    std::uint64_t bytes_ = 0;
};

// `output_order: input`: releases mini-batches' rows in id order, whatever order
// they finish in.
class InputOrderSequencer {
public:
    explicit InputOrderSequencer(RowWriter& writer) : writer_(writer) {}
    void put(std::uint64_t id, std::string rows);

private:
    RowWriter& writer_;
    std::uint64_t next_ = 0;
    std::map<std::uint64_t, std::string> waiting_;
};

}  // namespace prs::output
