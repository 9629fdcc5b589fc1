#pragma once
// Turns the job's major input into a stream of mini-batch descriptors. Rank 0 pulls
// descriptors one at a time as workers ask for work, so a million mini-batches never
// sit in memory at once; descriptors name data, never hold it.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "prs/config/job_spec.hpp"
#include "prs/partition/path_list.hpp"
#include "prs/protocol/messages.hpp"
#include "prs/util/user_error.hpp"

namespace prs::partition {

// Bad input data (empty folder, unreadable path...): what() names the path and the fix.
// One line ("<problem>. Fix: <fix>"), since workers log it in one-line fields too; an
// MLTable file's own errors take the terminal form with its file:line:column.
class InputError : public util::UserError {
public:
    explicit InputError(std::string line) : UserError(std::move(line), Form::Line) {}
    explicit InputError(util::Problem p, Form form = Form::Line) : UserError(std::move(p), form) {}
};

class Partition {
public:
    virtual ~Partition() = default;
    // The next descriptor in input order (ids 0, 1, 2, ...), or nullopt when exhausted.
    virtual std::optional<protocol::MiniBatchDescriptor> next() = 0;
    // Exact for file lists, HDF5 and partition keys. For byte ranges (tabular inputs) an
    // upper bound from the file sizes that tightens as next() runs and is exact once
    // next() has returned nullopt: cuts are only found as the walk reaches them (a row
    // longer than mini_batch_size swallows a cut). Read it again then for exact figures.
    virtual std::uint64_t mini_batch_count() const = 0;
    // Items rank 0 knows of (files, HDF5 rows); 0 where only workers count them (rows).
    virtual std::uint64_t item_count() const = 0;
};

// How workers read the job's major input (every rank calls this; it reads at most the
// MLTable file). Throws InputError.
protocol::InputFormat describe_input(const config::JobSpec& job);

// Chooses the partitioning for the job's major input (rank 0). `listing` is
// list_files(job.major().path), which rank 0 also fingerprints (orchestrator/journal.hpp):
// file-list and HDF5 inputs take their files from it rather than walking the folder
// again; an MLTable names its own. Throws InputError.
std::unique_ptr<Partition> make_partition(const config::JobSpec& job, const protocol::InputFormat& format,
                                          PathList listing);

// File lists (uri_folder, uri_file, an MLTable of paths): mini_batch_size files each.
std::unique_ptr<Partition> make_file_list_partition(const config::JobSpec& job, PathList files);

}  // namespace prs::partition
