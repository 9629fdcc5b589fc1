#include "prs/partition/partition.hpp"

#include <fmt/format.h>

#include "prs/partition/file_list.hpp"
#include "prs/partition/hdf5.hpp"
#include "prs/partition/mltable.hpp"
#include "prs/partition/partition_keys.hpp"

namespace prs::partition {

namespace {
constexpr std::uint64_t kDefaultFilesPerBatch = 10;  // Azure's default for file inputs
}

protocol::InputFormat describe_input(const config::JobSpec& job) {
    protocol::InputFormat format;
    const auto& input = job.major();
    switch (input.type) {
        case config::InputType::UriFolder:
        case config::InputType::UriFile:
            format.kind = protocol::InputKind::FileList;
            break;
        case config::InputType::MLTable:
            format = mltable_input_format(job);
            break;
        case config::InputType::Hdf5:
            format.kind = protocol::InputKind::Hdf5;
            format.datasets = input.datasets;
            break;
    }
    format.partition_keys = job.partition_keys;
    format.partition_format = input.partition_format;
    format.partition_root = input.path.string();
    return format;
}

std::unique_ptr<Partition> make_file_list_partition(const config::JobSpec& job, PathList files) {
    const auto& input = job.major();
    if (job.mini_batch_size_has_unit)
        throw InputError(
            fmt::format("mini_batch_size has a size unit, but input '{}' is a list of files ({}): give the number of "
                        "files per mini-batch, e.g. mini_batch_size: \"10\".",
                        input.name, input.path.string()));
    return std::make_unique<FileListPartition>(std::move(files), job.mini_batch_size.value_or(kDefaultFilesPerBatch));
}

std::unique_ptr<Partition> make_partition(const config::JobSpec& job, const protocol::InputFormat& format,
                                          PathList listing) {
    const auto& input = job.major();
    switch (input.type) {
        case config::InputType::UriFolder:
        case config::InputType::UriFile:
            if (!job.partition_keys.empty()) return make_partition_keys_partition(job, format, std::move(listing));
            return make_file_list_partition(job, std::move(listing));
        case config::InputType::MLTable:
            return make_mltable_partition(job, format);
        case config::InputType::Hdf5:
            return make_hdf5_partition(job, format, listing);
    }
    throw InputError(fmt::format("input '{}': unknown input type", input.name));
}

}  // namespace prs::partition
