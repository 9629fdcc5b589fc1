#pragma once
// logs/perf/<node>/node_disk_usage.csv: total, used and free bytes of every filesystem the
// job reads or writes, by statvfs(2) (what df shows, without running df). A full disk
// under the run directory or the output is a common cause of failed HPC jobs.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prs::agent {

struct JobFolder {
    std::string role;            // "run directory", "output", ...
    std::filesystem::path path;  // need not exist yet (an output folder)
};

struct Mount {
    std::string point;  // "/scratch"
    std::string type;   // "ext4", "lustre", ...
    bool operator==(const Mount&) const = default;
};

// The mounts of /proc/self/mountinfo, mount points unescaped ("\040" is a space).
std::vector<Mount> parse_mountinfo(std::string_view text);

// One filesystem to sample, with the roles of the job's folders that live on it.
struct WatchedFilesystem {
    Mount mount;
    std::string roles;  // "run directory; output"
};
// Each folder goes to the mount with the longest mount point that holds it; folders on
// the same filesystem share a row.
std::vector<WatchedFilesystem> watched_filesystems(const std::vector<JobFolder>& folders,
                                                   const std::vector<Mount>& mounts);

struct DiskSpace {
    std::uint64_t total = 0;
    std::uint64_t used = 0;
    std::uint64_t free = 0;   // what an unprivileged process may still write
    double used_percent = 0;  // used / (used + free), as df computes Use%
};
std::optional<DiskSpace> disk_space(const std::string& mount_point);

}  // namespace prs::agent
