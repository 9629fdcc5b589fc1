"""The three job-file forms run end to end: v2 parallel (the seed's example), v2 pipeline, v1."""
from harness import PrsTestCase

SCORE_SCRIPT = """
import argparse, os

def init():
    global MODEL
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--model", dest="model", required=True)
    args, _ = parser.parse_known_args()
    MODEL = open(os.path.join(args.model, "model.txt")).read().strip()

def run(mini_batch):
    return [f"{os.path.basename(p)} {MODEL}" for p in mini_batch]
"""

# The seed's parallel step, word for word except the major input, which is a folder of
# files here (tabular MLTable inputs are another issue's work).
SEED_STEP = """\
    type: parallel
    compute: azureml:cpu-cluster
    inputs:
      input_data:
        type: uri_folder
        path: ./data
        mode: ro_mount
      score_model:
        type: uri_folder
        path: ./iris-model
        mode: download
    outputs:
      job_output_file:
        type: uri_file
        mode: rw_mount
    input_data: ${{inputs.input_data}}
    mini_batch_size: "3"
    resources:
      instance_count: 1
    max_concurrency_per_instance: 2
    logging_level: "DEBUG"
    mini_batch_error_threshold: 5
    retry_settings:
      max_retries: 2
      timeout: 60
    task:
      type: run_function
      code: "./src"
      entry_script: iris_prediction.py
      environment:
        name: "prs-env"
        version: 1
        image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04
        conda_file: ./environment/environment_parallel.yml
      program_arguments: >-
        --model ${{inputs.score_model}}
        --error_threshold 5
        --allowed_failed_percent 30
        --task_overhead_timeout 1200
        --progress_update_timeout 600
        --first_task_creation_timeout 600
        --copy_logs_to_parent True
        --resource_monitor_interva 20
      append_row_to: ${{outputs.job_output_file}}
"""


class JobForms(PrsTestCase):
    def setUp(self):
        super().setUp()
        self.dir.files(8)
        self.dir.script(SCORE_SCRIPT, name="iris_prediction.py")
        (self.dir.root / "iris-model").mkdir()
        (self.dir.root / "iris-model" / "model.txt").write_text("setosa\n")

    def expected(self):
        return sorted(f"f{i:03d}.txt setosa" for i in range(8))

    def test_seed_parallel_job(self):
        body = "\n".join(line[4:] for line in SEED_STEP.splitlines())
        job = self.dir.job(body)
        proc = self.prs(job, np=2)
        self.assertExit(proc, 0)
        # uri_file output without a path lands in the run directory under the output's name
        self.assertEqual(sorted(self.output_lines(self.dir.run_dir / "outputs" / "job_output_file")),
                         self.expected())

    def test_seed_pipeline_job(self):
        job = self.dir.job(f"""\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: iris-batch-prediction-using-parallel
description: The hello world pipeline job with inline parallel job
tags:
  tag: tagvalue
  owner: sdkteam
settings:
  default_compute: azureml:cpu-cluster
jobs:
  batch_prediction:
{SEED_STEP}""")
        proc = self.prs(job)
        self.assertExit(proc, 0)
        # A pipeline runs whole: each step in its own folder of the run directory.
        self.assertEqual(sorted(self.output_lines(self.dir.run_dir / "batch_prediction" / "outputs" /
                                                  "job_output_file")),
                         self.expected())
        dry = self.prs(job, "--dry-run")
        self.assertIn("batch_prediction", dry.stdout)

    def test_v1_parallel_run_config(self):
        out = self.dir.root / "v1out"
        job = self.dir.job(f"""\
entry_script: iris_prediction.py
source_directory: ./src
mini_batch_size: "3"
error_threshold: 10
allowed_failed_count: 15
allowed_failed_percent: 10
run_invocation_timeout: 60
run_max_try: 3
output_action: append_row
append_row_file_name: mnist_outputs.txt
process_count_per_node: 2
node_count: 1
inputs:
  mnist:
    type: uri_folder
    path: ./data
output: {out}
arguments: ["--model", "./iris-model"]
allow_reuse: false
""")
        proc = self.prs(job)
        self.assertExit(proc, 0)
        self.assertEqual(sorted(self.output_lines(out / "mnist_outputs.txt")), self.expected())
