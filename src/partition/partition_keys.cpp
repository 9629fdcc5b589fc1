#include "prs/partition/partition_keys.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "prs/partition/delimited_rows.hpp"
#include "prs/partition/input_file.hpp"
#include "prs/partition/tabular.hpp"
#include "prs/partition/text_encoding.hpp"
#include "prs/util/text.hpp"

namespace prs::partition {

namespace {

using Values = std::vector<std::string>;

constexpr std::size_t kReadChunk = 1u << 20;

struct ValuesLess {
    bool operator()(const Values& a, const Values& b) const {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), key_value_less);
    }
};
// Key values -> indices of the files holding them, in file order.
using Groups = std::map<Values, std::vector<std::uint32_t>, ValuesLess>;

std::optional<double> number(const std::string& s) {
    double v = 0;
    const char* end = s.data() + s.size();
    const auto [p, ec] = std::from_chars(s.data(), end, v);
    if (s.empty() || ec != std::errc() || p != end || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned value = 0;
        if (s[i] == '%' && i + 2 < s.size() &&
            std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16).ptr == s.data() + i + 3) {
            out += static_cast<char>(value);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// Every row of a file from `begin`, whole, as the scanner delimits them.
template <class F>
void for_each_row(const InputFile& file, std::uint64_t begin, char delimiter, F&& on_row) {
    DelimitedScanner scanner(delimiter);
    std::string chunk(kReadChunk, '\0');
    std::string carry;  // a row that spans two chunks
    for (std::uint64_t at = begin;;) {
        const std::size_t n = file.read_at(at, chunk.data(), chunk.size());
        if (n == 0) break;
        at += n;
        const char* p = chunk.data();
        const char* end = p + n;
        while (p < end) {
            const char* row_end = scanner.row_end(p, end);
            if (!row_end) {
                carry.append(p, end);
                break;
            }
            if (carry.empty()) {
                on_row(std::string_view(p, static_cast<std::size_t>(row_end - p)));
            } else {
                carry.append(p, row_end);
                on_row(std::string_view(carry));
                carry.clear();
            }
            p = row_end;
        }
    }
    if (!carry.empty()) on_row(std::string_view(carry));
}

Values to_utf8_lossy_all(Values values) {
    for (auto& v : values) v = to_utf8_lossy(v, Encoding::Utf8);
    return values;
}

class KeyedPartition final : public Partition {
public:
    KeyedPartition(PathList files, Groups groups, protocol::InputKind kind, bool from_columns)
        : files_(std::move(files)),
          groups_(std::move(groups)),
          next_(groups_.begin()),
          kind_(kind),
          from_columns_(from_columns) {}

    std::optional<protocol::MiniBatchDescriptor> next() override {
        if (next_ == groups_.end()) return std::nullopt;
        protocol::MiniBatchDescriptor d;
        d.id = next_id_++;
        d.kind = kind_;
        for (const auto i : next_->second) d.files.push_back(files_[i]);
        if (kind_ == protocol::InputKind::FileList) d.items = static_cast<std::uint32_t>(d.files.size());
        d.partition_values = next_->first;
        d.keys_from_columns = from_columns_;
        ++next_;
        return d;
    }
    std::uint64_t mini_batch_count() const override { return groups_.size(); }
    std::uint64_t item_count() const override { return kind_ == protocol::InputKind::FileList ? files_.size() : 0; }

private:
    PathList files_;
    Groups groups_;
    Groups::const_iterator next_;
    protocol::InputKind kind_;
    bool from_columns_;
    std::uint64_t next_id_ = 0;
};

// The distinct key values of one delimited file's rows.
std::set<Values, ValuesLess> file_key_values(const std::string& path, const protocol::InputFormat& format,
                                             const std::vector<std::string>& keys) {
    const InputFile file(path);
    if (!file.regular())
        throw InputError(util::Problem{"",
                                       fmt::format("partition_keys: '{}' is not a regular file, and rank 0 reads "
                                                   "the key columns of every file",
                                                   path),
                                       "copy it to a regular file.",
                                       {}});
    const char delimiter = format.delimiter.at(0);
    std::uint64_t begin = 0;
    std::vector<std::string> names;
    if (has_header_row(path, format)) {
        const std::string header = read_header_row(file, format);
        names = header_names(header, format);
        begin = first_row_end(file, format);
    } else if (format.header == protocol::InputFormat::Header::FromFirstFile) {
        names = header_names(read_header_row(InputFile(format.first_file), format), format);
    }
    std::set<Values, ValuesLess> found;
    std::vector<std::size_t> columns;
    std::vector<std::string> fields;
    bool at_file_start = begin == 0;  // only there may a byte order mark be
    for_each_row(file, begin, delimiter, [&](std::string_view raw) {
        std::string_view row = trim_line_break(raw);
        if (at_file_start && row.substr(0, kUtf8Bom.size()) == kUtf8Bom) row.remove_prefix(kUtf8Bom.size());
        at_file_start = false;
        if (is_blank_row(row, delimiter)) return;
        if (names.empty()) {  // no_header: as many columns as the first row has fields
            split_fields(row, delimiter, fields);
            names = numbered_column_names(fields.size());
        }
        if (columns.empty()) columns = key_columns(names, keys, path);
        // A row too short to hold the keys belongs to no partition; the workers reading
        // this file report it.
        if (auto values = row_key_values(row, columns, format, fields)) found.insert(std::move(*values));
    });
    return found;
}

}  // namespace

std::optional<std::vector<std::string>> path_key_values(const std::string& file, const std::vector<std::string>& keys) {
    std::vector<std::optional<std::string>> found(keys.size());
    for (const auto& segment : std::filesystem::path(file).parent_path()) {
        const std::string s = segment.string();
        const auto eq = s.find('=');
        if (eq == std::string::npos) continue;
        const std::string key = percent_decode(std::string_view(s).substr(0, eq));
        // Values reach Python as str: undecodable bytes become U+FFFD, the same on every rank.
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == key)
                found[i] = to_utf8_lossy(percent_decode(std::string_view(s).substr(eq + 1)), Encoding::Utf8);
    }
    std::vector<std::string> values;
    for (auto& v : found) {
        if (!v) return std::nullopt;
        values.push_back(std::move(*v));
    }
    return values;
}

PathFormat::PathFormat(const std::string& format, const std::string& root, const std::vector<std::string>& keys)
    : root_(root.ends_with('/') ? root : root + "/") {
    std::string regex;
    std::vector<std::string> names;
    std::string_view f(format);
    while (f.starts_with('/')) f.remove_prefix(1);
    for (std::size_t i = 0; i < f.size(); ++i) {
        const char c = f[i];
        if (c == '{') {
            const auto close = f.find('}', i);
            if (close == std::string_view::npos)
                throw InputError(util::Problem{
                    "", fmt::format("partition_format '{}': '{{' without '}}'", format), "write keys as {Store}.", {}});
            names.emplace_back(f.substr(i + 1, close - i - 1));
            regex += "([^/]+?)";
            i = close;
        } else if (c == '*') {
            regex += "[^/]*";
        } else {
            if (std::string_view(R"(\^$.|?+()[]{})").find(c) != std::string_view::npos) regex += '\\';
            regex += c;
        }
    }
    for (const auto& key : keys) {
        const auto it = std::find(names.begin(), names.end(), key);
        if (it == names.end())
            throw InputError(util::Problem{
                "",
                fmt::format("partition_format '{}' has no {{{}}}, but partition_keys names it", format, key),
                fmt::format("add {{{}}} where its value stands in the path.", key),
                {}});
        if (std::find(it + 1, names.end(), key) != names.end())
            throw InputError(fmt::format("partition_format '{}' names {{{}}} twice.", format, key));
        group_of_key_.push_back(static_cast<std::size_t>(it - names.begin()) + 1);
    }
    pattern_ = std::regex(regex);
}

std::optional<std::vector<std::string>> PathFormat::values(const std::string& file) const {
    if (!file.starts_with(root_)) return std::nullopt;
    const std::string relative = file.substr(root_.size());
    std::smatch m;
    if (!std::regex_match(relative, m, pattern_)) return std::nullopt;
    std::vector<std::string> out;
    for (const auto g : group_of_key_) out.push_back(to_utf8_lossy(m[static_cast<int>(g)].str(), Encoding::Utf8));
    return out;
}

bool key_value_less(const std::string& a, const std::string& b) {
    const auto x = number(a);
    const auto y = number(b);
    if (x && y && *x != *y) return *x < *y;
    if (x.has_value() != y.has_value()) return x.has_value();
    return a < b;
}

std::vector<std::size_t> key_columns(const std::vector<std::string>& names, const std::vector<std::string>& keys,
                                     const std::string& file) {
    std::vector<std::size_t> columns;
    for (const auto& key : keys) {
        const auto it = std::find(names.begin(), names.end(), key);
        if (it == names.end())
            throw InputError(
                fmt::format("partition key '{}' is not a column of '{}' (its columns: {}). Fix: correct "
                            "partition_keys, or lay the files out in {}=<value> folders.",
                            key, file, util::join(names, ", "), key));
        columns.push_back(static_cast<std::size_t>(it - names.begin()));
    }
    return columns;
}

std::optional<std::vector<std::string>> row_key_values(std::string_view row, const std::vector<std::size_t>& columns,
                                                       const protocol::InputFormat& format,
                                                       std::vector<std::string>& fields) {
    split_fields(row, format.delimiter.at(0), fields);
    const auto encoding = parse_encoding(format.encoding).value_or(Encoding::Utf8);
    std::vector<std::string> values;
    for (const auto c : columns) {
        if (c >= fields.size()) return std::nullopt;
        values.push_back(to_utf8_lossy(fields[c], encoding));
    }
    return values;
}

std::unique_ptr<Partition> make_path_values_partition(PathList files, std::vector<std::vector<std::string>> values,
                                                      protocol::InputKind kind) {
    Groups groups;
    for (std::uint32_t i = 0; i < values.size(); ++i) groups[to_utf8_lossy_all(std::move(values[i]))].push_back(i);
    return std::make_unique<KeyedPartition>(std::move(files), std::move(groups), kind, false);
}

std::unique_ptr<Partition> make_partition_keys_partition(const config::JobSpec& job,
                                                         const protocol::InputFormat& format, PathList files) {
    const auto& keys = job.partition_keys;
    Groups groups;
    if (!format.partition_format.empty()) {
        // The user said where the keys are: every file must match.
        const PathFormat path_format(format.partition_format, format.partition_root, keys);
        for (std::uint32_t i = 0; i < files.size(); ++i) {
            auto values = path_format.values(files[i]);
            if (!values)
                throw InputError(
                    fmt::format("input '{}': '{}' does not match partition_format '{}' (relative to {}). "
                                "Fix: correct partition_format, or move the file.",
                                job.major().name, files[i], format.partition_format, format.partition_root));
            groups[std::move(*values)].push_back(i);
        }
        return std::make_unique<KeyedPartition>(std::move(files), std::move(groups), format.kind, false);
    }
    std::optional<std::uint32_t> lacking;  // the first file whose path holds no key values
    for (std::uint32_t i = 0; i < files.size() && !lacking; ++i) {
        if (auto values = path_key_values(files[i], keys))
            groups[std::move(*values)].push_back(i);
        else
            lacking = i;
    }
    if (!lacking) return std::make_unique<KeyedPartition>(std::move(files), std::move(groups), format.kind, false);

    if (format.kind != protocol::InputKind::Delimited) {
        std::string layout;
        for (const auto& key : keys) layout += key + "=<value>/";
        throw InputError(fmt::format(
            "input '{}': partition_keys [{}] must come from the path for this input, but '{}' is not under {} "
            "folders. Fix: lay the files out as .../{}file, or use an mltable input with read_delimited to "
            "partition by columns.",
            job.major().name, util::join(keys, ", "), files[*lacking], layout, layout));
    }
    if (is_wide_encoding(format.encoding))
        throw InputError(
            fmt::format("input '{}': partition_keys [{}] from the columns of {} files are not supported "
                        "(rank 0 reads key columns as bytes). Fix: convert the files to UTF-8, or take "
                        "the keys from the paths with extract_columns_from_partition_format.",
                        job.major().name, util::join(keys, ", "), format.encoding));
    groups.clear();
    for (std::uint32_t i = 0; i < files.size(); ++i)
        for (auto& values : file_key_values(files[i], format, keys)) groups[values].push_back(i);
    if (groups.empty())
        throw InputError(fmt::format("input '{}': no row holds the partition keys [{}]; there is nothing to process.",
                                     job.major().name, util::join(keys, ", ")));
    return std::make_unique<KeyedPartition>(std::move(files), std::move(groups), format.kind, true);
}

}  // namespace prs::partition
