#include "prs/partition/partition.hpp"

#include <fmt/format.h>

#include "prs/partition/file_list.hpp"

namespace prs::partition {

namespace {
constexpr std::uint64_t kDefaultFilesPerBatch = 10;  // Azure's default for file inputs
}

std::unique_ptr<Partition> make_partition(const config::JobSpec& job) {
    const auto& input = job.major();
    switch (input.type) {
        case config::InputType::UriFolder:
        case config::InputType::UriFile: {
            if (job.mini_batch_size_has_unit)
                throw InputError(fmt::format(
                    "mini_batch_size has a size unit, but input '{}' is a list of files ({}): give the number of "
                    "files per mini-batch, e.g. mini_batch_size: \"10\".",
                    input.name, input.path.string()));
            return std::make_unique<FileListPartition>(list_files(input.path),
                                                       job.mini_batch_size.value_or(kDefaultFilesPerBatch));
        }
        case config::InputType::MLTable:
        case config::InputType::Hdf5:
            break;
    }
    throw InputError(fmt::format("input '{}' ({}): this input type is not supported by this version of prs_mpi yet. "
                                 "Fix: use a uri_folder input.",
                                 input.name, input.path.string()));
}

}  // namespace prs::partition
