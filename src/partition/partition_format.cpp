#include "prs/partition/partition_format.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "prs/partition/partition.hpp"

namespace prs::partition {

namespace {

std::string escaped(std::string_view text) {
    static const std::string special = R"(\^$.|?*+()[]{})";
    std::string out;
    for (const char c : text) {
        if (special.find(c) != std::string::npos) out += '\\';
        out += c;
    }
    return out;
}

// "yyyy/MM/dd" -> digits where the date parts stand.
std::string date_pattern(std::string_view format) {
    static const std::vector<std::pair<std::string_view, std::string_view>> parts = {
        {"yyyy", R"(\d{4})"}, {"MM", R"(\d{2})"}, {"dd", R"(\d{2})"},
        {"HH", R"(\d{2})"},   {"mm", R"(\d{2})"}, {"ss", R"(\d{2})"}};
    std::string out;
    for (std::size_t i = 0; i < format.size();) {
        const auto part = std::find_if(parts.begin(), parts.end(),
                                       [&](const auto& p) { return format.substr(i).starts_with(p.first); });
        if (part != parts.end()) {
            out += part->second;
            i += part->first.size();
        } else {
            out += escaped(format.substr(i, 1));
            ++i;
        }
    }
    return out;
}

}  // namespace

PartitionFormat::PartitionFormat(const std::string& text) {
    static const std::regex part(R"(\{([^{}:]+)(?::([^{}]*))?\})");
    std::string regex = text.starts_with("/") ? "" : "(?:^|/)";
    std::size_t at = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), part); it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        regex += escaped(std::string_view(text).substr(at, static_cast<std::size_t>(m.position()) - at));
        const std::string name = m[1].str();
        if (std::find(columns_.begin(), columns_.end(), name) != columns_.end())
            throw InputError(fmt::format("'{}' names {{{}}} twice", text, name));
        columns_.push_back(name);
        regex += m[2].matched ? "(" + date_pattern(m[2].str()) + ")" : "([^/]+)";
        at = static_cast<std::size_t>(m.position() + m.length());
    }
    regex += escaped(std::string_view(text).substr(at));
    if (columns_.empty()) throw InputError(fmt::format("'{}' has no {{column}} part", text));
    // ECMAScript has no lookbehind: the tail is found by searching for the whole pattern at the end.
    pattern_ = std::regex(regex + "$");
}

std::optional<std::vector<std::string>> PartitionFormat::values(const std::string& path) const {
    std::smatch m;
    if (!std::regex_search(path, m, pattern_)) return std::nullopt;
    std::vector<std::string> out;
    for (std::size_t i = 1; i <= columns_.size(); ++i) out.push_back(m[static_cast<int>(i)].str());
    return out;
}

}  // namespace prs::partition
