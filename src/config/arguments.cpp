// task.program_arguments / v1 arguments: the entry script's sys.argv[1:], and the PRS
// settings Azure reads from them.

#include <fmt/format.h>

#include "forms.hpp"
#include "prs/config/load_job.hpp"
#include "prs/config/program_arguments.hpp"

namespace prs::config::detail {

namespace {

Bindings bindings_of(const JobSpec& spec) {
    Bindings b;
    for (const auto& input : spec.inputs) b.inputs[input.name] = input.path.string();
    for (const auto& value : spec.literal_inputs) b.inputs[value.name] = value.value;
    for (const auto& output : spec.outputs)
        b.outputs[output.name] = output.path.empty() ? "outputs/" + output.name : output.path.string();
    return b;
}

}  // namespace

void bind_program_arguments(JobSpec& spec) {
    const Bindings bindings = bindings_of(spec);
    spec.program_arguments.clear();
    spec.program_arguments_raw.clear();
    // Split first, then bind: a path with blanks stays one argument.
    for (const auto& token : split_arguments(spec.program_arguments_source)) {
        spec.program_arguments.push_back(substitute_bindings(token, bindings));
        spec.program_arguments_raw +=
            (spec.program_arguments_raw.empty() ? "" : " ") + quote_argument(spec.program_arguments.back());
    }
}

void read_program_arguments(const JobFile& file, const Field& arguments, JobSpec& spec) {
    if (arguments.value.IsSequence()) {
        std::string source;
        for (const auto& item : arguments.value) {
            if (!item.IsScalar())
                file.fail(item, arguments.path, "expected a list of strings",
                          "write each argument as a string, e.g. [\"--model\", \"./model\"]");
            source += (source.empty() ? "" : " ") + quote_argument(item.Scalar());
        }
        spec.program_arguments_source = source;
    } else if (arguments.value.IsNull()) {
        spec.program_arguments_source.clear();
    } else {
        spec.program_arguments_source = file.text(arguments);
    }
    spec.origins["task.program_arguments"] = file.origin(arguments);

    try {
        bind_program_arguments(spec);
    } catch (const JobError& e) {
        file.fail(arguments, e.what(),
                  "declare the input or output under inputs:/outputs:, use one of the names above, and close every "
                  "quote");
    }

    std::vector<PrsFlag> flags;
    try {
        flags = extract_prs_flags(spec.program_arguments);
    } catch (const JobError& e) {
        file.fail(arguments, e.what(),
                  "write the PRS flag in full (e.g. --resource_monitor_interval 20), or rename your own flag so it "
                  "is not a prefix of a PRS flag");
    }
    for (const PrsFlag& flag : flags) {
        try {
            apply_setting(spec, flag.name, flag.value, Origin{Origin::Kind::ProgramArgument, flag.as_written});
        } catch (const ValueError& e) {
            const std::string abbreviation =
                flag.as_written.starts_with("--" + flag.name) ? "" : fmt::format(" (read as --{})", flag.name);
            file.fail(arguments,
                      fmt::format("{}{}: expected {}, got '{}'", flag.as_written, abbreviation, e.expected, flag.value),
                      e.fix);
        }
    }
}

}  // namespace prs::config::detail
