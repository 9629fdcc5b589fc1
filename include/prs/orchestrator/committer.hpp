#pragma once
// Makes finished mini-batches durable off rank 0's event loop. A commit syncs the output
// file (fdatasync: as slow as the disk) and then appends the journal record naming those
// mini-batches and where their rows end, so the journal never claims rows the disk may
// not hold. On its own thread, appending rows never waits for the disk; commits asked
// for while one runs are merged into the next. The thread also reads the newly committed
// bytes back (from the page cache) to extend the output's running CRC-32 that the journal
// records, so rank 0's event loop does not checksum what it writes.

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "prs/orchestrator/journal.hpp"

namespace prs::orchestrator {

class Committer {
public:
    // `output_fd` < 0: no output file (summary_only). Both must outlive the Committer.
    // `output_file` names it in errors. A resumed run's output already holds `start_offset`
    // bytes with CRC-32 `start_checksum`.
    Committer(Journal& journal, int output_fd, std::filesystem::path output_file = {}, std::uint64_t start_offset = 0,
              std::uint32_t start_checksum = 0);
    Committer(const Committer&) = delete;
    Committer& operator=(const Committer&) = delete;
    ~Committer();  // finishes what was asked

    // The rows of `ids` were handed to the kernel (write(2)) and the output now ends at
    // `output_offset`. Rethrows an error of an earlier commit.
    void request(const std::vector<std::uint64_t>& ids, std::uint64_t output_offset, const JobCounters& counters);
    // Blocks until every request is in the journal. Rethrows an error of the thread.
    void wait();
    // The run's end, after every request: the failed mini-batches `ids`, whose rows were handed
    // to the kernel after the committed ones, up to `output_offset`. Syncs and journals them here.
    void commit_failed(const std::vector<std::uint64_t>& ids, std::uint64_t output_offset, const JobCounters& counters);

private:
    void loop();
    void rethrow_error();

    Journal& journal_;
    int output_fd_;
    std::filesystem::path output_file_;
    std::uint64_t checked_offset_;  // the output's bytes before this are in checksum_ (thread only)
    std::uint32_t checksum_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::uint64_t> ids_;  // asked for, not yet taken by the thread
    std::uint64_t offset_ = 0;
    JobCounters counters_;
    bool busy_ = false;  // the thread is committing
    bool stopping_ = false;
    std::exception_ptr error_;
    std::thread thread_;  // last: starts once the fields above exist
};

}  // namespace prs::orchestrator
