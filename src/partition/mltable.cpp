#include "prs/partition/mltable.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <string_view>

#include <fmt/format.h>

#include "prs/config/closest_key.hpp"
#include "prs/partition/file_list.hpp"
#include "prs/partition/input_file.hpp"
#include "prs/partition/partition_format.hpp"
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
const std::vector<std::string> kDelimitedKeys = {"delimiter",          "header",
                                                 "encoding",           "empty_as_string",
                                                 "support_multi_line", "include_path_column",
                                                 "path_column",        "infer_column_types"};
const std::vector<std::string> kJsonLinesKeys = {"encoding", "include_path_column", "path_column", "invalid_lines"};
const std::vector<std::string> kHeaderModes = {"all_files_same_headers", "from_first_file", "no_header"};
// Applied by the workers to each mini-batch's frame (python/mltable/_transform.py).
// take and skip are rank 0's (a row window, see row_window.hpp). take_random_sample
// decides each row by a hash of the seed, its file and its byte offset there, so every
// mini-batch decides its rows alone and the union is mltable.load()'s sample.
const std::vector<std::string> kSteps = {"drop_columns",
                                         "keep_columns",
                                         "convert_column_types",
                                         "extract_columns_from_partition_format",
                                         "filter",
                                         "take_random_sample",
                                         "take",
                                         "skip"};
// It makes two tables, and a job reads one: refused.
const std::vector<std::string> kGlobalSteps = {"random_split"};

std::string describe(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Null:
            return "nothing";
        case YAML::NodeType::Scalar:
            return fmt::format("'{}'", n.Scalar());
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a mapping";
        default:
            return "an undefined value";
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
            throw InputError(util::Problem{"",
                                           fmt::format("cannot read '{}'", out_.file.string()),
                                           "an mltable input's path must be a folder holding an MLTable file.",
                                           {}});
        } catch (const YAML::ParserException& e) {
            throw InputError(
                util::Problem{fmt::format("{}:{}:{}", out_.file.string(), e.mark.line + 1, e.mark.column + 1),
                              "not valid YAML: " + e.msg,
                              "correct the YAML syntax.",
                              {}},
                InputError::Form::Terminal);
        }
        if (!root.IsMap())
            throw InputError(util::Problem{out_.file.string(),
                                           fmt::format("expected a mapping with `paths:`, got {}", describe(root)),
                                           "write e.g.\n    paths:\n      - file: ./data.csv\n    transformations:\n"
                                           "      - read_delimited:\n          delimiter: ','",
                                           {}},
                             InputError::Form::Terminal);
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
        throw InputError(util::Problem{where(at), fmt::format("{}: {}", key, problem), std::string(fix), {}},
                         InputError::Form::Terminal);
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
            fail(n, key, fmt::format("on-prem jobs take local or shared-filesystem paths, not {}: URIs", m[1].str()),
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
        std::vector<Step> steps;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const YAML::Node item = list[i];
            // `- read_delimited:` (a mapping) or a bare `- read_delimited`.
            const YAML::Node name = item.IsMap() && item.size() == 1 ? item.begin()->first : item;
            const YAML::Node options = item.IsMap() && item.size() == 1 ? item.begin()->second : YAML::Node();
            if (!name.IsScalar())
                fail(item, "transformations", fmt::format("expected one transformation name, got {}", describe(item)),
                     "write each transformation as `- name:` followed by its settings");
            const std::string n = name.Scalar();
            const std::string key = "transformations." + n;
            if (n == "read_delimited" || n == "read_json_lines") {
                if (i != 0)
                    fail(name, key, "a read transformation after other transformations (or a second one)",
                         "keep one read_delimited or read_json_lines, first in the list");
                if (n == "read_delimited")
                    read_delimited(options);
                else
                    read_json_lines(options);
                if (include_path_column_) path_column_ = path_column_name_;
            } else if (n == "read_parquet" || n == "read_delta_lake") {
                fail(name, key,
                     "prs_mpi reads delimited text and JSON lines only (Debian 12 packages no Parquet reader)",
                     "convert the data to CSV or JSON lines (e.g. pandas.read_parquet(...).to_csv(...)) and use "
                     "read_delimited or read_json_lines");
            } else if (std::find(kGlobalSteps.begin(), kGlobalSteps.end(), n) != kGlobalSteps.end()) {
                fail(name, key, "random_split makes two tables; a job reads one",
                     "keep one part with take_random_sample (e.g. probability: 0.8, seed: 1), or split with "
                     "mltable in a step before and give each part its own job");
            } else if (std::find(kSteps.begin(), kSteps.end(), n) != kSteps.end()) {
                steps.push_back({n, name, options});
            } else {
                auto known = kSteps;
                known.insert(known.end(), kGlobalSteps.begin(), kGlobalSteps.end());
                known.insert(known.end(), {"read_delimited", "read_json_lines", "read_parquet", "read_delta_lake"});
                const auto suggestion = config::closest_key(n, known);
                fail(name, key, "unknown transformation",
                     suggestion ? fmt::format("did you mean '{}'?", *suggestion)
                                : fmt::format("use one of {}", fmt::join(known, ", ")));
            }
        }
        const bool reads = out_.format.kind != protocol::InputKind::FileList;
        if (!steps.empty() && !reads)
            fail(steps.front().name, "transformations." + steps.front().kind,
                 "a table of paths has no columns to transform (there is no read transformation)",
                 "put `- read_delimited:` or `- read_json_lines:` first");
        if (!steps.empty()) check_steps(steps);
        // The workers' Python applies the steps, adds the path column and reads UTF-16/32.
        if (reads && (!steps.empty() || include_path_column_ || is_wide_encoding(out_.format.encoding)))
            out_.format.mltable_file = out_.file.string();
    }

    struct Step {
        std::string kind;
        YAML::Node name;
        YAML::Node options;
    };

    // The columns the first file's header names, where rank 0 can know them cheaply.
    std::optional<std::vector<std::string>> header_columns() const {
        const auto& f = out_.format;
        if (f.kind != protocol::InputKind::Delimited || f.header == protocol::InputFormat::Header::NoHeader ||
            is_wide_encoding(f.encoding))
            return std::nullopt;
        try {
            const InputFile first(out_.files.front());
            if (!first.regular()) return std::nullopt;
            auto names = header_names(read_header_row(first, f), f);
            if (!path_column_.empty()) names.insert(names.begin(), path_column_);
            return names;
        } catch (const InputError&) {
            return std::nullopt;  // the workers name the unreadable file
        }
    }

    std::vector<std::string> column_list(const YAML::Node& v, const std::string& key) const {
        std::vector<std::string> columns;
        if (v.IsScalar()) columns.push_back(v.Scalar());
        if (v.IsSequence())
            for (const auto& c : v) columns.push_back(scalar(c, key, "write a column name"));
        if (columns.empty())
            fail(v, key, fmt::format("expected a column name or a list of them, got {}", describe(v)),
                 "write e.g. [col_a, col_b]");
        return columns;
    }

    void check_columns(const std::optional<std::vector<std::string>>& known, const YAML::Node& at,
                       const std::string& key, const std::vector<std::string>& columns) const {
        if (!known) return;
        for (const auto& c : columns)
            if (std::find(known->begin(), known->end(), c) == known->end()) {
                const auto suggestion = config::closest_key(c, *known);
                fail(at, key, fmt::format("column '{}' does not exist here (columns: {})", c, fmt::join(*known, ", ")),
                     suggestion ? fmt::format("did you mean '{}'?", *suggestion)
                                : std::string("name a column of the data or of an earlier transformation"));
            }
    }

    // Checks each step's settings and, where the header is known, the columns they name.
    void check_steps(const std::vector<Step>& steps) {
        std::optional<std::vector<std::string>> columns = header_columns();
        std::string filtered;  // a filter or sample came before: rows can no longer be counted from the files
        for (const auto& step : steps) {
            const std::string key = "transformations." + step.kind;
            const YAML::Node& v = step.options;
            if (step.kind == "drop_columns" || step.kind == "keep_columns") {
                const auto named = column_list(v, key);
                check_columns(columns, v, key, named);
                if (columns && step.kind == "keep_columns") columns = named;
                if (columns && step.kind == "drop_columns")
                    std::erase_if(*columns, [&](const std::string& c) {
                        return std::find(named.begin(), named.end(), c) != named.end();
                    });
            } else if (step.kind == "convert_column_types") {
                check_conversions(v, key, columns);
            } else if (step.kind == "extract_columns_from_partition_format") {
                const YAML::Node text = v.IsMap() ? v["partition_format"] : v;
                if (!text || !text.IsScalar())
                    fail(v.IsMap() ? v : step.name, key + ".partition_format", "missing",
                         "write partition_format: \"{Store}/{Brand}/{file_name}.{extension}\"");
                check_partition_format(text, key + ".partition_format");
                if (columns)
                    for (const auto& c : partition_format_->columns()) columns->push_back(c);
            } else if (step.kind == "filter") {
                check_filter(v, key, columns);
                filtered = "a filter";
            } else if (step.kind == "take_random_sample") {
                check_sample(step, key);
                filtered = "take_random_sample";
            } else {
                read_window_step(step, key, filtered);
            }
        }
    }

    // take / skip: the table's row window, which rank 0 finds by counting rows from the start.
    void read_window_step(const Step& step, const std::string& key, const std::string& filtered) {
        const YAML::Node& v = step.options;
        std::uint64_t n = 0;
        if (!v.IsScalar() || !YAML::convert<std::uint64_t>::decode(v, n))
            fail(v ? v : step.name, key, fmt::format("expected a row count (a whole number >= 0), got {}", describe(v)),
                 fmt::format("write e.g. `- {}: 100`", step.kind));
        const auto& f = out_.format;
        std::string why;
        if (!filtered.empty())
            why = fmt::format("it comes after {}, so rank 0 cannot count its rows from the files", filtered);
        if (f.drop_invalid_lines) why = "with invalid_lines: drop, rank 0 cannot count the valid lines";
        if (is_wide_encoding(f.encoding)) why = fmt::format("rank 0 cannot count rows of {} files", f.encoding);
        if (!why.empty())
            fail(step.name, key, fmt::format("{} counts rows over the whole table, but {}", step.kind, why),
                 "move skip/take before any filter or take_random_sample, or do it in run()");
        out_.window = step.kind == "take" ? out_.window.taken(n) : out_.window.skipped(n);
    }

    // take_random_sample: probability in (0, 1], seed a whole number (default 0: the workers
    // and a resumed run must draw the same sample, so none is picked at random).
    void check_sample(const Step& step, const std::string& key) {
        const YAML::Node& v = step.options;
        const std::string example = "write e.g.\n    - take_random_sample:\n        probability: 0.1\n        seed: 7";
        if (!v.IsMap())
            fail(v ? v : step.name, key, fmt::format("expected probability: and seed:, got {}", describe(v)), example);
        const YAML::Node p = v["probability"];
        if (!p) fail(v, key + ".probability", "missing", example);
        double probability = 0;
        if (!p.IsScalar() || !YAML::convert<double>::decode(p, probability) || !(probability > 0 && probability <= 1))
            fail(p, key + ".probability", fmt::format("expected a number in (0, 1], got {}", describe(p)),
                 "write the fraction of rows to keep, e.g. probability: 0.1 (1 keeps every row)");
        std::int64_t seed = 0;
        if (const YAML::Node s = v["seed"]; s && (!s.IsScalar() || !YAML::convert<std::int64_t>::decode(s, seed)))
            fail(s, key + ".seed", fmt::format("expected a whole number, got {}", describe(s)), "write e.g. seed: 7");
        for (const auto& kv : v) warn_unknown(kv.first, "take_random_sample", {"probability", "seed"});
    }

    void check_conversions(const YAML::Node& v, const std::string& key,
                           const std::optional<std::vector<std::string>>& columns) const {
        static const std::vector<std::string> types = {"int", "float", "boolean", "string", "datetime"};
        const std::string example =
            "write e.g.\n    - convert_column_types:\n        - columns: [a, b]\n"
            "          column_type: int";
        if (!v.IsSequence() || v.size() == 0)
            fail(v, key, fmt::format("expected a list, got {}", describe(v)), example);
        for (const auto& entry : v) {
            if (!entry.IsMap() || !entry["columns"] || !entry["column_type"])
                fail(entry, key, "each entry needs columns: and column_type:", example);
            check_columns(columns, entry["columns"], key + ".columns", column_list(entry["columns"], key + ".columns"));
            const YAML::Node type = entry["column_type"];
            const YAML::Node name = type.IsMap() && type.size() == 1 ? type.begin()->first : type;
            const std::string t = name.IsScalar() ? name.Scalar() : "";
            if (std::find(types.begin(), types.end(), t) == types.end()) {
                const auto suggestion = config::closest_key(t, types);
                fail(name, key + ".column_type",
                     fmt::format("expected int, float, boolean, string or datetime, got {}", describe(name)),
                     suggestion ? fmt::format("did you mean '{}'?", *suggestion) : std::string("write one of them"));
            }
        }
    }

    void check_partition_format(const YAML::Node& text, const std::string& key) {
        try {
            partition_format_.emplace(text.Scalar());
            out_.partition_format = text.Scalar();
        } catch (const InputError& e) {
            fail(text, key, e.what(), "write each column as {name} or {name:yyyy/MM/dd}");
        }
        for (const auto& file : out_.files)
            if (!partition_format_->values(file))
                fail(text, key, fmt::format("'{}' does not match the path '{}'", text.Scalar(), file),
                     "write the format of the paths' tail, e.g. \"{Store}/{Brand}/{file_name}.{extension}\", or "
                     "move the file");
    }

    // Azure's filter expressions: col("name") compared with a number, a string,
    // True/False or datetime(y, m, d[, H, M, S]), joined with and / or / not (& | ~), in
    // parentheses. The workers' Python evaluates them; here each token is checked, so a
    // typo fails before the run.
    void check_filter(const YAML::Node& v, const std::string& key,
                      const std::optional<std::vector<std::string>>& columns) const {
        const std::string text = scalar(v, key, "write e.g. filter: 'col(\"age\") > 30'");
        static const std::regex token(
            R"(\s+|col\(\s*("[^"]*"|'[^']*')\s*\)|datetime\(\s*[0-9]+(\s*,\s*[0-9]+){2,5}\s*\)|"[^"]*"|'[^']*'|)"
            R"(-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|True|False|)"
            R"(==|!=|<=|>=|<|>|and\b|or\b|not\b|&|\||~|\(|\))");
        bool has_col = false;
        for (std::size_t at = 0; at < text.size();) {
            std::smatch m;
            const std::string rest = text.substr(at);
            if (!std::regex_search(rest, m, token, std::regex_constants::match_continuous) || m.length() == 0)
                fail(v, key, fmt::format("cannot evaluate '{}' in the expression '{}'", rest, text),
                     "compare col(\"name\") with a number, a string or True/False (==, !=, <, <=, >, >=), joined "
                     "with and / or / not");
            if (m[1].matched) {
                has_col = true;
                const std::string quoted = m[1].str();
                check_columns(columns, v, key, {quoted.substr(1, quoted.size() - 2)});
            }
            at += static_cast<std::size_t>(m.length());
        }
        if (!has_col)
            fail(v, key, fmt::format("the expression '{}' names no column", text),
                 "write e.g. filter: 'col(\"age\") > 30'");
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
        if (const auto wide = parse_wide_encoding(name)) {
            out_.format.encoding = *wide;
            return;
        }
        fail(value, path, fmt::format("encoding '{}' is not supported (supported: {})", name, supported_encodings()),
             "write one of the supported encodings");
    }

    void read_delimited(const YAML::Node& options) {
        auto& f = out_.format;
        f.kind = protocol::InputKind::Delimited;
        each_option(options, "read_delimited", kDelimitedKeys,
                    [&](const std::string& key, const std::string& path, const YAML::Node&, const YAML::Node& v) {
                        if (key == "delimiter") {
                            std::string d = scalar(v, path, "write delimiter: ','");
                            if (d == "\\t") d = "\t";  // '\t' in single quotes is a backslash and a t
                            if (d.size() != 1 || d == "\"" || d == "\n" || d == "\r")
                                fail(v, path,
                                     fmt::format("expected one character other than a quote or a line "
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
                            include_path_column_ = boolean(v, key);
                        } else if (key == "path_column") {
                            path_column_name_ = scalar(v, path, "write path_column: Path");
                        } else if (key == "infer_column_types") {
                            f.infer_column_types = boolean(v, key);
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
            fail(v, path,
                 "all_files_different_headers is not supported: a mini-batch's DataFrame has one set of "
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
                    [&](const std::string& key, const std::string& path, const YAML::Node&, const YAML::Node& v) {
                        if (key == "encoding") {
                            read_encoding(v, path);
                        } else if (key == "include_path_column") {
                            include_path_column_ = boolean(v, key);
                        } else if (key == "path_column") {
                            path_column_name_ = scalar(v, path, "write path_column: Path");
                        } else if (key == "invalid_lines") {
                            const std::string mode = scalar(v, path, "write invalid_lines: error");
                            if (mode != "error" && mode != "drop")
                                fail(v, path, fmt::format("expected error or drop, got '{}'", mode),
                                     "write invalid_lines: error (fail the mini-batch) or drop (skip the line)");
                            out_.format.drop_invalid_lines = mode == "drop";
                        }
                    });
    }

    fs::path folder_;
    MLTable out_;
    bool include_path_column_ = false;
    std::string path_column_name_ = "Path";
    std::string path_column_;  // the path column's name once the read options are in
    std::optional<PartitionFormat> partition_format_;
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
    if (!table.window.whole()) {
        if (!job.partition_keys.empty())
            throw InputError(util::Problem{table.file.string(),
                                           "skip/take and partition_keys together are not supported: the window "
                                           "would cut groups",
                                           "remove skip/take, or filter in run().",
                                           {}});
        return std::make_unique<ByteRangePartition>(row_window_ranges(table.files, format, table.window), format,
                                                    job.mini_batch_size.value_or(kDefaultTabularBytes));
    }
    if (!job.partition_keys.empty() && table.partition_format && job.major().partition_format.empty()) {
        // Keys among the columns extract_columns_from_partition_format makes come from the paths.
        const PartitionFormat path_format(*table.partition_format);
        const auto& columns = path_format.columns();
        std::vector<std::size_t> at;
        for (const auto& key : job.partition_keys)
            if (const auto it = std::find(columns.begin(), columns.end(), key); it != columns.end())
                at.push_back(static_cast<std::size_t>(it - columns.begin()));
        if (at.size() == job.partition_keys.size()) {
            std::vector<std::vector<std::string>> values;
            for (const auto& file : table.files) {
                const auto all = path_format.values(file);  // every file matched when the MLTable was read
                std::vector<std::string> keys;
                for (const auto i : at) keys.push_back(all->at(i));
                values.push_back(std::move(keys));
            }
            return make_path_values_partition(path_list(table.files), std::move(values), format.kind);
        }
    }
    if (!job.partition_keys.empty()) return make_partition_keys_partition(job, format, path_list(table.files));
    if (format.kind == protocol::InputKind::FileList) return make_file_list_partition(job, path_list(table.files));
    return std::make_unique<ByteRangePartition>(std::move(table.files), format,
                                                job.mini_batch_size.value_or(kDefaultTabularBytes));
}

}  // namespace prs::partition
