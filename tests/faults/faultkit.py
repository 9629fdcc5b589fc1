"""What the fault-matrix files share: run the real binary (alone or under mpirun) in a
session of its own with a wall-time bound, so a job that hangs fails its test instead of
hanging the suite, and read the rows a user would read."""
import collections
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from harness import PRS, PrsTestCase, kill_session, mpirun_prefix, parallel_job  # noqa: E402,F401


class Run:
    """One prs_mpi run; `finish(bound)` returns once it ended, or kills it after `bound` s."""

    def __init__(self, case, job, *args, np=None, mpirun_flags=(), env=None):
        prefix = [] if np is None else mpirun_prefix(np)[:1] + list(mpirun_flags) + mpirun_prefix(np)[1:]
        cmd = prefix + [PRS, "--run-dir", str(case.dir.run_dir), *args, str(job)]
        self.started = time.time()
        self.proc = subprocess.Popen(cmd, cwd=case.dir.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True, env=dict(os.environ, **(env or {})))
        case.addCleanup(kill_session, self.proc.pid)
        self.returncode = None
        self.stdout = self.stderr = ""
        self.elapsed = None
        self.timed_out = False

    def running(self):
        return self.proc.poll() is None

    def finish(self, bound):
        try:
            self.stdout, self.stderr = self.proc.communicate(timeout=max(0.0, self.started + bound - time.time()))
        except subprocess.TimeoutExpired:
            self.timed_out = True
            kill_session(self.proc.pid)
            self.stdout, self.stderr = self.proc.communicate()
        self.returncode = self.proc.returncode
        self.elapsed = time.time() - self.started
        return self


class FaultCase(PrsTestCase):
    def assertEnded(self, run, code, bound):
        self.assertFalse(run.timed_out, f"still running after {bound} s (killed)\nstderr:\n{run.stderr}")
        self.assertEqual(run.returncode, code, f"exit {run.returncode}, expected {code}\nstderr:\n{run.stderr}")
        self.assertLess(run.elapsed, bound)

    def assertRowsOnce(self, expected, path=None):
        lines = collections.Counter(self.output_lines(path))
        want = collections.Counter(expected)
        self.assertEqual(lines - want, collections.Counter(), "doubled or foreign rows")
        self.assertEqual(want - lines, collections.Counter(), "lost rows")

    def main_logs(self):
        return "".join(p.read_text() for p in (self.dir.logs / "sys" / "node").glob("*/_main.txt"))

    def job_result(self):
        path = self.dir.logs / "job_result.txt"
        return path.read_text() if path.exists() else ""

    def wait_for(self, condition, bound, what):
        deadline = time.time() + bound
        while time.time() < deadline:
            if condition():
                return
            time.sleep(0.1)
        self.fail(f"timed out after {bound} s waiting for {what}")
