"""Fault matrix: a worker killed by the kernel's OOM killer. The entry script moves its
worker into a memory cgroup (v1) of 200 MB and then allocates more, so the kernel kills it
with SIGKILL exactly as it kills a worker that outgrows a node. The attempt is charged and
retried on a new worker; rows appear exactly once; the log says how the worker ended."""
import collections
import os
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import PrsTestCase, parallel_job  # noqa: E402

CGROUP_ROOT = Path("/sys/fs/cgroup/memory")

SCRIPT = """
import os

def init():
    pass

def first_attempt(name):
    try:
        os.close(os.open(os.path.join(os.environ["MARKER_DIR"], name), os.O_CREAT | os.O_EXCL))
        return True
    except FileExistsError:
        return False

def run(mini_batch):
    names = [os.path.basename(p) for p in mini_batch]
    if "f007.txt" in names and (os.environ["OOM_MODE"] == "always" or first_attempt("f007.txt")):
        with open(os.path.join(os.environ["OOM_CGROUP"], "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        hog = bytearray(600 * 1024 * 1024)  # the kernel kills the worker here
        return ["not reached"]
    return [f"{os.path.basename(p)} ok" for p in mini_batch]
"""


class OomKilledWorker(PrsTestCase):
    def setUp(self):
        super().setUp()
        self.cgroup = CGROUP_ROOT / f"prs_oom_{os.getpid()}_{id(self)}"
        try:
            self.cgroup.mkdir()
            (self.cgroup / "memory.limit_in_bytes").write_text(str(200 * 1024 * 1024))
        except OSError as e:
            self.skipTest(f"no memory cgroup to make the OOM killer act ({e}); needs root and cgroup v1")
        self.addCleanup(self.remove_cgroup)

    def remove_cgroup(self):
        for _ in range(50):  # the killed worker leaves the cgroup when it is reaped
            try:
                self.cgroup.rmdir()
                return
            except OSError:
                time.sleep(0.1)

    def run_job(self, mode, np=None):
        markers = self.dir.root / "markers"
        markers.mkdir()
        self.dir.files(12)
        self.dir.script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=2))
        env = {"MARKER_DIR": str(markers), "OOM_MODE": mode, "OOM_CGROUP": str(self.cgroup)}
        started = time.monotonic()
        proc = self.prs(job, np=np, env=env, timeout=120)
        return proc, time.monotonic() - started

    def attempts_of_the_killed_mini_batch(self):
        rows = [r for r in self.processed() if "f007.txt" in r["Mini-batch Detail"]]
        return [r["Status"] for r in rows]

    def main_logs(self):
        return "".join(p.read_text() for p in (self.dir.logs / "sys" / "node").glob("*/_main.txt"))

    def test_oom_killed_worker_is_retried_and_rows_appear_once(self):
        proc, seconds = self.run_job("once")
        self.assertExit(proc, 0)
        lines = self.output_lines()
        self.assertEqual(len(lines), 12)
        self.assertEqual(set(lines), {f"f{i:03d}.txt ok" for i in range(12)})
        self.assertEqual(self.attempts_of_the_killed_mini_batch(), ["PROCESS_DIED", "RUN_DONE"])
        self.assertIn("exits with returncode -9", self.main_logs())
        self.assertLess(seconds, 60)

    def test_oom_on_every_attempt_fails_the_mini_batch_under_mpirun(self):
        proc, seconds = self.run_job("always", np=3)
        self.assertExit(proc, 0)  # mini_batch_error_threshold -1: the job tolerates it
        lines = self.output_lines()
        counts = collections.Counter(lines)
        self.assertEqual([l for l, c in counts.items() if c > 1], [], "doubled rows")
        self.assertEqual(set(lines), {f"f{i:03d}.txt ok" for i in range(12)} - {"f006.txt ok", "f007.txt ok"})
        # max_retries 2: three attempts, each a worker the kernel killed, then the mini-batch failed.
        self.assertEqual(self.attempts_of_the_killed_mini_batch(), ["PROCESS_DIED"] * 3)
        self.assertEqual(self.main_logs().count("exits with returncode -9"), 3)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("1 failed", result)
        self.assertLess(seconds, 90)


if __name__ == "__main__":
    unittest.main()
