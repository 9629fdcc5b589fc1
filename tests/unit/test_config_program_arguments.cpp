#include <gtest/gtest.h>

#include "prs/config/load_job.hpp"
#include "prs/config/program_arguments.hpp"

namespace prs::config {
namespace {

using Args = std::vector<std::string>;

#define EXPECT_HAS(haystack, needle) EXPECT_PRED_FORMAT2(::testing::IsSubstring, needle, haystack)

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const JobError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no JobError";
    return {};
}

TEST(ProgramArgs, SplitsLikeAShellWithoutRunningOne) {
    EXPECT_EQ(split_arguments(R"(a "b c" 'd e' f\ g "h\"i" '' x)"), (Args{"a", "b c", "d e", "f g", "h\"i", "", "x"}));
    EXPECT_EQ(split_arguments("  --model\t./m \n --n 3 "), (Args{"--model", "./m", "--n", "3"}));
    EXPECT_EQ(split_arguments(R"('a'"b"c)"), (Args{"abc"}));  // adjacent pieces join
    EXPECT_EQ(split_arguments(R"('$HOME' "\$x" *.py ;)"), (Args{"$HOME", "$x", "*.py", ";"}));
    EXPECT_EQ(split_arguments(R"("a\nb")"), (Args{"a\\nb"}));  // \n is no escape inside "..."
    EXPECT_EQ(split_arguments(""), (Args{}));
}

TEST(ProgramArgs, KeepsABindingWithBlanksInOnePiece) {
    EXPECT_EQ(split_arguments("--model ${{ inputs.score_model }} --x"),
              (Args{"--model", "${{ inputs.score_model }}", "--x"}));
}

TEST(ProgramArgs, RefusesUnterminatedQuotes) {
    EXPECT_HAS(error_of([] { split_arguments("--name 'abc"); }), "unterminated ' quote");
    EXPECT_HAS(error_of([] { split_arguments(R"(--name "abc)"); }), "unterminated \" quote");
    EXPECT_HAS(error_of([] { split_arguments("abc\\"); }), "trailing backslash");
}

TEST(ProgramArgs, QuoteArgumentRoundTrips) {
    for (const std::string arg : {"plain", "two words", "it's", "", "a\"b", "back\\slash", "--x=/a b/c"}) {
        EXPECT_EQ(split_arguments(quote_argument(arg)), (Args{arg})) << arg;
    }
    EXPECT_EQ(quote_argument("plain"), "plain");
    EXPECT_EQ(quote_argument("two words"), "'two words'");
}

TEST(ProgramArgs, SubstitutesInputsAndOutputs) {
    const Bindings b{{{"score_model", "/data/model"}, {"input_data", "/data/in"}}, {{"out", "/runs/out"}}};
    EXPECT_EQ(substitute_bindings("--model=${{inputs.score_model}}/v1", b), "--model=/data/model/v1");
    EXPECT_EQ(substitute_bindings("${{ outputs.out }}", b), "/runs/out");
    EXPECT_EQ(substitute_bindings("no bindings here", b), "no bindings here");
    EXPECT_EQ(substitute_bindings("${{inputs.input_data}}:${{outputs.out}}", b), "/data/in:/runs/out");
}

TEST(ProgramArgs, UnknownBindingNamesItAndTheKnownNames) {
    const Bindings b{{{"score_model", "/m"}, {"input_data", "/d"}}, {}};
    const std::string e = error_of([&] { substitute_bindings("--model ${{inputs.modle}}", b); });
    EXPECT_HAS(e, "'modle'");
    EXPECT_HAS(e, "input_data, score_model");
    EXPECT_HAS(error_of([&] { substitute_bindings("${{outputs.result}}", b); }), "declares no outputs");
    EXPECT_HAS(error_of([&] { substitute_bindings("${{parent.inputs.x}}", b); }),
               "${{parent.inputs.x}} is not a binding");
    EXPECT_HAS(error_of([&] { substitute_bindings("${{inputs.x", b); }), "never closed");
}

TEST(ProgramArgs, FindsPrsFlagsByArgparsePrefixes) {
    const auto flags = extract_prs_flags({"--model", "/m", "--resource_monitor_interva", "20", "--error_threshold=5",
                                          "--copy_logs_to_parent", "True", "--epochs", "3"});
    ASSERT_EQ(flags.size(), 3u);
    EXPECT_EQ(flags[0].name, "resource_monitor_interval");
    EXPECT_EQ(flags[0].value, "20");
    EXPECT_EQ(flags[0].as_written, "--resource_monitor_interva 20");
    EXPECT_EQ(flags[1].name, "error_threshold");
    EXPECT_EQ(flags[1].value, "5");
    EXPECT_EQ(flags[1].as_written, "--error_threshold=5");
    EXPECT_EQ(flags[2].name, "copy_logs_to_parent");
    EXPECT_EQ(flags[2].value, "True");
}

TEST(ProgramArgs, TakesNegativeNumbersAsValuesAndStopsAtDoubleDash) {
    const auto flags = extract_prs_flags({"--error_threshold", "-1", "--", "--allowed_failed_percent", "5"});
    ASSERT_EQ(flags.size(), 1u);
    EXPECT_EQ(flags[0].value, "-1");
}

TEST(ProgramArgs, RepeatedFlagsKeepArgumentOrder) {
    const auto flags = extract_prs_flags({"--timeout_x", "--task_overhead_timeout", "1", "--task_over", "2"});
    ASSERT_EQ(flags.size(), 2u);
    EXPECT_EQ(flags[1].value, "2");
}

TEST(ProgramArgs, AmbiguousPrefixListsTheCandidates) {
    const std::string e = error_of([] { extract_prs_flags({"--pro", "5"}); });
    EXPECT_HAS(e, "ambiguous option --pro");
    EXPECT_HAS(e, "--progress_update_timeout");
    EXPECT_HAS(e, "--profiling_module");
}

TEST(ProgramArgs, FlagWithoutValueIsAnError) {
    EXPECT_HAS(error_of([] { extract_prs_flags({"--error_threshold"}); }), "--error_threshold expects a value");
    EXPECT_HAS(error_of([] {
                   extract_prs_flags({"--first_task", "--model", "x"});
               }),
               "--first_task (taken as --first_task_creation_timeout) expects a value");
}

}  // namespace
}  // namespace prs::config
