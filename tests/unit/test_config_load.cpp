// load_job on the seed documents' examples, the pipeline and v1 forms, and the precedence of
// command line > program_arguments > job file > default.

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "prs/config/describe.hpp"
#include "test_config_fixture.hpp"

namespace prs::config::testing {
namespace {

#define EXPECT_HAS(haystack, needle) EXPECT_PRED_FORMAT2(::testing::IsSubstring, needle, haystack)

using Args = std::vector<std::string>;

class ConfigLoad : public JobDir {};

std::string all_warnings(const JobSpec& spec) {
    std::string out;
    for (const auto& w : spec.warnings) out += w + "\n";
    return out;
}

// What the seed's parallel step resolves to, whichever form carries it.
void expect_seed_step(const JobSpec& spec, const fs::path& dir) {
    ASSERT_EQ(spec.inputs.size(), 2u);
    EXPECT_EQ(spec.inputs[0].name, "input_data");
    EXPECT_EQ(spec.inputs[0].type, InputType::MLTable);
    EXPECT_EQ(spec.inputs[0].path, dir / "neural-iris-mltable");
    EXPECT_EQ(spec.inputs[0].mode, "direct");
    EXPECT_EQ(spec.inputs[1].name, "score_model");
    EXPECT_EQ(spec.inputs[1].type, InputType::UriFolder);
    EXPECT_EQ(spec.inputs[1].path, dir / "iris-model");
    EXPECT_EQ(spec.major_input, "input_data");
    EXPECT_EQ(&spec.major(), &spec.inputs[0]);

    ASSERT_EQ(spec.outputs.size(), 1u);
    EXPECT_EQ(spec.outputs[0].name, "job_output_file");
    EXPECT_EQ(spec.outputs[0].type, OutputType::UriFile);
    EXPECT_TRUE(spec.outputs[0].path.empty());
    EXPECT_EQ(spec.append_row_file, fs::path("outputs/job_output_file"));  // relative: the run dir decides

    EXPECT_EQ(spec.mini_batch_size, 10u * 1024);
    EXPECT_TRUE(spec.mini_batch_size_has_unit);
    EXPECT_EQ(spec.instance_count, 2);
    EXPECT_EQ(spec.max_concurrency_per_instance, 2);
    EXPECT_EQ(spec.logging_level, "DEBUG");
    EXPECT_EQ(spec.mini_batch_error_threshold, 5);
    EXPECT_EQ(spec.max_retries, 2);
    EXPECT_EQ(spec.timeout, 60);
    EXPECT_EQ(spec.code_dir, dir / "script");
    EXPECT_EQ(spec.entry_script, dir / "script" / "iris_prediction.py");

    // The settings Azure reads from program_arguments, including the seed's abbreviation.
    EXPECT_EQ(spec.error_threshold, 5);
    EXPECT_EQ(spec.allowed_failed_percent, 30);
    EXPECT_EQ(spec.task_overhead_timeout, 1200);
    EXPECT_EQ(spec.progress_update_timeout, 600);
    EXPECT_EQ(spec.first_task_creation_timeout, 600);
    EXPECT_TRUE(spec.copy_logs_to_parent);
    EXPECT_EQ(spec.resource_monitor_interval, 20);
    EXPECT_EQ(spec.origins.at("resource_monitor_interval").kind, Origin::Kind::ProgramArgument);
    EXPECT_EQ(spec.origins.at("resource_monitor_interval").detail, "--resource_monitor_interva 20");
    EXPECT_EQ(spec.origins.at("progress_update_timeout").kind, Origin::Kind::ProgramArgument);

    // The script sees all of program_arguments, PRS flags included, with the binding filled in.
    const Args expected = {"--model",
                           (dir / "iris-model").string(),
                           "--error_threshold",
                           "5",
                           "--allowed_failed_percent",
                           "30",
                           "--task_overhead_timeout",
                           "1200",
                           "--progress_update_timeout",
                           "600",
                           "--first_task_creation_timeout",
                           "600",
                           "--copy_logs_to_parent",
                           "True",
                           "--resource_monitor_interva",
                           "20"};
    EXPECT_EQ(spec.program_arguments, expected);

    // Only the one environment line: compute, mode, image... are known and quietly ignored.
    ASSERT_EQ(spec.warnings.size(), 1u) << all_warnings(spec);
    EXPECT_HAS(spec.warnings[0], ": info: ");
    EXPECT_HAS(spec.warnings[0], "name, version, image, conda_file");
}

TEST_F(ConfigLoad, SeedParallelStepLoadsAsWritten) {
    const JobSpec spec = load(copy_data("seed_parallel_step.yml").filename());
    EXPECT_EQ(spec.form, JobForm::Pipeline);
    EXPECT_EQ(spec.job_name, "batch_prediction");
    expect_seed_step(spec, dir());
    EXPECT_HAS(spec.warnings[0], "seed_parallel_step.yml:35:5: info: batch_prediction.task.environment");
}

TEST_F(ConfigLoad, SeedPipelineLoadsAsWritten) {
    const JobSpec spec = load(copy_data("seed_pipeline.yml").filename());
    EXPECT_EQ(spec.form, JobForm::Pipeline);
    EXPECT_EQ(spec.job_name, "batch_prediction");
    EXPECT_EQ(spec.display_name, "iris-batch-prediction-using-parallel");
    EXPECT_EQ(spec.description, "The hello world pipeline job with inline parallel job");
    expect_seed_step(spec, dir());
    EXPECT_EQ(spec.origins.at("retry_settings.timeout").kind, Origin::Kind::Yaml);
    EXPECT_HAS(spec.origins.at("retry_settings.timeout").detail, "seed_pipeline.yml:42:16");
}

TEST_F(ConfigLoad, PipelineKeysOfAzuresSchemaAreNeverUnknownWhenOneStepIsRead) {
    std::ifstream in(copy_data("seed_pipeline.yml"));
    const std::string seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    write("with_keys.yml", "properties: {a: b}\nidentity: {type: managed}\nservices: {}\n" + seed);
    const JobSpec spec = load("with_keys.yml");
    EXPECT_EQ(spec.job_name, "batch_prediction");
    for (const auto& w : spec.warnings)
        for (const char* key : {"properties", "identity", "services"}) EXPECT_EQ(w.find(key), std::string::npos) << w;
}

TEST_F(ConfigLoad, SeedStepWithoutProgramArgumentsKeepsDefaults) {
    const JobSpec spec = load(copy_data("seed_parallel_step_minimal.yml").filename());
    EXPECT_EQ(spec.error_threshold, -1);
    EXPECT_EQ(spec.allowed_failed_percent, 100);
    EXPECT_EQ(spec.task_overhead_timeout, 600);
    EXPECT_EQ(spec.first_task_creation_timeout, 600);
    EXPECT_EQ(spec.resource_monitor_interval, 600);
    EXPECT_FALSE(spec.copy_logs_to_parent);
    EXPECT_FALSE(spec.append_row_file);  // no append_row_to: summary_only
    EXPECT_TRUE(spec.program_arguments.empty());
    EXPECT_EQ(spec.origins.at("error_threshold").kind, Origin::Kind::Default);
    EXPECT_EQ(spec.progress_update_timeout, 3 * (60 + 600));
    EXPECT_EQ(spec.origins.at("progress_update_timeout").kind, Origin::Kind::Computed);
}

TEST_F(ConfigLoad, TopLevelParallelJob) {
    const JobSpec spec = load(copy_data("parallel.yml").filename());
    EXPECT_EQ(spec.form, JobForm::Parallel);
    EXPECT_EQ(spec.job_name, "iris_batch");
    EXPECT_EQ(spec.job_file, dir() / "parallel.yml");
    expect_seed_step(spec, dir());
    EXPECT_HAS(spec.origins.at("retry_settings.timeout").detail, "parallel.yml:29:12");
    EXPECT_HAS(spec.origins.at("mini_batch_size").detail, "parallel.yml:20:18");
}

TEST_F(ConfigLoad, JobNameDefaultsToTheFileStem) {
    write("nightly.yml", R"(type: parallel
inputs: {data: {type: uri_folder, path: ./mnist}}
input_data: ${{inputs.data}}
task: {code: ./script, entry_script: iris_prediction.py}
)");
    const JobSpec spec = load("nightly.yml");
    EXPECT_EQ(spec.job_name, "nightly");
    EXPECT_EQ(spec.mini_batch_size, std::nullopt);  // the partitioner's default applies
    EXPECT_EQ(spec.max_concurrency_per_instance, std::nullopt);
    EXPECT_TRUE(spec.warnings.empty()) << all_warnings(spec);
}

const char* kTwoParallelSteps = R"(type: pipeline
inputs:
  images:
    type: uri_folder
    path: ./mnist
outputs:
  scores:
    type: uri_folder
    path: ./scores
jobs:
  train:
    type: command
    command: python train.py
  score_a:
    type: parallel
    inputs:
      data: ${{parent.inputs.images}}
    outputs:
      result: ${{parent.outputs.scores}}
    input_data: ${{inputs.data}}
    task:
      code: ./script
      entry_script: iris_prediction.py
      program_arguments: --out ${{outputs.result}}
      append_row_to: ${{outputs.result}}
  score_b:
    type: parallel
    inputs:
      data:
        type: uri_folder
        path: ./labels
    input_data: ${{inputs.data}}
    task:
      code: ./script
      entry_script: iris_prediction.py
)";

TEST_F(ConfigLoad, PipelineWithSeveralParallelStepsNeedsJobFlag) {
    write("pipeline.yml", kTwoParallelSteps);
    const std::string e = error_of("pipeline.yml");
    EXPECT_HAS(e,
               "pipeline.yml:11:3: error: jobs: the pipeline has several parallel steps: score_a (parallel), "
               "score_b (parallel)");
    EXPECT_HAS(e, "Fix: choose one with --job NAME");

    const JobSpec b = load("pipeline.yml", {}, "score_b");
    EXPECT_EQ(b.job_name, "score_b");
    EXPECT_EQ(b.major().path, dir() / "labels");
}

TEST_F(ConfigLoad, PipelineStepBindsToThePipelinesInputsAndOutputs) {
    write("pipeline.yml", kTwoParallelSteps);
    const JobSpec a = load("pipeline.yml", {}, "score_a");
    EXPECT_EQ(a.job_name, "score_a");
    ASSERT_EQ(a.inputs.size(), 1u);
    EXPECT_EQ(a.inputs[0].name, "data");
    EXPECT_EQ(a.inputs[0].path, dir() / "mnist");
    ASSERT_EQ(a.outputs.size(), 1u);
    EXPECT_EQ(a.outputs[0].name, "result");
    EXPECT_EQ(a.outputs[0].path, dir() / "scores");
    EXPECT_EQ(a.append_row_file, dir() / "scores" / "parallel_run_step.txt");
    EXPECT_EQ(a.program_arguments, (Args{"--out", (dir() / "scores").string()}));
}

TEST_F(ConfigLoad, JobFlagNamingANonParallelOrMissingStepIsAnError) {
    write("pipeline.yml", kTwoParallelSteps);
    const std::string train = error_of("pipeline.yml", {}, "train");
    EXPECT_HAS(train,
               "pipeline.yml:12:5: error: jobs.train: --job train names a command step; prs_mpi runs only "
               "parallel steps");
    EXPECT_HAS(train, "score_a (parallel), score_b (parallel)");
    EXPECT_HAS(error_of("pipeline.yml", {}, "nope"),
               "--job nope: the pipeline has no step of that name; its steps: train (command), score_a (parallel)");
}

TEST_F(ConfigLoad, JobFlagOnAParallelJobIsAnError) {
    copy_data("parallel.yml");
    EXPECT_HAS(error_of("parallel.yml", {}, "batch_prediction"), "is a parallel job, not a pipeline");
}

TEST_F(ConfigLoad, V1ParallelRunConfigMapsToV2Settings) {
    const JobSpec spec = load(copy_data("v1.yml").filename());
    EXPECT_EQ(spec.form, JobForm::V1);
    EXPECT_EQ(spec.job_name, "predict-digits-mnist");
    EXPECT_EQ(spec.mini_batch_size, 1024u * 1024 * 1024);
    EXPECT_TRUE(spec.mini_batch_size_has_unit);
    EXPECT_EQ(spec.error_threshold, 10);
    EXPECT_EQ(spec.mini_batch_error_threshold, 15);  // allowed_failed_count
    EXPECT_EQ(spec.allowed_failed_percent, 10);
    EXPECT_EQ(spec.timeout, 120);                     // run_invocation_timeout
    EXPECT_EQ(spec.max_retries, 2);                   // run_max_try 3 = 1 try + 2 retries
    EXPECT_EQ(spec.instance_count, 2);                // node_count
    EXPECT_EQ(spec.max_concurrency_per_instance, 2);  // process_count_per_node
    EXPECT_EQ(spec.logging_level, "WARNING");
    EXPECT_FALSE(spec.is_deterministic);  // allow_reuse: false
    EXPECT_EQ(spec.code_dir, dir() / "script");
    EXPECT_EQ(spec.entry_script, dir() / "script" / "iris_prediction.py");
    EXPECT_EQ(spec.environment_variables, (std::vector<std::pair<std::string, std::string>>{{"OMP_NUM_THREADS", "1"}}));

    ASSERT_EQ(spec.inputs.size(), 2u);
    EXPECT_EQ(spec.major_input, "mnist");
    EXPECT_EQ(spec.major().path, dir() / "mnist");
    EXPECT_EQ(spec.inputs[1].name, "labels");
    ASSERT_EQ(spec.outputs.size(), 1u);
    EXPECT_EQ(spec.outputs[0].name, "output");
    EXPECT_EQ(spec.outputs[0].path, dir() / "out");
    EXPECT_EQ(spec.append_row_file, dir() / "out" / "mnist_outputs.txt");

    EXPECT_EQ(spec.program_arguments,
              (Args{"--labels_dir", (dir() / "labels").string(), "--profiling_module", "cProfile"}));
    EXPECT_EQ(spec.profiling_module, "cProfile");
    EXPECT_EQ(spec.origins.at("retry_settings.timeout").kind, Origin::Kind::Yaml);
    EXPECT_HAS(spec.origins.at("retry_settings.max_retries").detail, "v1.yml:11:14");
    ASSERT_EQ(spec.warnings.size(), 1u) << all_warnings(spec);
    EXPECT_HAS(spec.warnings[0], "v1.yml:17:14: info: environment 'batch_env' is not used");
}

TEST_F(ConfigLoad, V1WithoutOutputAppendsUnderTheRunDirectory) {
    write("v1.yml", R"(entry_script: script/iris_prediction.py
inputs: {images: {type: uri_folder, path: ./mnist}}
)");
    const JobSpec spec = load("v1.yml");
    EXPECT_EQ(spec.code_dir, dir() / "script");  // no source_directory: the script's folder
    ASSERT_EQ(spec.outputs.size(), 1u);
    EXPECT_EQ(spec.outputs[0].name, "output");
    EXPECT_TRUE(spec.outputs[0].path.empty());
    EXPECT_EQ(spec.append_row_file, fs::path("outputs/output/parallel_run_step.txt"));
    EXPECT_EQ(spec.major_input, "images");
}

TEST_F(ConfigLoad, V1SummaryOnlyHasNoAppendRowFile) {
    write("v1.yml", "entry_script: script/iris_prediction.py\noutput_action: summary_only\ninputs: [./mnist]\n");
    EXPECT_FALSE(load("v1.yml").append_row_file);
}

TEST_F(ConfigLoad, V1PartitionKeysWithMiniBatchSizeIsAnError) {
    write("v1.yml", R"(entry_script: script/iris_prediction.py
inputs: [./mnist]
partition_keys: [store]
mini_batch_size: 10
)");
    const std::string e = error_of("v1.yml");
    EXPECT_HAS(e, "v1.yml:4:18: error: mini_batch_size: ParallelRunConfig takes mini_batch_size or partition_keys");
    EXPECT_HAS(e, "Fix:");
}

TEST_F(ConfigLoad, V2PartitionKeysWinOverMiniBatchSizeWithAWarning) {
    write("job.yml", R"(type: parallel
inputs: {data: {type: uri_folder, path: ./mnist}}
input_data: ${{inputs.data}}
mini_batch_size: "10"
partition_keys:
  - store
  - brand
task: {code: ./script, entry_script: iris_prediction.py}
)");
    const JobSpec spec = load("job.yml");
    EXPECT_EQ(spec.partition_keys, (Args{"store", "brand"}));
    EXPECT_EQ(spec.mini_batch_size, std::nullopt);
    ASSERT_EQ(spec.warnings.size(), 1u);
    EXPECT_HAS(spec.warnings[0], "job.yml:4:18: warning: mini_batch_size is ignored because partition_keys is set");
}

const char* kPrecedenceJob = R"(type: parallel
inputs: {data: {type: uri_folder, path: ./mnist}}
input_data: ${{inputs.data}}
retry_settings:
  timeout: 60
  max_retries: 4
task:
  code: ./script
  entry_script: iris_prediction.py
  program_arguments: --error_threshold 5 --task_overhead_timeout 100
)";

TEST_F(ConfigLoad, CommandLineBeatsProgramArgumentsBeatsJobFileBeatsDefault) {
    write("job.yml", kPrecedenceJob);
    const JobSpec spec = load("job.yml", {{"error_threshold", "7"}, {"timeout", "120"}});

    EXPECT_EQ(spec.error_threshold, 7);  // command line over program_arguments
    EXPECT_EQ(spec.origins.at("error_threshold").kind, Origin::Kind::CommandLine);
    EXPECT_EQ(spec.origins.at("error_threshold").detail, "--error_threshold 7");

    EXPECT_EQ(spec.timeout, 120);  // command line over the job file
    EXPECT_EQ(spec.origins.at("retry_settings.timeout").kind, Origin::Kind::CommandLine);

    EXPECT_EQ(spec.task_overhead_timeout, 100);  // program_arguments over the default
    EXPECT_EQ(spec.origins.at("task_overhead_timeout").kind, Origin::Kind::ProgramArgument);

    EXPECT_EQ(spec.max_retries, 4);  // job file over the default
    EXPECT_EQ(spec.origins.at("retry_settings.max_retries").kind, Origin::Kind::Yaml);
    EXPECT_HAS(spec.origins.at("retry_settings.max_retries").detail, "job.yml:6:16");

    EXPECT_EQ(spec.first_task_creation_timeout, 600);  // default
    EXPECT_EQ(spec.origins.at("first_task_creation_timeout").kind, Origin::Kind::Default);

    EXPECT_EQ(spec.progress_update_timeout, 3 * (120 + 100));  // computed from the final values
    EXPECT_EQ(spec.origins.at("progress_update_timeout").kind, Origin::Kind::Computed);

    // The script's arguments are untouched by the command line.
    EXPECT_EQ(spec.program_arguments, (Args{"--error_threshold", "5", "--task_overhead_timeout", "100"}));
}

TEST_F(ConfigLoad, PrefetchMiniBatchesFromProgramArgumentsOrTheCommandLine) {
    write("job.yml", kPrecedenceJob);
    EXPECT_EQ(load("job.yml").prefetch_mini_batches, 1);  // the default: one loaded ahead
    std::string job = kPrecedenceJob;
    job.replace(job.find("--error_threshold 5"), 19, "--prefetch_mini_batches 0");
    write("job.yml", job);
    const JobSpec spec = load("job.yml");
    EXPECT_EQ(spec.prefetch_mini_batches, 0);
    EXPECT_EQ(spec.origins.at("prefetch_mini_batches").kind, Origin::Kind::ProgramArgument);
    EXPECT_EQ(load("job.yml", {{"prefetch_mini_batches", "2"}}).prefetch_mini_batches, 2);
    EXPECT_HAS(error_of("job.yml", {{"prefetch_mini_batches", "9"}}), "prefetch_mini_batches");
}

TEST_F(ConfigLoad, CommandLineOverridesOfJobFileSettings) {
    write("job.yml", kPrecedenceJob);
    const JobSpec spec = load("job.yml", {{"mini_batch_size", "2mb"},
                                          {"max_concurrency_per_instance", "8"},
                                          {"mini_batch_error_threshold", "3"},
                                          {"max_retries", "0"},
                                          {"logging_level", "warning"}});
    EXPECT_EQ(spec.mini_batch_size, 2u * 1024 * 1024);
    EXPECT_EQ(spec.max_concurrency_per_instance, 8);
    EXPECT_EQ(spec.mini_batch_error_threshold, 3);
    EXPECT_EQ(spec.max_retries, 0);
    EXPECT_EQ(spec.logging_level, "WARNING");
    EXPECT_EQ(spec.origins.at("retry_settings.max_retries").detail, "--max_retries 0");
}

TEST_F(ConfigLoad, OutputWithoutPathIsBoundOnceTheRunDirectoryIsKnown) {
    write("job.yml", R"(type: parallel
inputs: {data: {type: uri_folder, path: ./mnist}, threshold: 0.5}
outputs: {scores: {type: uri_folder}}
input_data: ${{inputs.data}}
task:
  code: ./script
  entry_script: iris_prediction.py
  program_arguments: --out ${{outputs.scores}} --threshold ${{inputs.threshold}}
  append_row_to: ${{outputs.scores}}
)");
    JobSpec spec = load("job.yml");
    EXPECT_EQ(spec.append_row_file, fs::path("outputs/scores/parallel_run_step.txt"));
    EXPECT_EQ(spec.program_arguments, (Args{"--out", "outputs/scores", "--threshold", "0.5"}));
    ASSERT_EQ(spec.literal_inputs.size(), 1u);
    EXPECT_EQ(spec.literal_inputs[0].name, "threshold");

    bind_run_dir(spec, dir() / "run");
    EXPECT_EQ(spec.outputs[0].path, dir() / "run" / "outputs" / "scores");
    EXPECT_EQ(spec.append_row_file, dir() / "run" / "outputs" / "scores" / "parallel_run_step.txt");
    EXPECT_EQ(spec.program_arguments, (Args{"--out", (dir() / "run/outputs/scores").string(), "--threshold", "0.5"}));
}

TEST_F(ConfigLoad, PathsWithBlanksStayOneArgument) {
    fs::create_directories(dir() / "my data");
    write("job.yml", R"(type: parallel
inputs: {data: {type: uri_folder, path: "./my data"}}
input_data: ${{inputs.data}}
task:
  code: ./script
  entry_script: iris_prediction.py
  program_arguments: --data ${{inputs.data}} --name 'a b'
)");
    const JobSpec spec = load("job.yml");
    EXPECT_EQ(spec.program_arguments, (Args{"--data", (dir() / "my data").string(), "--name", "a b"}));
    EXPECT_EQ(spec.program_arguments_raw, "--data '" + (dir() / "my data").string() + "' --name 'a b'");
}

TEST_F(ConfigLoad, EnvironmentExtensionsAddPythonPaths) {
    fs::create_directories(dir() / "lib");
    fs::create_directories(dir() / "venv" / "lib" / "python3.11" / "site-packages");
    write("job.yml", R"(type: parallel
inputs: {data: {type: uri_folder, path: ./mnist}}
input_data: ${{inputs.data}}
task:
  code: ./script
  entry_script: iris_prediction.py
  environment_variables:
    OMP_NUM_THREADS: 4
    EMPTY:
  environment:
    python_path: [./lib]
    venv: ./venv
)");
    const JobSpec spec = load("job.yml");
    EXPECT_EQ(spec.python_path,
              (std::vector<fs::path>{dir() / "lib", dir() / "venv" / "lib" / "python3.11" / "site-packages"}));
    EXPECT_EQ(spec.environment_variables,
              (std::vector<std::pair<std::string, std::string>>{{"OMP_NUM_THREADS", "4"}, {"EMPTY", ""}}));
    EXPECT_TRUE(spec.warnings.empty()) << all_warnings(spec);  // no image/conda: no info line
}

TEST_F(ConfigLoad, MltablePathMayNameTheMLTableFileAndHdf5NeedsDatasets) {
    write("job.yml", R"(type: parallel
inputs:
  table: {type: mltable, path: ./neural-iris-mltable/MLTable}
  arrays: {type: hdf5, path: ./mnist, datasets: [/x, /y]}
input_data: ${{inputs.arrays}}
mini_batch_size: 100
task: {code: ./script, entry_script: iris_prediction.py}
)");
    const JobSpec spec = load("job.yml");
    EXPECT_EQ(spec.inputs[0].path, dir() / "neural-iris-mltable");
    EXPECT_EQ(spec.major().datasets, (Args{"/x", "/y"}));
    EXPECT_EQ(spec.major().type, InputType::Hdf5);
}

// The line of `text` that starts with `name`.
std::string line_of(const std::string& text, const std::string& name) {
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = text.find('\n', start);
        const std::string line = text.substr(start, end - start);
        if (line.rfind(name + " ", 0) == 0) return line;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return "(no line for " + name + ")";
}

TEST_F(ConfigLoad, DescribeShowsEverySettingWithItsOrigin) {
    copy_data("seed_pipeline.yml");
    const std::string text = describe(load("seed_pipeline.yml", {{"timeout", "90"}}));
    EXPECT_HAS(line_of(text, "job file"), "parallel step 'batch_prediction' of a pipeline");
    EXPECT_HAS(line_of(text, "input input_data"), "mltable " + (dir() / "neural-iris-mltable").string());
    EXPECT_HAS(line_of(text, "input input_data"), "<- input_data, split into mini-batches");
    EXPECT_HAS(line_of(text, "output job_output_file"), "uri_file <run_dir>/outputs/job_output_file");
    EXPECT_HAS(line_of(text, "task.entry_script"), (dir() / "script" / "iris_prediction.py").string());
    EXPECT_HAS(line_of(text, "sys.argv[1:]"), "['--model', '" + (dir() / "iris-model").string() + "', ");
    EXPECT_HAS(line_of(text, "task.append_row_to"), "<run_dir>/outputs/job_output_file");
    EXPECT_HAS(line_of(text, "retry_settings.timeout"), "90 s");
    EXPECT_HAS(line_of(text, "retry_settings.timeout"), "[command line: --timeout 90]");
    EXPECT_HAS(line_of(text, "resource_monitor_interval"), "[program_arguments: --resource_monitor_interva 20]");
    EXPECT_HAS(line_of(text, "mini_batch_size"), "10240 bytes");
    EXPECT_HAS(line_of(text, "mini_batch_size"), "seed_pipeline.yml:33:22]");
    EXPECT_HAS(line_of(text, "append_row_dataframe_header"), "False");
    EXPECT_HAS(line_of(text, "append_row_dataframe_header"), "[default]");
    EXPECT_HAS(line_of(text, "output_order"), "completion");
}

TEST_F(ConfigLoad, DescribeShowsComputedAndDefaultValues) {
    write("job.yml", R"(type: parallel
inputs: {data: {type: uri_folder, path: ./mnist}}
input_data: ${{inputs.data}}
mini_batch_size: 5
task: {code: ./script, entry_script: iris_prediction.py}
)");
    const std::string text = describe(load("job.yml"));
    EXPECT_HAS(line_of(text, "progress_update_timeout"), "1980 s");
    EXPECT_HAS(line_of(text, "progress_update_timeout"),
               "[computed: 3 * (retry_settings.timeout + task_overhead_timeout)]");
    EXPECT_HAS(line_of(text, "max_concurrency_per_instance"), "CPU cores, or GPUs on GPU nodes");
    EXPECT_HAS(line_of(text, "mini_batch_size"), "5 files");
    EXPECT_HAS(line_of(text, "task.append_row_to"), "(none: summary_only)");
    EXPECT_HAS(line_of(text, "task.code"), "job.yml:5:14]");
}

}  // namespace
}  // namespace prs::config::testing

namespace prs::config::testing {
namespace {

// Each key was looked up among the keys before it: 16,000 keys took 3 s, 100,000 did not
// finish in 240 s. Now read once, hashed. What is checked is how the time grows, not the
// time itself (a sanitizer build or a loaded machine is many times slower): five times the
// keys must cost well under the 25 times a quadratic reader needs.
constexpr double kLinearBound = 12.0;

std::string parallel_yml_text(const std::string& path) {
    std::ifstream seed(path);
    return {std::istreambuf_iterator<char>(seed), std::istreambuf_iterator<char>()};
}

// `text` with `count` environment variables under task: (the one mapping whose every key is taken).
std::string with_environment_variables(std::string text, int count) {
    std::string indented = "  environment_variables:\n";
    for (int i = 0; i < count; ++i) indented += "    VARIABLE_NUMBER_" + std::to_string(i) + ": \"value\"\n";
    const auto task = text.find("task:\n");
    if (task == std::string::npos) throw std::runtime_error("parallel.yml has no task:");
    text.insert(task + 6, indented);
    return text;
}

std::string with_stray_keys(std::string text, int count) {
    for (int i = 0; i < count; ++i) text += "stray_key_" + std::to_string(i) + ": 1\n";
    return text;
}

TEST_F(ConfigLoad, AHundredThousandKeysLoadInLinearTime) {
    const std::string text = parallel_yml_text(copy_data("parallel.yml"));
    write("some_keys.yml", with_environment_variables(text, 20000));
    write("many_keys.yml", with_environment_variables(text, 100000));
    const auto timed = [&](const char* file) {
        const auto start = std::chrono::steady_clock::now();
        const JobSpec spec = load(file);
        return std::pair(spec, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
    const auto [some, some_s] = timed("some_keys.yml");
    const auto [spec, seconds] = timed("many_keys.yml");
    EXPECT_EQ(some.environment_variables.size(), 20000u);
    EXPECT_EQ(spec.environment_variables.size(), 100000u);
    EXPECT_EQ(spec.environment_variables.back().first, "VARIABLE_NUMBER_99999");
    EXPECT_EQ(spec.environment_variables.back().second, "value");
    EXPECT_LT(seconds, kLinearBound * some_s) << "20,000 keys: " << some_s << " s, 100,000: " << seconds << " s";
}

TEST_F(ConfigLoad, AKeyGivenTwiceAmongManyIsStillNamed) {
    std::string text = "type: parallel\n";
    for (int i = 0; i < 5000; ++i) text += "k" + std::to_string(i) + ": 1\n";
    text += "k4321: 2\n";
    write("twice.yml", text);
    const std::string error = error_of("twice.yml");
    EXPECT_HAS(error, "twice.yml:5002:1: error: k4321: key given twice (first at ");
    EXPECT_HAS(error, "twice.yml:4323:1)");
}

}  // namespace
}  // namespace prs::config::testing

namespace prs::config::testing {
namespace {

TEST_F(ConfigLoad, ManyUnknownKeysGiveTwentyWarningsAndACount) {
    const std::string text = parallel_yml_text(copy_data("parallel.yml"));
    write("some_stray.yml", with_stray_keys(text, 20000));
    write("stray.yml", with_stray_keys(text, 100000));
    auto start = std::chrono::steady_clock::now();
    (void)load("some_stray.yml");
    const double some_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    start = std::chrono::steady_clock::now();
    const JobSpec spec = load("stray.yml");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<std::string> stray;
    for (const auto& w : spec.warnings)
        if (w.find("stray_key") != std::string::npos) stray.push_back(w);
    ASSERT_EQ(stray.size(), 21u) << all_warnings(spec);
    EXPECT_HAS(stray[0], "unknown key 'stray_key_0' is ignored");
    EXPECT_HAS(stray[20], "99980 more unknown keys are ignored, from 'stray_key_20' on");
    EXPECT_LT(seconds, kLinearBound * some_s) << "20,000 keys: " << some_s << " s, 100,000: " << seconds << " s";
}

}  // namespace
}  // namespace prs::config::testing
