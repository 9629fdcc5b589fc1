// Every problem in a job file is named with file:line:column, the key, what was expected,
// what was found and a fix; misspelt keys get a warning with the closest known key.

#include <algorithm>

#include "test_config_fixture.hpp"

namespace prs::config::testing {
namespace {

#define EXPECT_HAS(haystack, needle) EXPECT_PRED_FORMAT2(::testing::IsSubstring, needle, haystack)

class ConfigErrors : public JobDir {
protected:
    // A valid job whose line `from` is replaced by `to`.
    std::string error_with(const std::string& from, const std::string& to) {
        std::string text = kJob;
        const auto at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), to);
        write("job.yml", text);
        return error_of("job.yml");
    }
    JobSpec load_with(const std::string& from, const std::string& to) {
        std::string text = kJob;
        text.replace(text.find(from), from.size(), to);
        write("job.yml", text);
        return load("job.yml");
    }

    static constexpr const char* kJob = R"(type: parallel
inputs:
  data:
    type: uri_folder
    path: ./mnist
  model: {type: uri_folder, path: ./iris-model}
input_data: ${{inputs.data}}
retry_settings:
  timeout: 60
logging_level: info
task:
  code: ./script
  entry_script: iris_prediction.py
  program_arguments: --model ${{inputs.model}}
)";
};

TEST_F(ConfigErrors, TheBaseJobLoads) {
    const JobSpec spec = load_with("", "");
    EXPECT_EQ(spec.logging_level, "INFO");  // any case, stored upper-case
    EXPECT_TRUE(spec.warnings.empty());
}

TEST_F(ConfigErrors, BadValueNamesPositionKeyExpectedFoundAndFix) {
    const std::string e = error_with("timeout: 60", "timeout: abc");
    EXPECT_HAS(e, "job.yml:9:12: error: retry_settings.timeout: expected an integer in (0, 259200], got 'abc'.");
    EXPECT_HAS(e, "\n  Fix: give a whole number in (0, 259200]");
}

TEST_F(ConfigErrors, RangesAreTheSeeds) {
    EXPECT_HAS(error_with("timeout: 60", "timeout: 0"),
               "retry_settings.timeout: expected an integer in (0, 259200], got '0'");
    EXPECT_HAS(error_with("timeout: 60", "timeout: 259201"), "got '259201'");
    EXPECT_EQ(load_with("timeout: 60", "timeout: 259200").timeout, 259200);
    EXPECT_HAS(error_with("timeout: 60", "max_retries: -1"),
               "job.yml:9:16: error: retry_settings.max_retries: expected an integer in [0, 2147483647], got '-1'");
    EXPECT_HAS(error_with("logging_level: info", "mini_batch_error_threshold: -2"),
               "mini_batch_error_threshold: expected an integer in [-1, 2147483647], got '-2'");
    EXPECT_HAS(error_with("logging_level: info", "resources: {instance_count: 0}"),
               "resources.instance_count: expected an integer in [1, 2147483647], got '0'");
    EXPECT_HAS(error_with("logging_level: info", "max_concurrency_per_instance: many"),
               "max_concurrency_per_instance: expected an integer in [1, 1024], got 'many'");
    // 100,000 workers on one node tried to start 100,000 Pythons.
    EXPECT_HAS(error_with("logging_level: info", "max_concurrency_per_instance: 100000"),
               "job.yml:10:31: error: max_concurrency_per_instance: expected an integer in [1, 1024], got '100000'");
    EXPECT_EQ(load_with("logging_level: info", "max_concurrency_per_instance: 1024").max_concurrency_per_instance,
              1024);
    EXPECT_HAS(error_with("logging_level: info", "logging_level: verbose"),
               "job.yml:10:16: error: logging_level: expected INFO, WARNING or DEBUG, got 'verbose'");
    EXPECT_HAS(error_with("logging_level: info", "mini_batch_size: 10kib"),
               "job.yml:10:18: error: mini_batch_size: expected a positive number of files");
    EXPECT_HAS(error_with("logging_level: info", "is_deterministic: maybe"),
               "is_deterministic: expected true or false");
    EXPECT_HAS(error_with("logging_level: info", "output_order: random"), "output_order: expected completion or input");
}

TEST_F(ConfigErrors, ProgramArgumentValuesAreValidatedWithTheirPosition) {
    const std::string e = error_with("--model ${{inputs.model}}", "--model ${{inputs.model}} --allowed_failed 130");
    EXPECT_HAS(e,
               "job.yml:14:22: error: task.program_arguments: --allowed_failed 130 (read as "
               "--allowed_failed_percent): expected an integer in [0, 100], got '130'");
    EXPECT_HAS(e, "Fix:");
    EXPECT_HAS(error_with("--model ${{inputs.model}}", "--copy_logs_to_parent maybe"),
               "--copy_logs_to_parent maybe: expected true or false");
}

TEST_F(ConfigErrors, AmbiguousProgramArgumentPrefix) {
    const std::string e = error_with("--model ${{inputs.model}}", "--pro 5");
    EXPECT_HAS(e, "job.yml:14:22: error: task.program_arguments: ambiguous option --pro");
    EXPECT_HAS(e, "--progress_update_timeout, --profiling_module");
}

TEST_F(ConfigErrors, UnknownBindingListsTheDeclaredNames) {
    const std::string e = error_with("${{inputs.model}}", "${{inputs.modle}}");
    EXPECT_HAS(e,
               "job.yml:14:22: error: task.program_arguments: ${{inputs.modle}} names input 'modle', which the job "
               "does not declare; the inputs are: data, model");
    EXPECT_HAS(error_with("input_data: ${{inputs.data}}", "input_data: ${{inputs.dta}}"),
               "job.yml:7:13: error: input_data: ${{inputs.dta}} names no data input of this job");
    EXPECT_HAS(error_with("input_data: ${{inputs.data}}", "input_data: ./mnist"),
               "input_data: expected ${{inputs.NAME}}, got './mnist'");
}

TEST_F(ConfigErrors, SyntaxErrorsUseYamlCppsPosition) {
    write("job.yml", "type: parallel\ninputs: [a, b\ntask: x\n");
    const std::string e = error_of("job.yml");
    EXPECT_HAS(e, "job.yml:3:");
    EXPECT_HAS(e, ": error: invalid YAML: ");
    EXPECT_HAS(e, "Fix:");
}

TEST_F(ConfigErrors, MisspeltKeysWarnWithTheClosestKey) {
    const JobSpec spec = load_with("logging_level: info", "mini_batch_sise: 10\nretry_settings_: {}");
    ASSERT_EQ(spec.warnings.size(), 2u);
    EXPECT_HAS(spec.warnings[0],
               "job.yml:10:1: warning: unknown key 'mini_batch_sise'; did you mean 'mini_batch_size'?");
    EXPECT_HAS(spec.warnings[1],
               "job.yml:11:1: warning: unknown key 'retry_settings_'; did you mean 'retry_settings'?");
}

TEST_F(ConfigErrors, NestedAndMisplacedKeysWarnToo) {
    const JobSpec spec = load_with("  timeout: 60", "  timout: 60\ntimeout: 30\nfrobnicate: 1");
    ASSERT_EQ(spec.warnings.size(), 3u);
    EXPECT_HAS(spec.warnings[0],
               "job.yml:10:1: warning: unknown key 'timeout'; did you mean 'retry_settings.timeout'?");
    EXPECT_HAS(spec.warnings[1], "job.yml:11:1: warning: unknown key 'frobnicate' is ignored");
    EXPECT_HAS(spec.warnings[2],
               "job.yml:9:3: warning: unknown key 'timout' under 'retry_settings'; did you mean 'timeout'?");
    EXPECT_EQ(spec.timeout, 60);  // misplaced keys do not set anything
}

TEST_F(ConfigErrors, KnownButIgnoredKeysAreQuiet) {
    const JobSpec spec =
        load_with("logging_level: info", "compute: azureml:cpu-cluster\ntags: {a: b}\nexperiment_name: x\nversion: 1");
    EXPECT_TRUE(spec.warnings.empty());
}

TEST_F(ConfigErrors, RemotePathsAreRefused) {
    // A registered data asset has its own error: it can be given a local copy with --data.
    const std::string asset = error_with("path: ./mnist", "path: azureml:iris:1");
    EXPECT_HAS(asset, "job.yml:5:11: error: path: data asset azureml:iris:1 lives in an Azure workspace");
    EXPECT_HAS(asset, "pass --data iris:1=/path/to/it");
    for (const char* uri : {"https://host/data", "wasbs://c@a.blob.core.windows.net/d",
                            "abfss://c@a.dfs.core.windows.net/d", "adl://a/d", "http://host/d"}) {
        const std::string e = error_with("path: ./mnist", std::string("path: ") + uri);
        EXPECT_HAS(e, "job.yml:5:11: error: inputs.data.path: expected a local or shared-filesystem path");
        EXPECT_HAS(e, "on-prem jobs take local or shared-filesystem paths");
    }
}

TEST_F(ConfigErrors, MissingInputPathNamesWhereItLooked) {
    const std::string e = error_with("path: ./mnist", "path: ./nowhere");
    EXPECT_HAS(e, "job.yml:5:11: error: inputs.data.path: expected an existing folder, but " +
                      (dir() / "nowhere").string() + " does not exist");
    EXPECT_HAS(error_with("type: uri_folder\n    path: ./mnist", "type: uri_file\n    path: ./mnist"),
               "type uri_file needs a file, but " + (dir() / "mnist").string() + " is a folder");
    EXPECT_HAS(error_with("type: uri_folder\n    path: ./mnist", "type: mltable\n    path: ./mnist"),
               "type mltable needs a folder with an MLTable file");
    EXPECT_HAS(error_with("type: uri_folder\n    path: ./mnist", "type: parquet\n    path: ./mnist"),
               "inputs.data.type: expected uri_folder, uri_file, mltable or hdf5");
    EXPECT_HAS(error_with("type: uri_folder\n    path: ./mnist", "type: hdf5\n    path: ./mnist"),
               "a type: hdf5 input needs the datasets to read");
}

TEST_F(ConfigErrors, EntryScriptMustExistInsideCode) {
    EXPECT_HAS(error_with("entry_script: iris_prediction.py", "entry_script: score.py"),
               "job.yml:13:17: error: task.entry_script: expected the entry script file " +
                   (dir() / "script" / "score.py").string() + ", but it does not exist");
    EXPECT_HAS(error_with("entry_script: iris_prediction.py", "entry_script: ../v1.yml"),
               "task.entry_script: the entry script must be inside the code folder");
    EXPECT_HAS(error_with("code: ./script", "code: ./scripts"),
               "job.yml:12:9: error: task.code: expected an existing folder");
}

TEST_F(ConfigErrors, MissingRequiredKeys) {
    EXPECT_HAS(error_with("input_data: ${{inputs.data}}\n", ""),
               "job.yml:1:1: error: input_data: the major input is missing");
    EXPECT_HAS(error_with("  entry_script: iris_prediction.py\n", ""), "task.entry_script is missing");
    write("v1.yml", "entry_script: script/iris_prediction.py\n");
    EXPECT_HAS(error_of("v1.yml"), "v1.yml:1:1: error: inputs: the input to split is missing");
}

TEST_F(ConfigErrors, AnErrorShowsTheMisspeltKeyThatCausedIt) {
    const std::string e = error_with("  entry_script: iris_prediction.py", "  entry_scrpt: iris_prediction.py");
    EXPECT_HAS(e, "task.entry_script is missing");
    EXPECT_HAS(e, "\n" + (dir() / "job.yml").string() +
                      ":13:3: warning: unknown key 'entry_scrpt' under 'task'; did you mean 'entry_script'?");
}

TEST_F(ConfigErrors, OtherJobTypesAndShapes) {
    EXPECT_HAS(error_with("type: parallel", "type: command"),
               "job.yml:1:7: error: type: expected parallel or pipeline, got 'command'");
    EXPECT_HAS(error_with("type: parallel", "description: no type"), "cannot tell what kind of job this is");
    EXPECT_HAS(error_with("logging_level: info", "logging_level: debug\nlogging_level: info"),
               "job.yml:11:1: error: logging_level: key given twice (first at ");
    EXPECT_HAS(error_with("retry_settings:\n  timeout: 60", "retry_settings: 60"),
               "job.yml:8:17: error: retry_settings: expected a mapping");
    write("empty.yml", "");
    EXPECT_HAS(error_of("empty.yml"), "the job file is empty");
    EXPECT_HAS(error_of("missing.yml"), "cannot read job file");
}

TEST_F(ConfigErrors, CommandLineOverrideValuesAreChecked) {
    write("job.yml", kJob);
    EXPECT_EQ(error_of("job.yml", {{"timeout", "-5"}}),
              "prs_mpi: --timeout: expected an integer in (0, 259200], got '-5'.\n  Fix: give a whole number in (0, "
              "259200], e.g. 300 (seconds)");
    EXPECT_HAS(error_of("job.yml", {{"copy_logs_to_parent", "yes please"}}),
               "--copy_logs_to_parent: expected true or false");
}

TEST_F(ConfigErrors, EnvironmentImageIsOneInfoLine) {
    const JobSpec spec =
        load_with("  program_arguments",
                  "  environment:\n    image: mcr.microsoft.com/x\n    conda_file: ./env.yml\n  program_arguments");
    ASSERT_EQ(spec.warnings.size(), 1u);
    EXPECT_HAS(spec.warnings[0], "job.yml:14:3: info: task.environment (image, conda_file) is not used");
}

}  // namespace
}  // namespace prs::config::testing
