#pragma once
// File-list inputs (uri_folder, uri_file): every regular file under the path,
// recursively, in sorted order, `files_per_batch` files per mini-batch.

#include <filesystem>
#include <string>
#include <vector>

#include "prs/partition/partition.hpp"
#include "prs/partition/path_list.hpp"

namespace prs::partition {

// All regular files under `root` (or `root` itself if it is a file), absolute, sorted
// by their path string. Throws InputError when `root` is missing or holds no file.
// Symbolic links are followed, but each folder is listed once (by device and inode), so a
// link back up the tree adds nothing; `skipped` gets a line for each link not followed.
PathList list_files(const std::filesystem::path& root, std::vector<std::string>& skipped);
PathList list_files(const std::filesystem::path& root);

class FileListPartition final : public Partition {
public:
    FileListPartition(PathList files, std::uint64_t files_per_batch);
    std::optional<protocol::MiniBatchDescriptor> next() override;
    std::uint64_t mini_batch_count() const override;
    std::uint64_t item_count() const override { return files_.size(); }

private:
    PathList files_;
    std::uint64_t per_batch_;
    std::uint64_t next_index_ = 0;
    std::uint64_t next_id_ = 0;
};

}  // namespace prs::partition
