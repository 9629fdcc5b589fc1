"""Two jobs, one output file: two run directories whose jobs name the same output path.
Before, both exited 0 saying they had written their rows, the first job's rows were gone, and
rerunning it said "reused the finished run". Now a job holds its output file for the run (a
second writer exits 2 naming the holder), and reuse or resume first checks that the output
still holds what the journal committed (its length and CRC-32), else runs again, saying why."""
import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import PRS, PrsTestCase, mpirun_prefix, parallel_job  # noqa: E402

SCRIPT = """
import os, time
def run(mini_batch):
    time.sleep(float(os.environ.get("PRS_SLEEP", "0")))
    return [f"{os.environ.get('JOB_TAG', 'a')} {os.path.basename(p)}" for p in mini_batch]
"""
FILES = 20


class ConcurrentWriters(PrsTestCase):
    def setUp(self):
        super().setUp()
        self.dir.files(FILES).script(SCRIPT)
        self.out = self.dir.root / "shared" / "rows.txt"
        self.job = self.dir.job(parallel_job(mini_batch_size=1, output_type="uri_file", output_path=str(self.out)))

    def command(self, run_dir):
        return [PRS, "--run-dir", str(self.dir.root / run_dir), str(self.job)]

    def run_job(self, run_dir, tag, sleep="0", bound=120):
        start = time.monotonic()
        proc = subprocess.run(self.command(run_dir), cwd=self.dir.root, capture_output=True, text=True, timeout=bound,
                              env=dict(os.environ, JOB_TAG=tag, PRS_SLEEP=sleep))
        self.assertLess(time.monotonic() - start, bound)
        return proc

    def expected(self, tag):
        return collections.Counter(f"{tag} f{i:03d}.txt" for i in range(FILES))

    def assertRows(self, tag):
        self.assertEqual(collections.Counter(self.out.read_text().splitlines()), self.expected(tag))

    def test_a_second_job_writing_the_same_output_exits_2_naming_the_holder(self):
        first = subprocess.Popen(self.command("run_a"), cwd=self.dir.root, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=dict(os.environ, JOB_TAG="a", PRS_SLEEP="1.5"))
        try:
            deadline = time.monotonic() + 60
            while not (self.dir.root / "run_a" / "logs" / "sys" / "master_role.txt").exists():
                self.assertLess(time.monotonic(), deadline, "the first job did not start")
                time.sleep(0.05)
            start = time.monotonic()
            second = self.run_job("run_b", "b", bound=60)
            self.assertExit(second, 2)
            self.assertIn(f"another prs_mpi job (pid {first.pid} on ", second.stderr)
            self.assertIn(f"run directory {self.dir.root / 'run_a'}) is writing the output file {self.out}",
                          second.stderr)
            self.assertLess(time.monotonic() - start, 8, "another job's output lock is not waited for")
            # The same under mpirun: rank 0 refuses, every rank exits 2.
            under_mpirun = subprocess.run(mpirun_prefix(2) + self.command("run_c"), cwd=self.dir.root,
                                          capture_output=True, text=True, timeout=60)
            self.assertExit(under_mpirun, 2)
            self.assertIn(f"is writing the output file {self.out}", under_mpirun.stderr)
            self.assertIsNone(first.poll(), "the refusals did not wait for the first job to end")
        finally:
            _, err = first.communicate(timeout=120)
        self.assertEqual(first.returncode, 0, err)
        self.assertRows("a")

    def test_a_finished_run_whose_output_another_job_rewrote_runs_again(self):
        self.assertExit(self.run_job("run_a", "a"), 0)
        self.assertExit(self.run_job("run_b", "b"), 0)  # after a: its own fresh output, b's rows
        self.assertRows("b")
        again = self.run_job("run_a", "a")  # before: "reused the finished run" with b's rows
        self.assertExit(again, 0)
        self.assertIn(f"starting fresh: the output file {self.out} does not hold the rows the journal recorded",
                      again.stderr)
        self.assertNotIn("reused", again.stderr)
        self.assertRows("a")
        reuse = self.run_job("run_a", "a")  # now untouched: reused, nothing runs
        self.assertExit(reuse, 0)
        self.assertIn("reused the finished run", reuse.stderr)
        self.assertRows("a")

    def test_an_output_cut_or_edited_behind_a_finished_run_runs_again(self):
        self.assertExit(self.run_job("run_a", "a"), 0)
        size = self.out.stat().st_size
        for change, message in (
                (lambda b: b[:-7], f"is {size - 7} bytes long, and the journal says {size} were written"),
                (lambda b: b + b"extra\n", f"is {size + 6} bytes long, and the journal says {size} were written"),
                (lambda b: b.replace(b"a f0", b"x f0", 1), "does not hold the rows the journal recorded")):
            with self.subTest(message=message):
                self.out.write_bytes(change(self.out.read_bytes()))
                again = self.run_job("run_a", "a")
                self.assertExit(again, 0)
                self.assertIn(message, again.stderr)
                self.assertIn(f"{FILES} mini-batches", again.stderr, "it ran again")
                self.assertRows("a")

    def test_a_resumed_run_whose_committed_rows_changed_starts_fresh(self):
        first = subprocess.Popen(self.command("run_a"), cwd=self.dir.root, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True,
                                 env=dict(os.environ, JOB_TAG="a", PRS_SLEEP="0.15"))
        deadline = time.monotonic() + 60
        while not self.out.exists() or self.out.stat().st_size < 40:
            self.assertLess(time.monotonic(), deadline, "no rows committed")
            time.sleep(0.05)
        time.sleep(0.3)  # a commit follows the rows within 100 ms
        os.killpg(first.pid, signal.SIGKILL)
        first.communicate()
        data = self.out.read_bytes()
        self.out.write_bytes(b"z" + data[1:])  # another writer's byte among the committed ones
        again = self.run_job("run_a", "a")
        self.assertExit(again, 0)
        self.assertIn("starting fresh: the output file", again.stderr)
        self.assertNotIn("resuming", again.stderr)
        self.assertRows("a")
