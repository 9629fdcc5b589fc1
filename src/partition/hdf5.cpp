#include "prs/partition/hdf5.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "prs/util/h5_element_type.hpp"
#include "prs/util/h5_file.hpp"

namespace prs::partition {

namespace {

namespace fs = std::filesystem;
namespace h5 = util::h5;

// Rows per mini-batch when mini_batch_size is not given: small enough that a slow run()
// still reports progress often, large enough that dispatch costs nothing next to it.
constexpr std::uint64_t kDefaultRowsPerBatch = 1024;
// How many top-level names a "no such dataset" error lists.
constexpr std::size_t kNamesShown = 20;

struct RowFile {
    std::string path;
    std::uint64_t rows = 0;
};

bool is_hdf5_name(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".h5" || ext == ".hdf5";
}

// A file named by the input's path is taken whatever its name; in a folder only .h5 and
// .hdf5 files count, so a README or checksum beside the data is no error.
std::vector<std::string> list_hdf5_files(const fs::path& root, const PathList& listing) {
    const bool named = fs::is_regular_file(root);
    std::vector<std::string> files;
    for (std::size_t i = 0; i < listing.size(); ++i)
        if (auto f = listing[i]; named || is_hdf5_name(f)) files.push_back(std::move(f));
    if (files.empty())
        throw InputError(util::Problem{"",
                                       fmt::format("HDF5 input folder '{}' holds {} files but none ending in .h5 "
                                                   "or .hdf5",
                                                   root.string(), listing.size()),
                                       "point the input's `path` at the .h5 files' folder or at one file.",
                                       {}});
    return files;
}

std::string missing_dataset_message(const std::string& path, const std::string& name, hid_t file) {
    const auto names = h5::top_level_names(file);
    const auto shown = std::min(names.size(), kNamesShown);
    std::string present = fmt::format("{}", fmt::join(names.begin(), names.begin() + shown, ", "));
    if (names.empty()) present = "nothing";
    if (names.size() > shown) present += fmt::format(" and {} more", names.size() - shown);
    return fmt::format(
        "HDF5 input file '{}' has no dataset '{}'; its top level holds {}. Fix: correct the "
        "input's `datasets`, or move the file out of the input folder.",
        path, name, present);
}

// Rank 0's metadata pass over one file: every dataset is there, readable into numpy, has
// a first axis, and all share its length (a mini-batch takes the same rows of each).
std::uint64_t count_rows(const std::string& path, const std::vector<std::string>& datasets) {
    std::vector<std::pair<std::string, hsize_t>> lengths;
    try {
        const auto file = h5::open_file(path);
        for (const auto& name : datasets) {
            const auto dataset = h5::find_dataset(file.get(), name);
            if (!dataset) throw InputError(missing_dataset_message(path, name, file.get()));
            const auto dims = h5::shape(dataset->get());
            if (dims.empty())
                throw InputError(
                    fmt::format("dataset '{}' in HDF5 input file '{}' is a scalar; mini-batches are "
                                "rows of the first axis, so every dataset needs at least one axis.",
                                name, path));
            try {
                h5::element_type(h5::Datatype(H5Dget_type(dataset->get()), "cannot read the element type").get());
            } catch (const h5::Error& e) {
                throw InputError(fmt::format("dataset '{}' in HDF5 input file '{}': {}.", name, path, e.what()));
            }
            lengths.emplace_back(name, dims[0]);
        }
    } catch (const h5::Error& e) {
        throw InputError(fmt::format("HDF5 input file '{}': {}", path, e.what()));
    }
    const auto differs = [&](const auto& l) {
        return l.second != lengths.front().second;
    };
    if (std::any_of(lengths.begin(), lengths.end(), differs)) {
        std::vector<std::string> shown;
        for (const auto& [name, rows] : lengths) shown.push_back(fmt::format("{}: {} rows", name, rows));
        throw InputError(
            fmt::format("the datasets of HDF5 input file '{}' differ in first-axis length ({}); a "
                        "mini-batch takes the same rows of every dataset, so they must be equally long.",
                        path, fmt::join(shown, ", ")));
    }
    return lengths.empty() ? 0 : lengths.front().second;
}

// Row ranges of `per_batch` rows, file by file: a mini-batch never spans two files, and
// descriptors are made only as they are pulled.
class Hdf5Partition final : public Partition {
public:
    Hdf5Partition(std::vector<RowFile> files, std::uint64_t per_batch)
        : files_(std::move(files)), per_batch_(per_batch) {
        for (const auto& f : files_) {
            rows_ += f.rows;
            batches_ += (f.rows + per_batch_ - 1) / per_batch_;
        }
    }

    std::optional<protocol::MiniBatchDescriptor> next() override {
        while (file_ < files_.size() && row_ >= files_[file_].rows) {
            ++file_;
            row_ = 0;
        }
        if (file_ == files_.size()) return std::nullopt;
        protocol::MiniBatchDescriptor d;
        d.id = next_id_++;
        d.kind = protocol::InputKind::Hdf5;
        d.files = {files_[file_].path};
        d.begin = row_;
        d.end = std::min(files_[file_].rows, row_ + per_batch_);
        d.items = static_cast<std::uint32_t>(d.end - d.begin);
        row_ = d.end;
        return d;
    }
    std::uint64_t mini_batch_count() const override { return batches_; }
    std::uint64_t item_count() const override { return rows_; }

private:
    std::vector<RowFile> files_;
    std::uint64_t per_batch_;
    std::uint64_t rows_ = 0;
    std::uint64_t batches_ = 0;
    std::size_t file_ = 0;
    std::uint64_t row_ = 0;
    std::uint64_t next_id_ = 0;
};

}  // namespace

std::unique_ptr<Partition> make_hdf5_partition(const config::JobSpec& job, const protocol::InputFormat& format,
                                               const PathList& listing) {
    const auto& input = job.major();
    if (!job.partition_keys.empty())
        throw InputError(util::Problem{
            "",
            fmt::format("partition_keys apply to tabular and file inputs, not to HDF5 input '{}'", input.name),
            "remove partition_keys, or set mini_batch_size to the rows per mini-batch.",
            {}});
    if (job.mini_batch_size_has_unit)
        throw InputError(
            fmt::format("mini_batch_size has a size unit, but input '{}' is HDF5 ({}), cut into rows: "
                        "give the number of rows per mini-batch, e.g. mini_batch_size: \"{}\".",
                        input.name, input.path.string(), kDefaultRowsPerBatch));
    const std::uint64_t per_batch = job.mini_batch_size.value_or(kDefaultRowsPerBatch);
    if (per_batch > std::numeric_limits<std::uint32_t>::max())
        throw InputError(fmt::format("mini_batch_size {} is more rows than one mini-batch can hold (at most {}).",
                                     per_batch, std::numeric_limits<std::uint32_t>::max()));
    std::vector<RowFile> files;
    for (auto& path : list_hdf5_files(input.path, listing)) {
        const auto rows = count_rows(path, format.datasets);
        files.push_back({std::move(path), rows});
    }
    if (std::all_of(files.begin(), files.end(), [](const RowFile& f) { return f.rows == 0; }))
        throw InputError(
            fmt::format("HDF5 input '{}' has no rows: the datasets' first axis is empty in every "
                        "file, so there is nothing to process.",
                        input.path.string()));
    return std::make_unique<Hdf5Partition>(std::move(files), per_batch);
}

}  // namespace prs::partition
