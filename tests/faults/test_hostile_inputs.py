"""Hostile inputs: symbolic-link loops in the input folder, a job name that is a path, a job
file with 100,000 keys, and a worker count no machine can run. Each must end with the right
rows (exactly once) or a clear exit 2, within a time bound."""
import collections
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import PRS, PrsTestCase, parallel_job  # noqa: E402

ECHO = """
import os
def run(mini_batch):
    return [f"{os.path.basename(p)} {open(p).read().strip()}" for p in mini_batch]
"""
FILES = 5


class HostileInputs(PrsTestCase):
    def setUp(self):
        super().setUp()
        self.dir.files(FILES).script(ECHO)
        self.expected = collections.Counter(f"f{i:03d}.txt content {i}" for i in range(FILES))

    def run_timed(self, job, *args, bound=120, default_run_dir=False):
        start = time.monotonic()
        if default_run_dir:  # no --run-dir: the job name chooses it
            proc = subprocess.run([PRS, *args, str(job)], cwd=self.dir.root, capture_output=True, text=True,
                                  timeout=bound)
        else:
            proc = self.prs(job, *args, timeout=bound)
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, bound)
        return proc

    def assertRowsOnce(self, path=None):
        lines = collections.Counter(self.output_lines(path))
        self.assertEqual(lines, self.expected, "each input file's row exactly once")

    def test_a_link_back_to_the_input_folder_lists_each_file_once(self):
        os.symlink(".", self.dir.data / "loop")  # 41 times each file, before
        proc = self.run_timed(self.dir.job(parallel_job(mini_batch_size=1)))
        self.assertExit(proc, 0)
        self.assertRowsOnce()
        self.assertIn(f"input link '{self.dir.data}/loop' leads to '{self.dir.data}', which is listed already",
                      proc.stderr)
        self.assertIn(f"{FILES} mini-batches", proc.stderr)

    def test_two_loops_end(self):
        # Before: the listing doubled at every level and never finished.
        os.symlink(".", self.dir.data / "loop")
        (self.dir.data / "sub").mkdir()
        os.symlink("..", self.dir.data / "sub" / "back")
        job = self.dir.job(parallel_job(mini_batch_size=1).replace("path: ./data", "path: ./data/sub/back"))
        proc = self.run_timed(job, "--dry-run", bound=30)
        self.assertExit(proc, 0)
        self.assertIn(f"mini-batches: {FILES} ({FILES} items)", proc.stdout)
        proc = self.run_timed(self.dir.job(parallel_job(mini_batch_size=1)), bound=120)
        self.assertExit(proc, 0)
        self.assertRowsOnce()
        self.assertEqual(proc.stderr.count("which is listed already"), 2, proc.stderr)

    def test_a_job_name_that_is_a_path_stays_under_prs_runs(self):
        victim = self.dir.root / "victim"
        (victim / "logs").mkdir(parents=True)
        (victim / "logs" / "precious.log").write_text("not prs_mpi's\n")
        escape = f"prs_escape_{uuid.uuid4().hex[:8]}"  # prs_runs/../../<escape> is beside the job folder
        for name in (str(victim), f"../../{escape}", ".."):
            with self.subTest(name=name):
                job = self.dir.job(parallel_job().replace("name: itest", f"name: '{name}'"))
                proc = self.run_timed(job, default_run_dir=True)
                self.assertExit(proc, 0)
                run_dirs = [p for p in (self.dir.root / "prs_runs").iterdir()]
                self.assertTrue(any(p.name.startswith("_") for p in run_dirs), run_dirs)
                for run_dir in run_dirs:
                    self.assertEqual(run_dir.parent, self.dir.root / "prs_runs")
                    self.assertTrue((run_dir / "logs" / "readme.txt").exists())
                self.assertEqual((victim / "logs" / "precious.log").read_text(), "not prs_mpi's\n")
                self.assertFalse((self.dir.root.parent / escape).exists())
        out = self.dir.root / "prs_runs" / f"_.._.._{escape}" / "outputs" / "result" / "parallel_run_step.txt"
        self.assertRowsOnce(out)

    def test_a_logs_folder_prs_mpi_did_not_make_is_not_deleted(self):
        foreign = self.dir.run_dir / "logs"
        foreign.mkdir(parents=True)
        (foreign / "precious.log").write_text("someone else's\n")
        proc = self.run_timed(self.dir.job(parallel_job()))
        self.assertExit(proc, 2)
        self.assertIn("holds a logs/ folder that prs_mpi did not make", proc.stderr)
        self.assertEqual((foreign / "precious.log").read_text(), "someone else's\n")
        self.assertFalse((self.dir.run_dir / "outputs").exists(), "exit 2 writes nothing")

    def test_a_job_file_with_100000_keys_answers_dry_run_quickly(self):
        text = parallel_job(task_extra="  environment_variables:\n" +
                            "".join(f"    VARIABLE_{i}: value\n" for i in range(100000)))
        text += "".join(f"stray_{i}: 1\n" for i in range(100000))
        job = self.dir.job(text)
        self.assertGreater(job.stat().st_size, 2_000_000)
        proc = self.run_timed(job, "--dry-run", bound=30)  # quadratic: not done after 240 s
        self.assertExit(proc, 0)
        self.assertIn("mini-batches: 1 (5 items)", proc.stdout)
        self.assertIn("99980 more unknown keys are ignored, from 'stray_20' on", proc.stderr)
        self.assertLess(proc.stderr.count("\n"), 40, "twenty warnings and a count, not 100,000 lines")

    def test_100000_workers_is_an_error_and_too_many_for_the_machine_are_capped(self):
        proc = self.run_timed(self.dir.job(parallel_job(concurrency=100000)), bound=30)
        self.assertExit(proc, 2)
        self.assertIn("max_concurrency_per_instance: expected an integer in [1, 1024], got '100000'", proc.stderr)
        self.assertFalse(self.dir.run_dir.exists(), "exit 2 writes nothing")
        cap = 4 * os.cpu_count()
        if cap >= 1024:
            self.skipTest("this machine runs 1024 workers")
        proc = self.run_timed(self.dir.job(parallel_job(concurrency=1024)), bound=120)
        self.assertExit(proc, 0)
        self.assertIn("max_concurrency_per_instance = 1024 is more workers than this machine can run", proc.stderr)
        self.assertRowsOnce()
