#pragma once
// task.program_arguments (v1: arguments): splitting, ${{...}} binding, and the PRS settings
// that Azure reads from them (--error_threshold, --task_overhead_timeout, ...).

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace prs::config {

// Splits `text` the way a POSIX shell splits words, but never runs a shell: blanks separate
// arguments, '...' is literal, "..." honours \" \\ \$ \` escapes, a backslash outside quotes
// escapes the next character. $VAR, globs, ; and | are plain text. A ${{...}} binding
// (outside '...') stays in one piece even with blanks inside the braces.
// Throws JobError on an unterminated quote or a trailing backslash.
std::vector<std::string> split_arguments(std::string_view text);

// The inverse, for display and for turning a v1 argument list into one string:
// quotes `arg` only where split_arguments would otherwise change it.
std::string quote_argument(std::string_view arg);

// The values ${{inputs.X}} and ${{outputs.Y}} stand for.
struct Bindings {
    std::map<std::string, std::string> inputs;
    std::map<std::string, std::string> outputs;
};

// Replaces every ${{inputs.X}} and ${{outputs.Y}} in `text` (blanks inside the braces allowed).
// Throws JobError for a name that is not bound, naming it and the known names, and for any
// other ${{...}} form.
std::string substitute_bindings(std::string_view text, const Bindings& bindings);

// A PRS setting found among the program arguments.
struct PrsFlag {
    std::string name;  // canonical, without dashes: "resource_monitor_interval"
    std::string value;
    std::string as_written;  // "--resource_monitor_interva 20": for messages and --dry-run
};

// The settings Azure's PRS driver takes as program arguments, canonical names without dashes.
const std::vector<std::string>& prs_flag_names();

// Finds the PRS flags in `args` as Python's argparse (allow_abbrev=True, parse_known_args) does:
// `--name value` or `--name=value`, where `name` may be any prefix of exactly one PRS flag;
// an exact name beats prefixes; `--` ends the options. Everything else is the user's and is
// skipped. Throws JobError when a prefix matches several PRS flags (listing them) or a flag
// has no value. Results are in argument order, so a repeated flag's last value wins.
std::vector<PrsFlag> extract_prs_flags(const std::vector<std::string>& args);

}  // namespace prs::config
