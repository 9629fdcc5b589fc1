#pragma once
// The single append_row output file, written by rank 0 only. Each mini-batch's rows
// are appended as one block, so lines of two mini-batches never interleave.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "prs/util/unique_fd.hpp"

namespace prs::output {

class RowWriter {
public:
    // Creates the parent folders and cuts the file to `keep_bytes` (0: a fresh file; more:
    // resuming after the rows a journal committed). With `header_first` and an empty
    // file, the header of the first result with rows becomes line 1.
    RowWriter(const std::filesystem::path& file, bool header_first, std::uint64_t keep_bytes = 0);
    RowWriter(const RowWriter&) = delete;
    RowWriter& operator=(const RowWriter&) = delete;
    ~RowWriter();

    // Before a result's rows: its DataFrame header, empty when run() returned a list. The
    // first offer settles it, so rows are never held back waiting for a header that a
    // list-returning entry script will not send (held rows could not be committed).
    void offer_header(std::string_view header);
    void append(std::string_view rows);
    void flush();  // hands buffered rows to the kernel
    // flush, for a commit (which syncs the file descriptor): false while rows are held
    // back for the header, when there is nothing to commit yet.
    bool flush_for_commit();
    // No header is coming (the job ends): rows held back for it are written now.
    void stop_waiting_for_header();
    void close();  // flush + fsync
    int fd() const { return fd_.get(); }
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
// they finish in. Ids in `already_done` (a resumed run's journal) are not waited for.
class InputOrderSequencer {
public:
    InputOrderSequencer(RowWriter& writer, std::vector<bool> already_done);
    // Returns the ids whose rows went to the writer now.
    std::vector<std::uint64_t> put(std::uint64_t id, std::string rows);

private:
    void skip_done();
    RowWriter& writer_;
    std::vector<bool> done_;
    std::uint64_t next_ = 0;
    std::map<std::uint64_t, std::string> waiting_;
};

}  // namespace prs::output
