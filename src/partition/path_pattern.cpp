#include "prs/partition/path_pattern.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <system_error>

namespace prs::partition {

namespace fs = std::filesystem;

namespace {

bool has_glob_characters(const std::string& text) { return text.find_first_of("*?[") != std::string::npos; }

class Matcher {
public:
    explicit Matcher(std::vector<std::string> segments) : segments_(std::move(segments)) {}

    std::vector<std::string> run(const fs::path& start) {
        walk(start, 0);
        std::sort(found_.begin(), found_.end());
        found_.erase(std::unique(found_.begin(), found_.end()), found_.end());
        return std::move(found_);
    }

private:
    void walk(const fs::path& at, std::size_t i) {
        std::error_code ec;
        if (i == segments_.size()) {
            if (fs::is_regular_file(at, ec)) found_.push_back(at.lexically_normal().string());
            return;
        }
        const std::string& segment = segments_[i];
        if (segment == "**") {
            walk(at, i + 1);
            const bool last = i + 1 == segments_.size();
            for_each_entry(at, [&](const fs::directory_entry& e) {
                if (e.path().filename().string().front() == '.') return;
                std::error_code dec;
                if (e.is_directory(dec))
                    walk(e.path(), i);
                else if (last)  // a trailing `**` takes the files below it
                    walk(e.path(), i + 1);
            });
        } else if (!has_glob_characters(segment)) {
            walk(at / segment, i + 1);
        } else {
            for_each_entry(at, [&](const fs::directory_entry& e) {
                if (::fnmatch(segment.c_str(), e.path().filename().c_str(), FNM_PERIOD) == 0) walk(e.path(), i + 1);
            });
        }
    }

    template <class F>
    static void for_each_entry(const fs::path& dir, F&& f) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) return;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) f(*it);
    }

    std::vector<std::string> segments_;
    std::vector<std::string> found_;
};

}  // namespace

std::vector<std::string> match_files(const fs::path& base, const std::string& pattern) {
    const fs::path full = fs::path(pattern).is_absolute() ? fs::path(pattern) : base / pattern;
    const fs::path normal = fs::absolute(full).lexically_normal();
    std::vector<std::string> segments;
    for (const auto& part : normal.relative_path())
        if (!part.empty()) segments.push_back(part.string());
    return Matcher(std::move(segments)).run(normal.root_path());
}

}  // namespace prs::partition
