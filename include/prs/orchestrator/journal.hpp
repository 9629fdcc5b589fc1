#pragma once
// Rank 0's journal (docs/design.md §7): which mini-batches are final and where their rows end in
// the output file. A re-run after a crash truncates the output to the last committed
// offset and skips what the journal holds, so the output is the same multiset of lines
// as an uninterrupted run: nothing lost, nothing doubled.
//
// File: a sequence of records [u32 size][u32 crc32][payload]. A record that is cut off
// or fails its checksum (power loss mid-write) ends the journal: it and anything after
// it are ignored and overwritten by the next commit. An intact record that makes no sense
// for this job (a mini-batch id beyond the input's, offsets going back, a record after the
// end: a damaged or foreign file) makes the whole journal unusable: the run starts fresh.
//
// Each commit record also holds the CRC-32 of the output's bytes before its offset, so a
// rerun can tell whether the output still holds the committed rows (another job may have
// written it, or someone cut it). Journals of earlier versions have no such CRC.
//
// Failed mini-batches are not in commit records: their last attempts' rows are written only
// when the run ends, after every committed row, and one record then names them and where
// that tail begins. A rerun cuts the output back to there and runs them again, so their rows
// are replaced, never doubled (docs/design.md §7).

#include <cstdint>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "prs/orchestrator/failure_policy.hpp"
#include "prs/partition/path_list.hpp"
#include "prs/util/unique_fd.hpp"

namespace prs::orchestrator {

struct JournalState {
    std::string fingerprint;                           // of the job settings, input listing and entry script
    std::uint64_t output_offset = 0;                   // the output file's length after the committed rows
    std::optional<std::uint32_t> output_checksum = 0;  // CRC-32 of those bytes; none in old journals
    JobCounters counters;                              // as of the last commit
    std::vector<bool> done;                            // by mini-batch id: final and committed
    bool finished = false;                             // the run ended (succeeded or failed)
    bool succeeded = false;
    std::uint64_t valid_bytes = 0;  // where the intact records end
    std::uint64_t file_bytes = 0;   // the journal's length (more than valid_bytes: a torn tail)
    std::string damage;             // why the journal cannot be used; empty when it can
    // The run ended with failed mini-batches (by id): their rows are the output's tail from
    // `kept_offset` (CRC-32 `kept_checksum`) on; `kept_counters` leave them out, `counters` not.
    std::vector<bool> failed;
    std::uint64_t kept_offset = 0;
    std::optional<std::uint32_t> kept_checksum = 0;
    JobCounters kept_counters;
    std::uint64_t done_count() const;
    std::uint64_t failed_count() const;
};

// What a rerun continues from: the succeeded mini-batches and their rows; the failed ones
// (and their rows, the output's tail) go, to run again with fresh attempts. Not finished.
JournalState kept_part(const JournalState& state);

class Journal {
public:
    // Reads what survives of a journal; nullopt when there is no file. Mini-batch ids must be
    // below `mini_batch_count` (the partition's); a journal that is not a prs_mpi journal of
    // such a job (no intact header, an intact record that makes no sense) comes back with
    // `damage` saying why, and is not to be resumed.
    static std::optional<JournalState> read(const std::filesystem::path& file, std::uint64_t mini_batch_count);
    // A new journal for a fresh run (replaces any old one).
    static Journal create(const std::filesystem::path& file, const std::string& fingerprint);
    // The same, with the fingerprint still being computed (a stat of every input file:
    // seconds for a million files), so the job need not wait for it: any old journal is
    // removed now, and the new one, header first, is written at the first record. A run
    // that ends before then leaves no journal, and its rerun starts fresh, as it should.
    static Journal create_when_known(const std::filesystem::path& file, std::future<std::string> fingerprint);
    // Continues `state`'s journal, cutting off a torn tail first.
    static Journal resume(const std::filesystem::path& file, const JournalState& state);
    // A journal holding only `kept` (kept_part of a finished or failed run) under `fingerprint`,
    // written beside `file` and renamed over it: a kill meanwhile leaves the old one whole.
    static Journal restart(const std::filesystem::path& file, const std::string& fingerprint, const JournalState& kept);

    // Appends and syncs one record: these mini-batches are final, the output file (already
    // synced by the caller) ends at `output_offset`, its bytes before that have the CRC-32
    // `output_checksum`, and the counters are now `counters`.
    void commit(const std::vector<std::uint64_t>& ids, std::uint64_t output_offset, std::uint32_t output_checksum,
                const JobCounters& counters);
    // The run's end, before finish(): these mini-batches failed for good; their rows follow the
    // committed ones, from `kept_offset` (CRC `kept_checksum`) to `output_offset` (CRC
    // `output_checksum`); `counters` include them.
    void record_failed(const std::vector<std::uint64_t>& ids, std::uint64_t kept_offset, std::uint32_t kept_checksum,
                       std::uint64_t output_offset, std::uint32_t output_checksum, const JobCounters& counters);
    void finish(bool succeeded);

private:
    Journal(util::UniqueFd fd, std::filesystem::path file) : fd_(std::move(fd)), file_(std::move(file)) {}
    void append(std::uint8_t type, const std::string& payload);
    util::UniqueFd fd_;
    std::filesystem::path file_;          // for errors: a full disk names the file
    std::filesystem::path pending_file_;  // create_when_known: where the journal goes
    std::future<std::string> pending_fingerprint_;
};

// Why `output` does not hold the committed rows `state` records (empty when it does): its
// length must be `state.output_offset` (a finished run: `exact`) or more (a run to resume,
// whose uncommitted tail is cut), and its first output_offset bytes must have the recorded
// CRC-32. Reads those bytes once (~0.5 s a GB from the page cache; disk speed otherwise).
std::string output_mismatch(const JournalState& state, const std::filesystem::path& output, bool exact);

// The fingerprint of a job: resolved settings, the entry script's bytes and the input's
// listing with each file's size and mtime. Equal fingerprints mean a rerun would do the
// same. `input` is the partition's listing (partition::list_files of the major input's
// path), so the input folder is walked once; each file is stat()ed here. `partitioning`:
// the settings that decide the mini-batches (partitioning_settings()).
// Three hashes, "<settings>.<script>.<input>": --retry-failed compares the input's alone.
std::string job_fingerprint(const std::string& settings, const std::filesystem::path& entry_script,
                            const std::string& partitioning, const partition::PathList& input);
// What decides which items make up each mini-batch: the major input and mini_batch_size,
// partition_keys, partition_format, datasets.
std::string partitioning_settings(const config::JobSpec& job);

// Which parts of a job differ between two fingerprints: some of "job settings", "entry script",
// "input or partitioning"; one item, "a journal of an earlier prs_mpi", for an old fingerprint.
std::vector<std::string> fingerprint_changes(const std::string& before, const std::string& now);
// The input's and partitioning's part of a fingerprint (empty for an old one).
std::string input_fingerprint(const std::string& fingerprint);

}  // namespace prs::orchestrator
