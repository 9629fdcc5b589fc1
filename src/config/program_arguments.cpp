#include "prs/config/program_arguments.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "prs/config/load_job.hpp"

namespace prs::config {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string join_names(const std::map<std::string, std::string>& names) {
    std::string out;
    for (const auto& [name, value] : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

// argparse's test for "this token is a value, not an option": it does not start with '-',
// or it is a negative number.
bool looks_like_value(std::string_view token) {
    if (token.empty() || token.front() != '-') return true;
    std::string_view rest = token.substr(1);
    if (rest.empty()) return true;  // "-" alone is a positional (stdin by convention)
    bool digit = false, dot = false;
    for (char c : rest) {
        if (std::isdigit(static_cast<unsigned char>(c)))
            digit = true;
        else if (c == '.' && !dot)
            dot = true;
        else
            return false;
    }
    return digit;
}

}  // namespace

std::vector<std::string> split_arguments(std::string_view text) {
    std::vector<std::string> args;
    std::string word;
    bool in_word = false;  // distinguishes '' (an empty argument) from no argument
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (is_blank(c)) {
            if (in_word) args.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else if (text.substr(i, 3) == "${{") {
            // A binding stays one piece even when written with blanks: `${{ inputs.x }}`.
            const std::size_t close = text.find("}}", i + 3);
            const std::size_t end = close == std::string_view::npos ? text.size() : close + 2;
            word.append(text.substr(i, end - i));
            i = end - 1;
            in_word = true;
        } else if (c == '\'') {
            const std::size_t close = text.find('\'', i + 1);
            if (close == std::string_view::npos)
                throw JobError(fmt::format("unterminated ' quote at character {} of '{}'", i + 1, text));
            word.append(text.substr(i + 1, close - i - 1));
            i = close;
            in_word = true;
        } else if (c == '"') {
            std::size_t j = i + 1;
            for (; j < text.size() && text[j] != '"'; ++j) {
                if (text[j] == '\\' && j + 1 < text.size() &&
                    (text[j + 1] == '"' || text[j + 1] == '\\' || text[j + 1] == '$' || text[j + 1] == '`')) {
                    word += text[++j];
                } else if (text[j] == '\\' && j + 1 < text.size() && text[j + 1] == '\n') {
                    ++j;  // line continuation
                } else {
                    word += text[j];
                }
            }
            if (j >= text.size())
                throw JobError(fmt::format("unterminated \" quote at character {} of '{}'", i + 1, text));
            i = j;
            in_word = true;
        } else if (c == '\\') {
            if (i + 1 >= text.size()) throw JobError(fmt::format("trailing backslash in '{}' escapes nothing", text));
            if (text[i + 1] != '\n') {
                word += text[i + 1];
                in_word = true;
            }
            ++i;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (in_word) args.push_back(std::move(word));
    return args;
}

std::string quote_argument(std::string_view arg) {
    const bool plain = !arg.empty() && std::none_of(arg.begin(), arg.end(), [](char c) {
        return is_blank(c) || c == '\'' || c == '"' || c == '\\';
    });
    if (plain) return std::string(arg);
    std::string out = "'";
    for (char c : arg) {
        if (c == '\'')
            out += "'\\''";  // close, escaped quote, reopen
        else
            out += c;
    }
    return out + "'";
}

std::string substitute_bindings(std::string_view text, const Bindings& bindings) {
    std::string out;
    std::size_t pos = 0;
    while (true) {
        const std::size_t open = text.find("${{", pos);
        if (open == std::string_view::npos) break;
        out.append(text.substr(pos, open - pos));
        const std::size_t close = text.find("}}", open + 3);
        if (close == std::string_view::npos)
            throw JobError(
                fmt::format("'{}' opens a ${{{{...}}}} binding that is never closed with }}}}", text.substr(open)));
        const std::string_view expr = text.substr(open, close + 2 - open);
        const std::string_view inner = trim(text.substr(open + 3, close - open - 3));
        const std::size_t dot = inner.find('.');
        const std::string_view kind = inner.substr(0, dot);
        const std::string_view name = dot == std::string_view::npos ? std::string_view{} : inner.substr(dot + 1);
        const bool well_formed = (kind == "inputs" || kind == "outputs") && !name.empty() &&
                                 std::all_of(name.begin(), name.end(), is_name_char);
        if (!well_formed)
            throw JobError(
                fmt::format("{} is not a binding prs_mpi can fill here; only ${{{{inputs.NAME}}}} and "
                            "${{{{outputs.NAME}}}} are",
                            expr));
        const auto& table = kind == "inputs" ? bindings.inputs : bindings.outputs;
        const auto found = table.find(std::string(name));
        if (found == table.end()) {
            const std::string singular = kind == "inputs" ? "input" : "output";
            throw JobError(table.empty()
                               ? fmt::format("{} names {} '{}', but the job declares no {}", expr, singular, name, kind)
                               : fmt::format("{} names {} '{}', which the job does not declare; the {} are: {}", expr,
                                             singular, name, kind, join_names(table)));
        }
        out += found->second;
        pos = close + 2;
    }
    out.append(text.substr(pos));
    return out;
}

const std::vector<std::string>& prs_flag_names() {
    static const std::vector<std::string> names = {
        "error_threshold",
        "allowed_failed_percent",
        "task_overhead_timeout",
        "progress_update_timeout",
        "first_task_creation_timeout",
        "copy_logs_to_parent",
        "resource_monitor_interval",
        "profiling_module",
        "append_row_dataframe_header",
        "isolate_failed_items",
        "prefetch_mini_batches",
    };
    return names;
}

std::vector<PrsFlag> extract_prs_flags(const std::vector<std::string>& args) {
    const auto& names = prs_flag_names();
    std::vector<PrsFlag> found;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& token = args[i];
        if (token == "--") break;
        if (token.size() < 3 || token.compare(0, 2, "--") != 0) continue;

        const std::size_t eq = token.find('=');
        const std::string written = token.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        std::vector<std::string> matches;
        if (std::find(names.begin(), names.end(), written) != names.end()) {
            matches.push_back(written);
        } else {
            for (const auto& name : names)
                if (name.compare(0, written.size(), written) == 0) matches.push_back(name);
        }
        if (matches.empty()) continue;  // the user's own flag
        if (matches.size() > 1) {
            std::string list;
            for (const auto& m : matches) list += (list.empty() ? "--" : ", --") + m;
            throw JobError(
                fmt::format("ambiguous option --{}: it could be {} (PRS settings accept any unambiguous "
                            "prefix, as Python's argparse does)",
                            written, list));
        }

        PrsFlag flag{matches.front(), {}, {}};
        if (eq != std::string::npos) {
            flag.value = token.substr(eq + 1);
            flag.as_written = token;
        } else if (i + 1 < args.size() && looks_like_value(args[i + 1])) {
            flag.value = args[++i];
            flag.as_written = token + " " + quote_argument(flag.value);
        } else {
            const std::string taken = written == flag.name ? "" : fmt::format(" (taken as --{})", flag.name);
            throw JobError(fmt::format("--{}{} expects a value, e.g. --{} VALUE", written, taken, flag.name));
        }
        found.push_back(std::move(flag));
    }
    return found;
}

}  // namespace prs::config
