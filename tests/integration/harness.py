"""Helpers for integration tests: build job folders, run the real prs_mpi binary alone
or under real mpirun, and read what a user would read (rows, exit code, logs)."""
import csv
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
import unittest
from pathlib import Path

PRS = os.environ.get("PRS_MPI", str(Path(__file__).resolve().parents[2] / "build" / "prs_mpi"))
MPIEXEC = os.environ.get("PRS_MPIEXEC") or shutil.which("mpirun") or "mpirun"
SOURCE_DIR = Path(os.environ.get("PRS_SOURCE_DIR", Path(__file__).resolve().parents[2]))


def mpirun_prefix(np):
    return [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
            "--mca", "btl_vader_single_copy_mechanism", "none", "-np", str(np)]


def kill_session(sid):
    """SIGKILL to every process of the session: mpirun, every rank and every worker, as in
    a node loss. (Open MPI puts each rank in a process group of its own, so killpg() of
    mpirun's group would leave the ranks running.)"""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class JobDir:
    """A temporary folder holding a job file, its entry script and input files."""

    def __init__(self, root: Path):
        self.root = root
        self.code = root / "src"
        self.data = root / "data"
        self.code.mkdir()
        self.data.mkdir()

    def files(self, count, prefix="f", nested=False):
        for i in range(count):
            sub = self.data / (f"d{i % 3}" if nested else "")
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"{prefix}{i:03d}.txt").write_text(f"content {i}\n")
        return self

    def script(self, body, name="entry.py"):
        (self.code / name).write_text(textwrap.dedent(body))
        return self

    def job(self, body, name="job.yml"):
        path = self.root / name
        path.write_text(textwrap.dedent(body))
        return path

    @property
    def run_dir(self):
        return self.root / "run"

    @property
    def logs(self):
        return self.run_dir / "logs"


def parallel_job(mini_batch_size=5, append=True, extra="", task_extra="", output_type="uri_folder",
                 output_path=None, concurrency=2, script="entry.py"):
    out_path = f"\n    path: {output_path}" if output_path else ""
    append_line = "  append_row_to: ${{outputs.result}}" if append else ""
    return f"""\
type: parallel
name: itest
inputs:
  input_data:
    type: uri_folder
    path: ./data
outputs:
  result:
    type: {output_type}{out_path}
input_data: ${{{{inputs.input_data}}}}
mini_batch_size: "{mini_batch_size}"
resources:
  instance_count: 1
max_concurrency_per_instance: {concurrency}
retry_settings:
  max_retries: 2
  timeout: 60
{extra}
task:
  type: run_function
  code: ./src
  entry_script: {script}
{append_line}
{task_extra}
"""


class PrsTestCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="prs_itest_")
        self.dir = JobDir(Path(self._tmp.name))

    def tearDown(self):
        self._tmp.cleanup()

    def prs(self, job, *args, np=None, timeout=300, env=None):
        cmd = ([] if np is None else mpirun_prefix(np)) + [PRS, "--run-dir", str(self.dir.run_dir), *args, str(job)]
        full_env = dict(os.environ, **(env or {}))
        return subprocess.run(cmd, cwd=self.dir.root, capture_output=True, text=True, timeout=timeout,
                              env=full_env)

    def output_file(self):
        return self.dir.run_dir / "outputs" / "result" / "parallel_run_step.txt"

    def output_lines(self, path=None):
        return Path(path or self.output_file()).read_text().splitlines()

    def wait_for_output_lines(self, count, timeout=60):
        """Waits until the output file holds at least `count` lines (rows are committed as
        the job goes); a signal sent then finds the job under way however loaded the machine."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if len(self.output_lines()) >= count:
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        self.fail(f"the output did not reach {count} lines in {timeout} s")

    def processed(self):
        with open(self.dir.logs / "sys" / "job_report" / "processed_mini-batches.csv", newline="") as f:
            return list(csv.DictReader(f))

    def assertExit(self, proc, code):
        self.assertEqual(proc.returncode, code,
                         f"exit {proc.returncode}, expected {code}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
