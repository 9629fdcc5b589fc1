#include "prs/agent/disk_usage.hpp"

#include <sys/statvfs.h>

#include <algorithm>

namespace prs::agent {

namespace fs = std::filesystem;

namespace {
// mountinfo escapes space, tab, newline and backslash in paths as \ooo (octal).
bool octal_escape_at(std::string_view text, std::size_t i) {
    if (text[i] != '\\' || i + 3 >= text.size()) return false;
    const auto digits = text.substr(i + 1, 3);
    return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; });
}

std::string unescape_octal(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!octal_escape_at(text, i)) {
            out += text[i];
            continue;
        }
        out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0'));
        i += 3;
    }
    return out;
}

std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    for (std::size_t at = 0; at < line.size();) {
        const auto end = std::min(line.find(' ', at), line.size());
        if (end > at) out.push_back(line.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

// A folder that does not exist yet resolves through its nearest existing parent.
fs::path resolved(const fs::path& path) {
    std::error_code ec;
    fs::path out = fs::weakly_canonical(path, ec);
    return ec ? fs::absolute(path, ec).lexically_normal() : out;
}

// Components in common with `path`, or 0 when `mount_point` does not hold it.
std::size_t holds(const fs::path& mount_point, const fs::path& path) {
    const auto [m, p] = std::mismatch(mount_point.begin(), mount_point.end(), path.begin(), path.end());
    return m == mount_point.end() ? static_cast<std::size_t>(std::distance(mount_point.begin(), mount_point.end())) : 0;
}

const Mount* mount_of(const std::vector<Mount>& mounts, const fs::path& path) {
    const Mount* best = nullptr;
    std::size_t best_depth = 1;  // "/" has one component
    for (const auto& m : mounts) {
        const std::size_t depth = holds(m.point, path);
        if (depth >= best_depth) {  // >=: a later mount on the same point hides the earlier one
            best = &m;
            best_depth = depth;
        }
    }
    return best;
}
}  // namespace

std::vector<Mount> parse_mountinfo(std::string_view text) {
    std::vector<Mount> mounts;
    for (std::size_t at = 0; at < text.size();) {
        const auto end = std::min(text.find('\n', at), text.size());
        const auto fields = words(text.substr(at, end - at));
        at = end + 1;
        // id parent major:minor root mount-point options [optional...] - type source super-options
        const auto dash = std::find(fields.begin(), fields.end(), "-");
        if (fields.size() < 5 || dash == fields.end() || dash + 1 == fields.end()) continue;
        mounts.push_back(Mount{unescape_octal(fields[4]), std::string(*(dash + 1))});
    }
    return mounts;
}

std::vector<WatchedFilesystem> watched_filesystems(const std::vector<JobFolder>& folders,
                                                   const std::vector<Mount>& mounts) {
    std::vector<WatchedFilesystem> out;
    for (const auto& folder : folders) {
        const Mount* mount = mount_of(mounts, resolved(folder.path));
        if (!mount) continue;
        auto same = std::find_if(out.begin(), out.end(), [&](const auto& w) { return w.mount == *mount; });
        if (same == out.end())
            out.push_back(WatchedFilesystem{*mount, folder.role});
        else
            same->roles += "; " + folder.role;
    }
    return out;
}

std::optional<DiskSpace> disk_space(const std::string& mount_point) {
    struct statvfs st {};
    if (::statvfs(mount_point.c_str(), &st) != 0) return std::nullopt;
    DiskSpace d;
    d.total = static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize;
    d.used = static_cast<std::uint64_t>(st.f_blocks - st.f_bfree) * st.f_frsize;
    d.free = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
    const std::uint64_t usable = d.used + d.free;
    d.used_percent = usable ? 100.0 * static_cast<double>(d.used) / static_cast<double>(usable) : 0.0;
    return d;
}

}  // namespace prs::agent
