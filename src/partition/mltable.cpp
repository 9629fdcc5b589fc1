#include "prs/partition/mltable.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <string_view>

#include <fmt/format.h>

#include "prs/config/closest_key.hpp"
#include "prs/partition/file_list.hpp"
#include "prs/partition/partition_keys.hpp"
#include "prs/partition/path_pattern.hpp"
#include "prs/partition/tabular.hpp"
#include "prs/partition/text_encoding.hpp"

namespace prs::partition {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kDefaultTabularBytes = 1u << 20;  // Azure's default for tabular inputs: 1 MB

const std::vector<std::string> kTopKeys = {"paths", "transformations", "type", "metadata", "traits", "$schema"};
const std::vector<std::string> kPathKinds = {"file", "folder", "pattern"};
const std::vector<std::string> kDelimitedKeys = {"delimiter",          "header",         "encoding",
                                                 "empty_as_string",    "support_multi_line",
                                                 "include_path_column", "path_column", "infer_column_types"};
const std::vector<std::string> kJsonLinesKeys = {"encoding", "include_path_column", "path_column", "invalid_lines"};
const std::vector<std::string> kHeaderModes = {"all_files_same_headers", "from_first_file", "no_header"};
// Transformations that would change the rows run() sees: refused rather than ignored.
const std::vector<std::string> kOtherTransformations = {
    "read_parquet", "read_delta_lake", "take", "take_random_sample", "skip", "drop_columns", "keep_columns",
    "filter", "convert_column_types", "extract_columns_from_partition_format", "random_split"};

std::string describe(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Null: return "nothing";
        case YAML::NodeType::Scalar: return fmt::format("'{}'", n.Scalar());
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Map: return "a mapping";
        default: return "an undefined value";
    }
}

class MLTableReader {
public:
    explicit MLTableReader(const fs::path& folder) : folder_(fs::absolute(folder).lexically_normal()) {
        out_.file = folder_ / "MLTable";
    }

    MLTable read() {
        YAML::Node root;
        try {
            root = YAML::LoadFile(out_.file.string());
        } catch (const YAML::BadFile&) {
            throw InputError(fmt::format("cannot read '{}'. Fix: an mltable input's path must be a folder holding an "
                                         "MLTable file.",
                                         out_.file.string()));
        } catch (const YAML::ParserException& e) {
            throw InputError(fmt::format("{}:{}:{}: error: not valid YAML: {}.\n  Fix: correct the YAML syntax.",
                                         out_.file.string(), e.mark.line + 1, e.mark.column + 1, e.msg));
        }
        if (!root.IsMap())
            throw InputError(fmt::format("{}: error: expected a mapping with `paths:`, got {}.\n  Fix: write e.g.\n"
                                         "    paths:\n      - file: ./data.csv\n    transformations:\n"
                                         "      - read_delimited:\n          delimiter: ','",
                                         out_.file.string(), describe(root)));
        for (const auto& kv : root) warn_unknown(kv.first, "", kTopKeys);
        const YAML::Node paths = root["paths"];
        if (!paths) fail(root, "paths", "missing", "list the data under `paths:`, e.g. `- file: ./data.csv`");
        read_paths(paths);
        out_.format.kind = protocol::InputKind::FileList;
        if (const YAML::Node transformations = root["transformations"]) read_transformations(transformations);
        if (out_.format.kind == protocol::InputKind::Delimited) out_.format.first_file = out_.files.front();
        return std::move(out_);
    }

private:
    std::string where(const YAML::Node& at) const {
        return fmt::format("{}:{}:{}", out_.file.string(), at.Mark().line + 1, at.Mark().column + 1);
    }

    [[noreturn]] void fail(const YAML::Node& at, std::string_view key, std::string_view problem,
                           std::string_view fix) const {
        throw InputError(fmt::format("{}: error: {}: {}.\n  Fix: {}", where(at), key, problem, fix));
    }

    void warn(const YAML::Node& at, std::string_view message) {
        out_.warnings.push_back(fmt::format("{}: warning: {}", where(at), message));
    }

    void warn_unknown(const YAML::Node& key, std::string_view under, const std::vector<std::string>& known) {
        const std::string name = key.Scalar();
        if (std::find(known.begin(), known.end(), name) != known.end()) return;
        const std::string place = under.empty() ? "" : fmt::format(" under '{}'", under);
        if (auto suggestion = config::closest_key(name, known))
            warn(key, fmt::format("unknown key '{}'{}; did you mean '{}'?", name, place, *suggestion));
        else
            warn(key, fmt::format("unknown key '{}'{} is ignored", name, place));
    }

    std::string scalar(const YAML::Node& n, std::string_view key, std::string_view example) const {
        if (!n.IsScalar()) fail(n, key, fmt::format("expected a value, got {}", describe(n)), example);
        return n.Scalar();
    }

    bool boolean(const YAML::Node& n, std::string_view key) const {
        bool value = false;
        if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value))
            fail(n, key, fmt::format("expected true or false, got {}", describe(n)),
                 fmt::format("write {}: true or {}: false", key, key));
        return value;
    }

    // A local or shared-filesystem path, relative to the MLTable's folder.
    fs::path local_path(const YAML::Node& n, std::string_view key) const {
        std::string text = scalar(n, key, "write a path relative to the MLTable's folder, e.g. ./data.csv");
        if (text.rfind("file://", 0) == 0) text.erase(0, 7);
        static const std::regex uri("^([A-Za-z][A-Za-z0-9+.-]*):");
        std::smatch m;
        if (std::regex_search(text, m, uri) && m[1].length() > 1)
            fail(n, key,
                 fmt::format("on-prem jobs take local or shared-filesystem paths, not {}: URIs", m[1].str()),
                 "copy the data to this machine or a shared filesystem and write its path");
        const fs::path p(text);
        return (p.is_absolute() ? p : folder_ / p).lexically_normal();
    }

    void read_paths(const YAML::Node& paths) {
        if (!paths.IsSequence() || paths.size() == 0)
            fail(paths, "paths", fmt::format("expected a list of file/folder/pattern entries, got {}", describe(paths)),
                 "write e.g.\n    paths:\n      - file: ./data.csv");
        for (const auto& entry : paths) {
            if (!entry.IsMap())
                fail(entry, "paths", fmt::format("expected a mapping like `file: ./data.csv`, got {}", describe(entry)),
                     "write each entry as `- file: PATH`, `- folder: PATH` or `- pattern: GLOB`");
            bool found = false;
            for (const auto& kv : entry) {
                const std::string kind = kv.first.Scalar();
                if (std::find(kPathKinds.begin(), kPathKinds.end(), kind) == kPathKinds.end()) {
                    warn_unknown(kv.first, "paths", kPathKinds);
                    continue;
                }
                if (found)
                    fail(kv.first, "paths." + kind, "one entry names two paths",
                         "write each file, folder or pattern as its own `- ` entry");
                found = true;
                add_path(kind, kv.second);
            }
            if (!found)
                fail(entry, "paths", "entry has no file, folder or pattern",
                     "write `- file: PATH`, `- folder: PATH` or `- pattern: GLOB`");
        }
        std::sort(out_.files.begin(), out_.files.end());
        out_.files.erase(std::unique(out_.files.begin(), out_.files.end()), out_.files.end());
    }

    void add_path(const std::string& kind, const YAML::Node& value) {
        const std::string key = "paths." + kind;
        if (kind == "pattern") {
            const std::string pattern = local_path(value, key).string();
            const auto files = match_files(folder_, pattern);
            if (files.empty())
                fail(value, key, fmt::format("pattern '{}' matches no file", pattern),
                     "check the pattern; `*` stays within a folder, `**` spans folders");
            out_.files.insert(out_.files.end(), files.begin(), files.end());
            return;
        }
        const fs::path path = local_path(value, key);
        std::error_code ec;
        if (!fs::exists(path, ec))
            fail(value, key, fmt::format("'{}' does not exist", path.string()),
                 "paths are relative to the folder holding the MLTable file");
        if (kind == "file") {
            if (fs::is_directory(path, ec))
                fail(value, key, fmt::format("'{}' is a folder", path.string()), "write `- folder: PATH` for a folder");
            out_.files.push_back(path.string());
            return;
        }
        try {
            const auto files = list_files(path);
            for (std::size_t i = 0; i < files.size(); ++i) out_.files.push_back(files[i]);
        } catch (const InputError& e) {
            fail(value, key, e.what(), "point it at a folder that holds the data files");
        }
    }

    void read_transformations(const YAML::Node& list) {
        if (!list.IsSequence())
            fail(list, "transformations", fmt::format("expected a list, got {}", describe(list)),
                 "write e.g.\n    transformations:\n      - read_delimited:\n          delimiter: ','");
        std::optional<YAML::Node> reader;  // the read transformation, once seen
        for (const auto& item : list) {
            // `- read_delimited:` (a mapping) or a bare `- read_delimited`.
            const YAML::Node name = item.IsMap() && item.size() == 1 ? item.begin()->first : item;
            const YAML::Node options = item.IsMap() && item.size() == 1 ? item.begin()->second : YAML::Node();
            if (!name.IsScalar())
                fail(item, "transformations", fmt::format("expected one transformation name, got {}", describe(item)),
                     "write each transformation as `- name:` followed by its settings");
            const std::string n = name.Scalar();
            if (n == "read_delimited" || n == "read_json_lines") {
                if (reader)
                    fail(name, "transformations." + n,
                         fmt::format("a second read transformation (the first is at {})", where(*reader)),
                         "keep one read_delimited or read_json_lines");
                reader = name;
                if (n == "read_delimited")
                    read_delimited(options);
                else
                    read_json_lines(options);
            } else if (std::find(kOtherTransformations.begin(), kOtherTransformations.end(), n) !=
                       kOtherTransformations.end()) {
                const bool reads = n.rfind("read_", 0) == 0;
                fail(name, "transformations." + n,
                     reads ? "prs_mpi reads delimited text and JSON lines only"
                           : "not supported: run() gets the files' rows as they are",
                     reads ? "convert the data to CSV or JSON lines and use read_delimited or read_json_lines"
                           : "remove it and do the same to the DataFrame in run()");
            } else {
                auto known = kOtherTransformations;
                known.insert(known.end(), {"read_delimited", "read_json_lines"});
                const auto suggestion = config::closest_key(n, known);
                fail(name, "transformations." + n, "unknown transformation",
                     suggestion ? fmt::format("did you mean '{}'?", *suggestion)
                                : std::string("use read_delimited or read_json_lines"));
            }
        }
    }

    // Options of a read transformation: a mapping, or nothing for all defaults.
    template <class F>
    void each_option(const YAML::Node& options, const std::string& transformation,
                     const std::vector<std::string>& known, F&& f) {
        if (!options || options.IsNull()) return;
        if (!options.IsMap())
            fail(options, "transformations." + transformation,
                 fmt::format("expected its settings as a mapping, got {}", describe(options)),
                 fmt::format("write e.g.\n    - {}:\n        encoding: utf8", transformation));
        for (const auto& kv : options) {
            const std::string key = kv.first.Scalar();
            if (std::find(known.begin(), known.end(), key) == known.end())
                warn_unknown(kv.first, transformation, known);
            else
                f(key, "transformations." + transformation + "." + key, kv.first, kv.second);
        }
    }

    void read_encoding(const YAML::Node& value, const std::string& path) {
        const std::string name = scalar(value, path, "write encoding: utf8");
        if (const auto e = parse_encoding(name)) {
            out_.format.encoding = encoding_name(*e);
            return;
        }
        const bool wide = name.find("16") != std::string::npos || name.find("32") != std::string::npos;
        fail(value, path, fmt::format("encoding '{}' is not supported (supported: {})", name, supported_encodings()),
             wide ? "convert the files to UTF-8, e.g. `iconv -f UTF-16 -t UTF-8 in.csv > out.csv`, and write "
                    "encoding: utf8"
                  : "write one of the supported encodings");
    }

    void read_delimited(const YAML::Node& options) {
        auto& f = out_.format;
        f.kind = protocol::InputKind::Delimited;
        each_option(options, "read_delimited", kDelimitedKeys,
                    [&](const std::string& key, const std::string& path, const YAML::Node& k, const YAML::Node& v) {
                        if (key == "delimiter") {
                            std::string d = scalar(v, path, "write delimiter: ','");
                            if (d == "\\t") d = "\t";  // '\t' in single quotes is a backslash and a t
                            if (d.size() != 1 || d == "\"" || d == "\n" || d == "\r")
                                fail(v, path, fmt::format("expected one character other than a quote or a line "
                                                          "break, got '{}'",
                                                          d),
                                     "write e.g. delimiter: ',' or delimiter: \"\\t\"");
                            f.delimiter = d;
                        } else if (key == "header") {
                            read_header(v, path);
                        } else if (key == "encoding") {
                            read_encoding(v, path);
                        } else if (key == "empty_as_string") {
                            f.empty_as_string = boolean(v, key);
                        } else if (key == "support_multi_line") {
                            f.support_multi_line = boolean(v, key);
                        } else if (key == "include_path_column") {
                            if (boolean(v, key))
                                warn(k, "include_path_column: true is ignored: run() gets no Path column (the "
                                        "mini-batch's file is in processed_mini-batches.csv)");
                        } else if (key == "infer_column_types") {
                            if (!boolean(v, key))
                                warn(k, "infer_column_types: false is ignored: pandas infers the column types");
                        }
                    });
    }

    void read_header(const YAML::Node& v, const std::string& path) {
        const std::string mode = scalar(v, path, "write header: all_files_same_headers");
        auto& f = out_.format;
        if (mode == "all_files_same_headers")
            f.header = protocol::InputFormat::Header::AllFilesSameHeaders;
        else if (mode == "from_first_file")
            f.header = protocol::InputFormat::Header::FromFirstFile;
        else if (mode == "no_header")
            f.header = protocol::InputFormat::Header::NoHeader;
        else if (mode == "all_files_different_headers")
            fail(v, path, "all_files_different_headers is not supported: a mini-batch's DataFrame has one set of "
                          "columns",
                 "give the files the same header and write all_files_same_headers");
        else {
            const auto suggestion = config::closest_key(mode, kHeaderModes);
            fail(v, path, fmt::format("expected all_files_same_headers, from_first_file or no_header, got '{}'", mode),
                 suggestion ? fmt::format("did you mean '{}'?", *suggestion) : std::string("write one of them"));
        }
    }

    void read_json_lines(const YAML::Node& options) {
        out_.format.kind = protocol::InputKind::JsonLines;
        each_option(options, "read_json_lines", kJsonLinesKeys,
                    [&](const std::string& key, const std::string& path, const YAML::Node& k, const YAML::Node& v) {
                        if (key == "encoding") {
                            read_encoding(v, path);
                        } else if (key == "include_path_column") {
                            if (boolean(v, key))
                                warn(k, "include_path_column: true is ignored: run() gets no Path column");
                        } else if (key == "invalid_lines" && scalar(v, path, "write invalid_lines: error") != "error") {
                            warn(k, "invalid_lines other than 'error' is ignored: an invalid line fails its "
                                    "mini-batch, with the file and byte in logs/job_error.txt");
                        }
                    });
    }

    fs::path folder_;
    MLTable out_;
};

// The MLTable's files may lie anywhere: no shared prefix.
PathList path_list(const std::vector<std::string>& files) {
    PathList list;
    for (const auto& f : files) list.add(f);
    return list;
}

}  // namespace

MLTable read_mltable(const fs::path& folder) { return MLTableReader(folder).read(); }

protocol::InputFormat mltable_input_format(const config::JobSpec& job) { return read_mltable(job.major().path).format; }

std::unique_ptr<Partition> make_mltable_partition(const config::JobSpec& job, const protocol::InputFormat& format) {
    MLTable table = read_mltable(job.major().path);
    for (const auto& w : table.warnings) fmt::print(stderr, "{}\n", w);
    if (!job.partition_keys.empty()) return make_partition_keys_partition(job, format, path_list(table.files));
    if (format.kind == protocol::InputKind::FileList) return make_file_list_partition(job, path_list(table.files));
    return std::make_unique<ByteRangePartition>(std::move(table.files), format,
                                                job.mini_batch_size.value_or(kDefaultTabularBytes));
}

}  // namespace prs::partition
