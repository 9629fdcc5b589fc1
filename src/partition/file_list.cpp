#include "prs/partition/file_list.hpp"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

namespace prs::partition {

namespace fs = std::filesystem;

PathList list_files(const fs::path& root) {
    std::error_code ec;
    const auto status = fs::status(root, ec);
    if (ec || !fs::exists(status))
        throw InputError(fmt::format("input path '{}' does not exist. Fix: point the input's `path` at a "
                                     "folder or file on this machine or a shared filesystem.",
                                     root.string()));
    const auto base = fs::absolute(root).lexically_normal();
    PathList files(base.string());
    if (fs::is_regular_file(status)) {
        files.add(base.string());
        return files;
    }
    for (auto it = fs::recursive_directory_iterator(base, fs::directory_options::follow_directory_symlink, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec)) files.add(it->path().native());
    }
    if (ec)
        throw InputError(fmt::format("cannot list input folder '{}': {}", base.string(), ec.message()));
    if (files.empty())
        throw InputError(fmt::format("input folder '{}' holds no files, so there is nothing to process. "
                                     "Fix: check the input's `path`.",
                                     base.string()));
    files.sort();
    return files;
}

FileListPartition::FileListPartition(PathList files, std::uint64_t files_per_batch)
    : files_(std::move(files)), per_batch_(std::max<std::uint64_t>(1, files_per_batch)) {}

std::optional<protocol::MiniBatchDescriptor> FileListPartition::next() {
    if (next_index_ >= files_.size()) return std::nullopt;
    protocol::MiniBatchDescriptor d;
    d.id = next_id_++;
    const auto end = std::min<std::uint64_t>(files_.size(), next_index_ + per_batch_);
    for (auto i = next_index_; i < end; ++i) d.files.push_back(files_[i]);
    d.items = static_cast<std::uint32_t>(d.files.size());
    next_index_ = end;
    return d;
}

std::uint64_t FileListPartition::mini_batch_count() const {
    return (files_.size() + per_batch_ - 1) / per_batch_;
}

}  // namespace prs::partition
