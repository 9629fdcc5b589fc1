// load_pipeline: step order from bindings, bindings resolved to paths and values, component
// files with node overrides, datastore paths and --set; and the pipeline's summary text.

#include "prs/config/pipeline_spec.hpp"
#include "prs/pipeline/pipeline_summary.hpp"
#include "prs/pipeline/step_fingerprint.hpp"
#include "test_config_fixture.hpp"

namespace prs::config::testing {
namespace {

#define EXPECT_HAS(haystack, needle) EXPECT_PRED_FORMAT2(::testing::IsSubstring, needle, haystack)

class PipelineLoad : public JobDir {
protected:
    CommandLine pipeline_cli(const std::string& text) {
        CommandLine c = cli(write("pipeline.yml", text));
        c.run_dir = dir() / "run";
        c.datastore_root = dir() / "stores";
        return c;
    }
    PipelineSpec load_text(const std::string& text) { return *load_pipeline(pipeline_cli(text)); }
    std::string error_text(const std::string& text) {
        try {
            load_text(text);
        } catch (const JobError& e) {
            return e.what();
        }
        ADD_FAILURE() << "loaded, but an error was expected";
        return {};
    }
};

// Written out of order on purpose: `report` comes first in the file but needs `train`.
const char* kThreeSteps = R"(type: pipeline
name: demo
inputs:
  count: 3
  raw: {type: uri_folder, path: ./mnist}
jobs:
  report:
    command: echo ${{inputs.model}} > ${{outputs.done}}
    inputs:
      model: ${{parent.jobs.train.outputs.model}}
    outputs:
      done: {type: uri_file}
  prep:
    type: command
    command: cp -r ${{inputs.raw}} ${{outputs.clean}} && echo ${{inputs.n}}
    inputs:
      raw: ${{parent.inputs.raw}}
      n: ${{parent.inputs.count}}
    outputs:
      clean:
  train:
    command: train --data ${{inputs.data}} --out ${{outputs.model}}
    inputs:
      data: {type: uri_folder, path: "${{parent.jobs.prep.outputs.clean}}"}
    outputs:
      model: {type: uri_folder, path: "azureml://datastores/${{default_datastore}}/paths/${{name}}/model"}
)";

TEST_F(PipelineLoad, StepsRunAfterTheStepsWhoseOutputsTheyRead) {
    const auto p = load_text(kThreeSteps);
    ASSERT_EQ(p.steps.size(), 3u);
    EXPECT_EQ(p.steps[0].name, "prep");
    EXPECT_EQ(p.steps[1].name, "train");
    EXPECT_EQ(p.steps[2].name, "report");
    EXPECT_EQ(p.steps[2].upstream, std::vector<std::string>{"train"});
    EXPECT_EQ(p.run_dir, dir() / "run");
    const fs::path clean = dir() / "run" / "prep" / "outputs" / "clean";
    EXPECT_EQ(p.steps[0].command.command, "cp -r " + (dir() / "mnist").string() + " " + clean.string() + " && echo 3");
    const fs::path model = dir() / "stores" / "workspaceblobstore" / "train" / "model";
    EXPECT_EQ(p.steps[1].command.command, "train --data " + clean.string() + " --out " + model.string());
    EXPECT_EQ(p.steps[2].command.command,
              "echo " + model.string() + " > " + (dir() / "run" / "report" / "outputs" / "done").string());
    EXPECT_EQ(p.steps[1].input_paths, std::vector<fs::path>{clean});
}

TEST_F(PipelineLoad, UntilStopsAfterTheStep) {
    CommandLine c = pipeline_cli(kThreeSteps);
    c.until = "train";
    const auto p = *load_pipeline(c);
    ASSERT_EQ(p.steps.size(), 2u);
    EXPECT_EQ(p.steps[1].name, "train");
}

TEST_F(PipelineLoad, SetAndDatastoreFlagsChangeTheDocument) {
    CommandLine c = pipeline_cli(kThreeSteps);
    c.sets = {{"inputs.count", "7"}, {"settings.default_datastore", "fast"}};
    c.datastores["fast"] = dir() / "scratch";
    const auto p = *load_pipeline(c);
    EXPECT_HAS(p.steps[0].command.command, "&& echo 7");
    EXPECT_HAS(p.steps[1].command.command, (dir() / "scratch" / "train" / "model").string());
}

TEST_F(PipelineLoad, CyclesAndUnknownReferencesNameTheirPlace) {
    std::string cycle = kThreeSteps;
    cycle.replace(cycle.find("${{parent.inputs.raw}}"), 22, "${{parent.jobs.report.outputs.done}}");
    EXPECT_HAS(error_text(cycle),
               "pipeline.yml:10:14: error: jobs.report: steps report, prep, train read each "
               "other's outputs: a cycle");
    std::string unknown = kThreeSteps;
    unknown.replace(unknown.find("parent.jobs.train"), 17, "parent.jobs.trian");
    EXPECT_HAS(error_text(unknown),
               "pipeline.yml:10:14: error: jobs.report: ${{parent.jobs.trian.outputs.model}} "
               "names no step of this pipeline (its steps: report, prep, train)");
    std::string no_output = kThreeSteps;
    no_output.replace(no_output.find("train.outputs.model"), 19, "train.outputs.weights");
    EXPECT_HAS(error_text(no_output), "step train has no output weights (its outputs: model)");
    std::string no_input = kThreeSteps;
    no_input.replace(no_input.find("parent.inputs.count"), 19, "parent.inputs.cnt");
    EXPECT_HAS(error_text(no_input), "${{parent.inputs.cnt}} names no input of the pipeline (its inputs: count, raw)");
}

TEST_F(PipelineLoad, OtherFormsAndJobFlagAreNotPipelines) {
    EXPECT_FALSE(load_pipeline(cli(copy_data("parallel.yml"))));
    CommandLine c = pipeline_cli(kThreeSteps);
    c.job = "train";
    EXPECT_FALSE(load_pipeline(c));
}

TEST_F(PipelineLoad, ComponentInputsTakeDefaultsAndOptionalsMayBeLeftOut) {
    fs::create_directories(dir() / "comp");
    write("comp/prep.yml", R"($schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: prep
version: 1
code: ./
inputs:
  raw: {type: uri_folder}
  level: {type: integer, default: 4}
  extra: {type: uri_folder, optional: true}
outputs:
  clean: {type: mltable}
command: >-
  python prep.py --raw ${{inputs.raw}} --level ${{inputs.level}} $[[--extra ${{inputs.extra}}]]
  --out ${{outputs.clean}}
)");
    const auto p = load_text(R"(type: pipeline
jobs:
  prep:
    type: command
    component: ./comp/prep.yml
    inputs:
      raw: {type: uri_folder, path: ./mnist}
)");
    ASSERT_EQ(p.steps.size(), 1u);
    EXPECT_EQ(p.steps[0].command.code_dir, dir() / "comp");
    EXPECT_EQ(p.steps[0].command.command, "python prep.py --raw " + (dir() / "mnist").string() + " --level 4  --out " +
                                              (dir() / "run" / "prep" / "outputs" / "clean").string());
    EXPECT_EQ(p.steps[0].outputs.at(0).type, "mltable");
    EXPECT_HAS(error_text("type: pipeline\njobs:\n  prep:\n    component: ./comp/prep.yml\n"),
               "pipeline.yml:4:5: error: jobs.prep.inputs.raw: the component " +
                   (dir() / "comp" / "prep.yml").string() +
                   " declares input raw without a default, and the step gives it no value");
}

TEST_F(PipelineLoad, SetChangesASingleJobAndIsItsOrigin) {
    CommandLine c = cli(copy_data("parallel.yml"));
    c.sets = {{"resources.instance_count", "3"}, {"retry_settings.timeout", "90"}};
    const JobSpec spec = load_job(c);
    EXPECT_EQ(spec.instance_count, 3);
    EXPECT_EQ(spec.timeout, 90);
    EXPECT_EQ(spec.origins.at("resources.instance_count").detail, "--set resources.instance_count=3");
    c.sets = {{"task.entry_script.x", "1"}};
    try {
        load_job(c);
        ADD_FAILURE() << "a key inside a value was set";
    } catch (const JobError& e) {
        EXPECT_HAS(e.what(), "--set task.entry_script.x=1: cannot set a key inside a value");
    }
}

TEST(PipelineSummary, NamesEveryStepAndItsLogs) {
    std::vector<pipeline::StepResult> steps(2);
    steps[0] = {"prep", "command", "failed", 1.25, 3, "/run/prep/logs/user_logs/std_log.txt", "exited with code 3"};
    steps[1] = {"score", "parallel", "not run", 0, 0, "/run/score/logs", "needs step prep"};
    const std::string text = pipeline::summary_text("demo", 42, steps);
    EXPECT_HAS(text, "pipeline demo: failed (exit code 42)");
    EXPECT_HAS(text, "prep                     command  failed         1.2 s  /run/prep/logs/user_logs/std_log.txt");
    EXPECT_HAS(pipeline::summary_json("demo", 42, steps),
               "\"name\": \"score\", \"type\": \"parallel\", \"status\": "
               "\"not run\"");
    EXPECT_HAS(pipeline::summary_html("demo", 42, steps, "/run"), "<a href=\"../score/logs/report.html\">");
}

TEST(StepFingerprint, ChangesWithTheCommand) {
    config::PipelineStep a;
    a.command.command = "echo 1";
    config::PipelineStep b = a;
    b.command.command = "echo 2";
    EXPECT_EQ(pipeline::step_fingerprint(a, {}), pipeline::step_fingerprint(a, {}));
    EXPECT_NE(pipeline::step_fingerprint(a, {}), pipeline::step_fingerprint(b, {}));
    EXPECT_EQ(pipeline::fnv1a_hex(""), "cbf29ce484222325");
}

}  // namespace
}  // namespace prs::config::testing
