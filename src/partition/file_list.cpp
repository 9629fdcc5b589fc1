#include "prs/partition/file_list.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace prs::partition {

namespace fs = std::filesystem;

namespace {

struct CloseDirectory {
    void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirectoryHandle = std::unique_ptr<DIR, CloseDirectory>;

// A folder, whatever path reaches it.
struct FolderId {
    dev_t device;
    ino_t inode;
    bool operator==(const FolderId&) const = default;
};
struct HashFolderId {
    std::size_t operator()(const FolderId& id) const {
        return std::hash<std::uint64_t>()(static_cast<std::uint64_t>(id.inode) * 0x9E3779B97F4A7C15ull ^
                                          static_cast<std::uint64_t>(id.device));
    }
};

// Walks a folder tree, following symbolic links to files and folders (as std::filesystem's
// is_regular_file and follow_directory_symlink do) but listing each folder once, by device
// and inode: `ln -s . data/loop` listed every file again through the loop, forever with two
// such links. The real tree is walked first and folder links after it, in sorted rounds,
// so which path lists a folder reached twice does not depend on readdir's order.
class Walker {
public:
    Walker(PathList& files, std::vector<std::string>& skipped) : files_(files), skipped_(skipped) {}

    void walk(std::string root) {
        add_files_under(root);
        while (!links_.empty()) {
            auto round = std::exchange(links_, {});
            std::sort(round.begin(), round.end());
            for (auto& link : round) {
                struct stat st {};
                if (::stat(link.c_str(), &st) != 0) continue;  // gone since it was seen
                if (const auto earlier = listed_.find(FolderId{st.st_dev, st.st_ino}); earlier != listed_.end())
                    skip(link, earlier->second);
                else
                    add_files_under(link);
            }
        }
    }

private:
    void skip(const std::string& path, const std::string& listed_as) {
        skipped_.push_back(fmt::format("'{}' leads to '{}', which is listed already", path, listed_as));
    }

    // Adds every regular file under the folder `path` names to the listing, and remembers the
    // links to folders it holds. readdir's d_type tells most entries' kind without a stat
    // (std::filesystem's iterator cost ~4,600 instructions a file, rank 0's largest start-up
    // cost for large inputs). `path` is restored on return.
    void add_files_under(std::string& path) {
        const DirectoryHandle dir(::opendir(path.c_str()));
        if (!dir) throw InputError(fmt::format("cannot list input folder '{}': {}", path, std::strerror(errno)));
        struct stat self {};
        if (::fstat(::dirfd(dir.get()), &self) != 0)
            throw InputError(fmt::format("cannot list input folder '{}': {}", path, std::strerror(errno)));
        // A folder mounted inside itself (mount --bind) is a loop without a link.
        if (const auto [earlier, added] = listed_.try_emplace(FolderId{self.st_dev, self.st_ino}, path); !added) {
            skip(path, earlier->second);
            return;
        }
        const std::size_t length = path.size();
        for (;;) {
            errno = 0;
            const dirent* entry = ::readdir(dir.get());
            if (!entry) break;
            const std::string_view name = entry->d_name;
            if (name == "." || name == "..") continue;
            path.resize(length);
            if (path.empty() || path.back() != '/') path += '/';
            path += name;
            unsigned char type = entry->d_type;
            if (type == DT_UNKNOWN) {
                struct stat st {};
                type = ::lstat(path.c_str(), &st) != 0 ? DT_UNKNOWN
                       : S_ISLNK(st.st_mode)           ? DT_LNK
                       : S_ISREG(st.st_mode)           ? DT_REG
                       : S_ISDIR(st.st_mode)           ? DT_DIR
                                                       : DT_UNKNOWN;
            }
            if (type == DT_LNK) {
                struct stat st {};
                if (::stat(path.c_str(), &st) != 0) continue;  // a dangling link is no file
                if (S_ISREG(st.st_mode))
                    files_.add(path);
                else if (S_ISDIR(st.st_mode))
                    links_.push_back(path);
            } else if (type == DT_REG) {
                files_.add(path);
            } else if (type == DT_DIR) {
                add_files_under(path);
            }
        }
        const int error = errno;
        path.resize(length);
        if (error != 0) throw InputError(fmt::format("cannot list input folder '{}': {}", path, std::strerror(error)));
    }

    PathList& files_;
    std::vector<std::string>& skipped_;
    std::unordered_map<FolderId, std::string, HashFolderId> listed_;  // each folder listed, by the path that did
    std::vector<std::string> links_;                                  // links to folders, not followed yet
};

}  // namespace

PathList list_files(const fs::path& root) {
    std::vector<std::string> skipped;
    return list_files(root, skipped);
}

PathList list_files(const fs::path& root, std::vector<std::string>& skipped) {
    std::error_code ec;
    const auto status = fs::status(root, ec);
    if (ec || !fs::exists(status))
        throw InputError(
            util::Problem{"",
                          fmt::format("input path '{}' does not exist", root.string()),
                          "point the input's `path` at a folder or file on this machine or a shared filesystem.",
                          {}});
    std::string base = fs::absolute(root).lexically_normal().string();
    if (base.size() > 1 && base.back() == '/') base.pop_back();  // "data/" lists as "data"
    PathList files(base);
    if (fs::is_regular_file(status)) {
        files.add(base);
        return files;
    }
    Walker(files, skipped).walk(base);
    if (files.empty())
        throw InputError(
            util::Problem{"",
                          fmt::format("input folder '{}' holds no files, so there is nothing to process", base),
                          "check the input's `path`.",
                          {}});
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

std::uint64_t FileListPartition::mini_batch_count() const { return (files_.size() + per_batch_ - 1) / per_batch_; }

}  // namespace prs::partition
