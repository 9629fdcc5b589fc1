"""Whole pipelines as Azure's public examples write them: command and parallel steps bound by
${{parent.jobs.S.outputs.O}}, component files with node overrides, datastore paths, --set,
per-step reuse and resume. Each test writes its own small example into a temporary folder."""
import collections
import json
import os
import re
import subprocess
import time
from pathlib import Path

from harness import PrsTestCase, kill_session, mpirun_prefix, PRS, SOURCE_DIR
from test_slurm import SlurmTestCase

PREP = """
import argparse, os, sys
import pandas  # the workers' interpreter has it; proves `python` is that one
parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int)
parser.add_argument("--out")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)
for i in range(args.n):
    with open(os.path.join(args.out, f"f{i:03d}.txt"), "w") as f:
        f.write(f"{i}\\n")
with open(os.path.join(args.out, "..", "..", "..", "prep_runs.txt"), "a") as f:  # <run_dir>/prep_runs.txt
    f.write("ran\\n")
print("python", os.path.realpath(sys.executable), "variable", os.environ.get("PREP_VAR"))
"""

SCORE = """
import os, time
def init():
    pass
def run(mini_batch):
    time.sleep(float(os.environ.get("PRS_SLEEP", "0")))
    return [f"{os.path.basename(p)} {open(p).read().strip()} {os.environ.get('SCORE_VAR')}" for p in mini_batch]
"""

REPORT = """
import argparse, os
parser = argparse.ArgumentParser()
parser.add_argument("--scores")
parser.add_argument("--out")
args = parser.parse_args()
rows = open(os.path.join(args.scores, "parallel_run_step.txt")).read().splitlines()
os.makedirs(args.out, exist_ok=True)
open(os.path.join(args.out, "count.txt"), "w").write(f"{len(rows)}\\n")
"""

PIPELINE = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: prepare-score-report
experiment_name: pipelines-itest
settings:
  default_compute: azureml:cpu-cluster
inputs:
  file_count: {n}
jobs:
  prepare:
    type: command
    code: ./src
    command: >-
      python prep.py --n ${{{{inputs.n}}}} --out ${{{{outputs.files}}}}
    environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
    environment_variables:
      PREP_VAR: "from-the-job-file"
    inputs:
      n: ${{{{parent.inputs.file_count}}}}
    outputs:
      files:
        type: uri_folder
        mode: rw_mount
  score:
    type: parallel
    compute: azureml:cpu-cluster
    inputs:
      data:
        type: uri_folder
        path: ${{{{parent.jobs.prepare.outputs.files}}}}
        mode: ro_mount
    outputs:
      scores:
        type: uri_folder
        mode: rw_mount
    input_data: ${{{{inputs.data}}}}
    mini_batch_size: "{mini_batch_size}"
    resources:
      instance_count: 1
    max_concurrency_per_instance: 2
    error_threshold: -1
    mini_batch_error_threshold: 5
    retry_settings:
      max_retries: 2
      timeout: 60
    environment_variables:
      SCORE_VAR: "job-level"
    task:
      type: run_function
      code: ./src
      entry_script: score.py
      append_row_to: ${{{{outputs.scores}}}}
  report:
    command: python report.py --scores ${{{{inputs.scores}}}} --out ${{{{outputs.summary}}}}
    code: ./src
    inputs:
      scores: ${{{{parent.jobs.score.outputs.scores}}}}
    outputs:
      summary:
        type: uri_folder
"""


class Pipelines(PrsTestCase):
    def setUp(self):
        super().setUp()
        self.dir.script(PREP, name="prep.py").script(SCORE, name="score.py").script(REPORT, name="report.py")

    def three_steps(self, n=12, mini_batch_size=5):
        return self.dir.job(PIPELINE.format(n=n, mini_batch_size=mini_batch_size), name="pipeline.yml")

    def expected(self, n):
        return sorted(f"f{i:03d}.txt {i} job-level" for i in range(n))

    def scores(self):
        return self.dir.run_dir / "score" / "outputs" / "scores" / "parallel_run_step.txt"

    def summary(self):
        return json.loads((self.dir.logs / "job_summary.json").read_text())

    def assert_three_steps_ran(self, proc, n):
        self.assertExit(proc, 0)
        self.assertEqual(sorted(self.output_lines(self.scores())), self.expected(n))
        self.assertEqual((self.dir.run_dir / "report" / "outputs" / "summary" / "count.txt").read_text(), f"{n}\n")
        log = (self.dir.run_dir / "prepare" / "logs" / "user_logs" / "std_log.txt").read_text()
        self.assertRegex(log, r"python /usr/bin/python3[.0-9]* variable from-the-job-file")
        summary = self.summary()
        self.assertEqual(summary["result"], "succeeded")
        self.assertEqual([(s["name"], s["type"]) for s in summary["steps"]],
                         [("prepare", "command"), ("score", "parallel"), ("report", "command")])
        self.assertTrue((self.dir.run_dir / "score" / "logs" / "job_result.txt").exists())
        self.assertIn("score", (self.dir.logs / "report.html").read_text())
        self.assertIn("step 2/3: score (parallel)", proc.stderr)
        self.assertRegex(proc.stderr, r"prs_mpi progress \[step score\]: (\d+)/\1 mini-batches")

    def test_command_parallel_command_alone(self):
        proc = self.prs(self.three_steps())
        self.assert_three_steps_ran(proc, 12)
        # No key of the example is reported as unknown or misplaced.
        self.assertNotIn("warning", proc.stderr)
        self.assertIn("info: settings.default_compute accepted", proc.stderr)

    def test_command_parallel_command_under_mpirun(self):
        proc = self.prs(self.three_steps(), np=3)
        self.assert_three_steps_ran(proc, 12)

    def test_rerun_reuses_every_step_and_fresh_reruns(self):
        job = self.three_steps()
        self.assertExit(self.prs(job), 0)
        again = self.prs(job)
        self.assertExit(again, 0)
        self.assertEqual([s["status"] for s in self.summary()["steps"]], ["reused"] * 3)
        self.assertEqual((self.dir.run_dir / "prep_runs.txt").read_text().count("ran"), 1)
        fresh = self.prs(job, "--fresh")
        self.assertExit(fresh, 0)
        self.assertEqual([s["status"] for s in self.summary()["steps"]], ["succeeded"] * 3)
        self.assertEqual(sorted(self.output_lines(self.scores())), self.expected(12))

    def test_changed_input_reruns_the_step_and_everything_after_it(self):
        self.assertExit(self.prs(self.three_steps(n=6)), 0)
        proc = self.prs(self.three_steps(n=9))
        self.assert_three_steps_ran(proc, 9)
        self.assertEqual([s["status"] for s in self.summary()["steps"]], ["succeeded"] * 3)

    def test_kill_9_in_the_parallel_step_resumes_it_without_rerunning_the_first(self):
        n = 40
        job = self.three_steps(n=n, mini_batch_size=1)
        cmd = mpirun_prefix(3) + [PRS, "--run-dir", str(self.dir.run_dir), str(job)]
        env = dict(os.environ, PRS_SLEEP="0.2")  # ~3 s of work: the kill lands mid-step
        proc = subprocess.Popen(cmd, cwd=self.dir.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, env=env)
        journal = self.dir.run_dir / "score" / "journal.bin"
        deadline = time.time() + 120
        while time.time() < deadline and (not journal.exists() or journal.stat().st_size < 200):
            time.sleep(0.05)
        time.sleep(0.3)
        kill_session(proc.pid)
        proc.communicate()
        self.assertTrue(journal.exists(), "the parallel step never started")
        final = subprocess.run(cmd, cwd=self.dir.root, capture_output=True, text=True, timeout=300)
        self.assertExit(final, 0)
        self.assertIn("resuming", final.stderr)
        lines = collections.Counter(self.output_lines(self.scores()))
        self.assertEqual(lines, collections.Counter(self.expected(n)), "lost or doubled rows")
        self.assertEqual((self.dir.run_dir / "prep_runs.txt").read_text().count("ran"), 1, "the first step re-ran")
        statuses = {s["name"]: s["status"] for s in self.summary()["steps"]}
        self.assertEqual(statuses, {"prepare": "reused", "score": "succeeded", "report": "succeeded"})

    def test_failing_command_step_stops_the_pipeline(self):
        job = self.dir.job(PIPELINE.format(n=3, mini_batch_size=5).replace(
            "python prep.py", "echo preparing; exit 3; python prep.py"), name="pipeline.yml")
        proc = self.prs(job)
        self.assertExit(proc, 42)
        log = self.dir.run_dir / "prepare" / "logs" / "user_logs" / "std_log.txt"
        self.assertIn(f"step prepare failed: the command exited with code 3; see {log}", proc.stderr)
        self.assertEqual(log.read_text(), "preparing\n")
        self.assertIn("    | preparing\n", proc.stderr)  # the log's end is shown
        self.assertEqual([s["status"] for s in self.summary()["steps"]], ["failed", "not run", "not run"])
        self.assertIn("exited with code 3", (self.dir.logs / "job_result.txt").read_text())
        self.assertFalse((self.dir.run_dir / "score" / "logs").exists())

    def test_continue_on_step_failure_runs_the_steps_that_do_not_need_the_failed_one(self):
        job = self.dir.job("""\
type: pipeline
settings:
  continue_on_step_failure: true
jobs:
  broken:
    command: exit 5
    outputs:
      out:
  independent:
    command: >-
      echo fine > ${{outputs.out}}/fine.txt &&
      python -c "from azureml_user.parallel_run import EntryScript; print('log_dir', EntryScript().log_dir)"
    outputs:
      out:
  after_broken:
    command: ls ${{inputs.x}}
    inputs:
      x: ${{parent.jobs.broken.outputs.out}}
""", name="pipeline.yml")
        proc = self.prs(job)
        self.assertExit(proc, 42)
        self.assertEqual({s["name"]: s["status"] for s in self.summary()["steps"]},
                         {"broken": "failed", "independent": "succeeded", "after_broken": "not run"})
        self.assertTrue((self.dir.run_dir / "independent" / "outputs" / "out" / "fine.txt").exists())
        # prs_mpi's azureml_user helper is importable in command steps too.
        logs = self.dir.run_dir / "independent" / "logs" / "user_logs"
        self.assertIn(f"log_dir {logs}", (logs / "std_log.txt").read_text())

    def test_sigterm_during_a_command_step_stops_resumably(self):
        job = self.dir.job("""\
type: pipeline
jobs:
  slow:
    command: echo started; sleep 60; echo done > ${{outputs.o}}/x
    outputs:
      o:
""", name="pipeline.yml")
        proc = subprocess.Popen([PRS, "--run-dir", str(self.dir.run_dir), str(job)], cwd=self.dir.root,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        log = self.dir.run_dir / "slow" / "logs" / "user_logs" / "std_log.txt"
        deadline = time.time() + 60
        while time.time() < deadline and not (log.exists() and "started" in log.read_text()):
            time.sleep(0.05)
        proc.terminate()
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 75, err)
        self.assertIn("step slow: stopped by a signal", err)
        self.assertEqual([s["status"] for s in self.summary()["steps"]], ["stopped"])

    def test_set_overrides_the_job_file_and_dry_run_names_it(self):
        job = self.three_steps()
        dry = self.prs(job, "--dry-run", "--set", "jobs.score.mini_batch_size=4",
                       "--set", "inputs.file_count=8")
        self.assertExit(dry, 0)
        self.assertRegex(dry.stdout, r"--n 8 --out")
        proc = self.prs(job, "--set", "jobs.score.mini_batch_size=4", "--set", "inputs.file_count=8")
        self.assert_three_steps_ran(proc, 8)
        self.assertIn("2 mini-batches (8 items)", proc.stderr)

    def test_bad_references_are_exit_2_with_file_and_line(self):
        cases = {
            "parent.jobs.prepare.outputs.files": ("parent.jobs.nowhere.outputs.files",
                                                  r"pipeline.yml:\d+:15: error: jobs.score: .*names no step"),
            "parent.inputs.file_count": ("parent.jobs.report.outputs.summary",
                                         r"pipeline.yml:\d+:\d+: error: jobs.prepare: steps prepare, score, report "
                                         r"read each other's outputs: a cycle"),
            "outputs.files}} --n": ("outputs.nothing}} --n", r"error: .*nothing"),
            # A mistake in a step that reads an earlier step's output is found before anything runs.
            'mini_batch_size: "5"': ('mini_batch_size: "lots"', r"pipeline.yml:\d+:\d+: error: mini_batch_size: "
                                                               r"expected a positive number of files"),
            "entry_script: score.py": ("entry_script: scor.py", r"error: task.entry_script: expected the entry "
                                                                r"script file .*scor.py"),
        }
        for old, (new, pattern) in cases.items():
            with self.subTest(new):
                text = PIPELINE.format(n=3, mini_batch_size=5)
                if old == "outputs.files}} --n":
                    text = text.replace("--out ${{outputs.files}}", "--out ${{outputs.nothing}}")
                else:
                    text = text.replace(old, new, 1)
                proc = self.prs(self.dir.job(text, name="pipeline.yml"))
                self.assertExit(proc, 2)
                self.assertRegex(proc.stderr, pattern)
                self.assertFalse(self.dir.run_dir.exists(), "a bad pipeline must write nothing")
        unknown_output = PIPELINE.format(n=3, mini_batch_size=5).replace("prepare.outputs.files", "prepare.outputs.x")
        proc = self.prs(self.dir.job(unknown_output, name="pipeline.yml"))
        self.assertExit(proc, 2)
        self.assertIn("step prepare has no output x (its outputs: files)", proc.stderr)


PARALLEL_COMPONENT = """\
$schema: https://azuremlschemas.azureedge.net/latest/parallelComponent.schema.json
type: parallel
name: score_files
version: 1
inputs:
  data:
    type: uri_folder
  suffix:
    type: string
    default: from-component
  extra:
    type: uri_folder
    optional: true
outputs:
  scores:
    type: uri_file
input_data: ${{inputs.data}}
mini_batch_size: "10"
resources:
  instance_count: 1
max_concurrency_per_instance: 1
retry_settings:
  max_retries: 1
  timeout: 30
task:
  type: run_function
  code: ./code
  entry_script: score.py
  program_arguments: --suffix ${{inputs.suffix}}
  append_row_to: ${{outputs.scores}}
"""

COMPONENT_SCORE = """
import argparse, os
def init():
    global SUFFIX
    parser = argparse.ArgumentParser()
    parser.add_argument("--suffix")
    SUFFIX = parser.parse_known_args()[0].suffix
def run(mini_batch):
    return [f"{os.path.basename(p)} {SUFFIX}" for p in mini_batch]
"""

COMPONENT_PIPELINE = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
name: components
inputs:
  nodes: 2
  files:
    type: uri_folder
    path: ./data
jobs:
  score:
    type: parallel
    component: ./components/score/score.yml
    inputs:
      data: ${{parent.inputs.files}}
    outputs:
      scores:
        type: uri_file
        path: azureml://datastores/${{default_datastore}}/paths/${{name}}/aggregated_returns.csv
    resources:
      instance_count: ${{parent.inputs.nodes}}
    mini_batch_size: "3"
    max_concurrency_per_instance: 2
"""


class ComponentFiles(PrsTestCase):
    def setUp(self):
        super().setUp()
        self.dir.files(7)
        comp = self.dir.root / "components" / "score"
        (comp / "code").mkdir(parents=True)
        (comp / "score.yml").write_text(PARALLEL_COMPONENT)
        (comp / "code" / "score.py").write_text(COMPONENT_SCORE)
        self.job = self.dir.job(COMPONENT_PIPELINE, name="pipeline.yml")
        self.store = self.dir.root / "stores"

    def test_component_with_node_overrides_and_primitive_instance_count(self):
        dry = self.prs(self.job, "--dry-run", "--datastore-root", str(self.store))
        self.assertExit(dry, 0)
        # The node's values win over the component's, and --dry-run names where they are.
        self.assertRegex(dry.stdout, r"resources.instance_count\s+2 +\[.*pipeline.yml:20:23\]")
        self.assertRegex(dry.stdout, r"mini_batch_size\s+3 files +\[.*pipeline.yml:21:22\]")
        self.assertRegex(dry.stdout, r"retry_settings.timeout\s+30 s +\[.*score.yml:\d+:\d+\]")
        dry = self.prs(self.job, "--dry-run", "--set", "jobs.score.mini_batch_size=2")
        self.assertRegex(dry.stdout, r"mini_batch_size\s+2 files +\[.*--set jobs.score.mini_batch_size=2")
        proc = self.prs(self.job, "--datastore-root", str(self.store))
        self.assertExit(proc, 0)
        # The node's overrides win: 7 files in mini-batches of 3 on 2 workers.
        self.assertIn("3 mini-batches (7 items) on 2 worker(s)", proc.stderr)
        out = self.store / "workspaceblobstore" / "score" / "aggregated_returns.csv"
        self.assertEqual(sorted(self.output_lines(out)), sorted(f"f{i:03d}.txt from-component" for i in range(7)))
        # Under no launcher the node count is this machine: asked for 2, says so.
        self.assertIn("resources.instance_count = 2 nodes", proc.stderr)

    def test_named_datastore_and_default_datastore_setting(self):
        blob = self.dir.root / "blob"
        text = COMPONENT_PIPELINE.replace("jobs:", "settings:\n  default_datastore: mystore\njobs:")
        job = self.dir.job(text, name="pipeline.yml")
        proc = self.prs(job, "--datastore", f"mystore={blob}")
        self.assertExit(proc, 0)
        self.assertEqual(len(self.output_lines(blob / "score" / "aggregated_returns.csv")), 7)

    def test_registered_component_and_data_asset_are_clear_errors(self):
        job = self.dir.job(COMPONENT_PIPELINE.replace("./components/score/score.yml", "azureml:score_files:1"),
                           name="pipeline.yml")
        proc = self.prs(job)
        self.assertExit(proc, 2)
        self.assertRegex(proc.stderr, r"pipeline.yml:\d+:\d+: error: jobs.score.component: azureml:score_files:1 is "
                                      r"a component registered")
        job = self.dir.job(COMPONENT_PIPELINE.replace("path: ./data", "path: azureml:files:3"), name="pipeline.yml")
        proc = self.prs(job)
        self.assertExit(proc, 2)
        self.assertIn("--data files:3=/path/to/it", proc.stderr)
        proc = self.prs(job, "--data", f"files:3={self.dir.data}", "--datastore-root", str(self.store))
        self.assertExit(proc, 0)


# In the style of Azure's orange-juice example: a command step writes an MLTable of sales, the
# parallel step trains one model per (Store, Brand) partition and returns one summary row per
# partition, far fewer rows than it got, with error_threshold -1.
SALES_PARTITION = r"""
import argparse, os
import mltable  # prs_mpi's stand-in: command steps have it on their path, as Azure's images do
parser = argparse.ArgumentParser()
parser.add_argument("--tabular_output_data")
args, _ = parser.parse_known_args()
os.makedirs(args.tabular_output_data, exist_ok=True)
with open(os.path.join(args.tabular_output_data, "sales.csv"), "w") as f:
    f.write("Store,Brand,Week,Quantity\n")
    for store in (1, 2):
        for brand in ("tropicana", "dominicks"):
            for week in range(5):
                f.write(f"{store},{brand},{week},{store * 10 + week}\n")
table = mltable.from_delimited_files(paths=[{"file": os.path.join(args.tabular_output_data, "sales.csv")}])
table.save(args.tabular_output_data)
"""

SALES_TRAIN = """
import pandas as pd
def init():
    pass
def run(input_data, mini_batch_context):
    key = mini_batch_context.partition_key_value
    return pd.DataFrame([{"Store": key["Store"], "Brand": key["Brand"], "rows": len(input_data)}])
"""

SALES_PIPELINE = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: partition by key parallel job
settings:
  default_compute: azureml:cpu-cluster
jobs:
  partition_job:
    type: command
    code: ./src
    command: python partition.py --tabular_output_data ${{outputs.tabular_output_data}}
    outputs:
      tabular_output_data:
        type: mltable
        mode: rw_mount
  parallel_train:
    type: parallel
    compute: azureml:cpu-cluster
    inputs:
      data_source:
        path: ${{parent.jobs.partition_job.outputs.tabular_output_data}}
        type: mltable
        mode: direct
    outputs:
      summary:
        type: uri_file
        path: azureml://datastores/${{default_datastore}}/paths/${{name}}/aggregated_returns.csv
    partition_keys:
      - Store
      - Brand
    resources:
      instance_count: 1
    error_threshold: -1
    mini_batch_error_threshold: 5
    input_data: ${{inputs.data_source}}
    max_concurrency_per_instance: 2
    environment_variables:
      "AZUREML_PARALLEL_EXAMPLE": "1a_yaml"
    task:
      type: run_function
      code: ./src
      entry_script: train.py
      append_row_to: ${{outputs.summary}}
"""


class PartitionedTraining(PrsTestCase):
    def test_one_row_per_partition_with_error_threshold_minus_1_succeeds(self):
        self.dir.script(SALES_PARTITION, name="partition.py").script(SALES_TRAIN, name="train.py")
        job = self.dir.job(SALES_PIPELINE, name="pipeline.yml")
        store = self.dir.root / "stores"
        proc = self.prs(job, "--datastore-root", str(store), np=3)
        self.assertExit(proc, 0)
        self.assertNotIn("warning: ", proc.stderr.replace("prs_mpi: warning: the job asks", ""))
        rows = (store / "workspaceblobstore" / "parallel_train" / "aggregated_returns.csv").read_text().splitlines()
        self.assertEqual(sorted(rows), ["1 dominicks 5", "1 tropicana 5", "2 dominicks 5", "2 tropicana 5"])
        self.assertIn("Mini-batches: 4 succeeded, 0 failed", proc.stderr)
        self.assertEqual(proc.stderr.count("with error_threshold -1 that is a success"), 1)

    def test_models_saved_per_partition_and_empty_returns_succeed(self):
        self.dir.script(SALES_PARTITION, name="partition.py").script(SALES_TRAIN_MODELS, name="train.py")
        pipeline = SALES_PIPELINE.replace("""    outputs:
      summary:
        type: uri_file
        path: azureml://datastores/${{default_datastore}}/paths/${{name}}/aggregated_returns.csv
""", """    outputs:
      model_folder:
        type: uri_folder
""").replace("      append_row_to: ${{outputs.summary}}\n",
             "      program_arguments: --model_folder ${{outputs.model_folder}}\n")
        job = self.dir.job(pipeline, name="pipeline.yml")
        proc = self.prs(job, np=3)
        self.assertExit(proc, 0)
        models = sorted(p.relative_to(self.dir.run_dir / "parallel_train" / "outputs" / "model_folder").as_posix()
                        for p in (self.dir.run_dir / "parallel_train").rglob("model.pkl"))
        self.assertEqual(models, ["1/dominicks/model.pkl", "1/tropicana/model.pkl", "2/dominicks/model.pkl",
                                  "2/tropicana/model.pkl"])
        self.assertIn("Job succeeded.", (self.dir.run_dir / "parallel_train" / "logs" / "job_result.txt").read_text())


# As Azure's many-models example does it: no append_row_to, run() saves one model per
# partition and returns [] (with error_threshold -1 that is a succeeded mini-batch).
SALES_TRAIN_MODELS = """
import argparse, os, pickle
def init():
    global model_folder
    parser = argparse.ArgumentParser()
    parser.add_argument("--model_folder")
    model_folder = parser.parse_known_args()[0].model_folder
def run(input_data, mini_batch_context):
    folder = os.path.join(model_folder, *mini_batch_context.partition_key_value.values())
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.pkl"), "wb") as f:
        pickle.dump(len(input_data), f)
    return []
"""


class ExamplePipeline(PrsTestCase):
    def test_the_example_pipeline_runs(self):
        store = self.dir.root / "stores"
        proc = self.prs(SOURCE_DIR / "scripts" / "example" / "pipeline.yml", "--datastore-root", str(store))
        self.assertExit(proc, 0)
        self.assertNotIn("warning", proc.stderr)
        rows = self.output_lines(self.dir.run_dir / "count_words" / "outputs" / "scores" / "parallel_run_step.txt")
        total = (store / "workspaceblobstore" / "total" / "total.txt").read_text()
        self.assertEqual(total, f"{len(rows)} files, {sum(int(r.split()[1]) for r in rows)} long words\n")


class PipelineUnderSbatch(SlurmTestCase):
    def test_sbatch_runs_the_whole_pipeline(self):
        for name, body in (("prep.py", PREP), ("score.py", SCORE), ("report.py", REPORT)):
            (self.dir.code / name).write_text(body)
        job = self.dir.job(PIPELINE.format(n=9, mini_batch_size=2), name="pipeline.yml")
        extra = {"PRS_MPI": PRS, "PRS_SLURM_DIR": str(SOURCE_DIR / "slurm"),
                 "PRS_MPIRUN_ARGS": "--oversubscribe --mca btl_vader_single_copy_mechanism none"}
        code, job_id, err = self.cluster.sbatch("--ntasks=3", "--overcommit", f"--output={self.dir.root}/slurm-%j.out",
                                                str(SOURCE_DIR / "slurm" / "prs_mpi_cpu.sbatch"), "--run-dir",
                                                str(self.dir.run_dir), str(job), cwd=self.dir.root, extra_env=extra)
        out = "".join(p.read_text() for p in self.dir.root.glob("slurm-*.out"))
        self.assertEqual(code, 0, f"{err}\n{out}\n{self.cluster.logs()}")
        self.assertEqual(self.cluster.job_state(job_id)[:2], ("COMPLETED", "0:0"))
        rows = (self.dir.run_dir / "score" / "outputs" / "scores" / "parallel_run_step.txt").read_text().splitlines()
        self.assertEqual(sorted(rows), sorted(f"f{i:03d}.txt {i} job-level" for i in range(9)))
        self.assertEqual((self.dir.run_dir / "report" / "outputs" / "summary" / "count.txt").read_text(), "9\n")
        self.assertIn("pipeline pipeline: succeeded", out)


if __name__ == "__main__":
    import unittest
    unittest.main()
