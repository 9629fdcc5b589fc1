"""Durability: kill the whole job at random points, resume, and get exactly the lines of an
uninterrupted run; stop by signal with the resumable exit code; reuse a finished run."""
import collections
import os
import random
import shutil
import signal
import subprocess
import time

from harness import PrsTestCase, parallel_job, mpirun_prefix, kill_session, PRS

SLOW_SCRIPT = """
import os, time
def init():
    pass
def run(mini_batch):
    time.sleep(float(os.environ.get("PRS_SLEEP", "0.03")))
    return [f"{os.path.basename(p)} {open(p).read().strip()}" for p in mini_batch]
"""
FILES = 80


class Resume(PrsTestCase):
    def setUp(self):
        super().setUp()
        self.dir.files(FILES).script(SLOW_SCRIPT)
        self.job = self.dir.job(parallel_job(mini_batch_size=1))
        self.expected = collections.Counter(f"f{i:03d}.txt content {i}" for i in range(FILES))

    def command(self, np, *args):
        return ([] if np is None else mpirun_prefix(np)) + [PRS, "--run-dir", str(self.dir.run_dir), *args,
                                                            str(self.job)]

    def start(self, np, *args, env=None):
        env = dict(os.environ, **{"PRS_SLEEP": "0.05", **(env or {})})
        return subprocess.Popen(self.command(np, *args), cwd=self.dir.root, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True, env=env)

    def kill_whole_job_at_random(self, np, seed, kills=2):
        rng = random.Random(seed)
        said = ""
        for _ in range(kills):
            # The random point is counted from this run's first new rows: counted from its
            # start, a loaded machine may still be starting workers when the kill comes.
            before = len(self.output_lines()) if self.output_file().exists() else 0
            proc = self.start(np)
            self.wait_for_output_lines(before + 2)
            time.sleep(rng.uniform(0.0, 0.7))
            kill_session(proc.pid)
            said += proc.communicate()[1]
        final = subprocess.run(self.command(np), cwd=self.dir.root, capture_output=True, text=True, timeout=300)
        self.assertExit(final, 0)
        self.assertIn("resuming", said + final.stderr)
        lines = collections.Counter(self.output_lines())
        self.assertEqual(lines - self.expected, collections.Counter(), "doubled or foreign lines")
        self.assertEqual(self.expected - lines, collections.Counter(), "lost lines")
        return final

    def test_kill_9_alone_at_random_points(self):
        for seed in (1, 2, 3):
            with self.subTest(seed=seed):
                self.kill_whole_job_at_random(None, seed)
                result = (self.dir.logs / "job_result.txt").read_text()
                self.assertIn(f"{FILES} succeeded", result)
                shutil.rmtree(self.dir.run_dir)  # the next seed starts from scratch

    def test_kill_9_under_mpirun_at_random_points(self):
        for seed in (11, 12):
            with self.subTest(seed=seed):
                self.kill_whole_job_at_random(3, seed)
                shutil.rmtree(self.dir.run_dir)

    def resume_to_the_end(self):
        """Runs the same command again: it must resume and leave every line exactly once."""
        final = subprocess.run(self.command(None), cwd=self.dir.root, capture_output=True, text=True, timeout=300)
        self.assertExit(final, 0)
        self.assertIn("resuming", final.stderr)
        self.assertEqual(collections.Counter(self.output_lines()), self.expected)

    def test_output_order_input_killed_while_rows_wait_resumes_with_true_counts(self):
        # Three workers; f004 and f010 are slow: while two workers are stuck on them, the
        # third finishes f011, f012, ... whose rows wait for f010. When f004 ends, rows 4-9
        # are written and committed; the waiting ones' counts must not be journaled with
        # them, or the resumed run counts those mini-batches a second time.
        self.dir.script("""
import os, time
def run(mini_batch):
    name = os.path.basename(mini_batch[0])
    time.sleep({"f004.txt": 1.0, "f010.txt": 6.0}.get(name, 0.05))
    return [f"{name} {open(mini_batch[0]).read().strip()}" for _ in mini_batch]
""")
        self.dir.job(parallel_job(mini_batch_size=1, concurrency=3, extra="output_order: input"))
        first = self.start(None)
        time.sleep(3.0)
        kill_session(first.pid)
        first.communicate()
        self.resume_to_the_end()
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn(f"Mini-batches: {FILES} succeeded, 0 failed, {FILES} total", result)
        self.assertIn(f"Rows: {FILES} written", result)

    def test_a_second_run_in_the_same_run_dir_is_refused_while_the_first_runs(self):
        first = self.start(None, env={"PRS_SLEEP": "0.5"})
        time.sleep(1.0)
        second = subprocess.run(self.command(None), cwd=self.dir.root, capture_output=True, text=True, timeout=120)
        self.assertExit(second, 2)
        self.assertIn(f"another prs_mpi (pid {first.pid} on", second.stderr)
        self.assertIn("--run-dir", second.stderr)
        kill_session(first.pid)
        first.communicate()
        # the lock dies with its holder: the job resumes at once
        self.resume_to_the_end()

    def test_sigterm_alone_stops_resumably_then_resumes(self):
        proc = self.start(None, env={"PRS_SLEEP": "0.1"})
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 75, err)
        self.assertIn("run the same command again", err)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("stopped by signal 15", result)
        partial = self.output_lines()
        self.assertTrue(0 < len(partial) < FILES, len(partial))
        final = self.prs(self.job)
        self.assertExit(final, 0)
        self.assertEqual(collections.Counter(self.output_lines()), self.expected)

    def test_sigusr1_to_mpirun_stops_gracefully_with_75(self):
        proc = self.start(3, env={"PRS_SLEEP": "0.1"})
        time.sleep(2.5)
        subprocess.run(["pkill", "-USR1", "-f", f"^{mpirun_prefix(3)[0]} .*{self.dir.run_dir}"])
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 75, err)
        final = self.prs(self.job, np=3)
        self.assertExit(final, 0)
        lines = collections.Counter(self.output_lines())
        self.assertEqual((lines - self.expected, self.expected - lines), (collections.Counter(), collections.Counter()))

    def test_finished_run_is_reused_and_changes_start_fresh(self):
        first = self.prs(self.job)
        self.assertExit(first, 0)
        before = self.output_lines()
        again = self.prs(self.job)
        self.assertExit(again, 0)
        self.assertIn("reused", again.stderr)
        self.assertEqual(self.output_lines(), before)
        self.assertIn("Reused", (self.dir.logs / "sys" / "master_role.txt").read_text())

        (self.dir.data / "f999.txt").write_text("content 999\n")  # a changed input
        changed = self.prs(self.job)
        self.assertExit(changed, 0)
        self.assertIn("starting fresh", changed.stderr)
        self.assertEqual(len(self.output_lines()), FILES + 1)

        forced = self.prs(self.job, "--fresh")
        self.assertExit(forced, 0)
        self.assertNotIn("reused", forced.stderr)
        self.assertEqual(len(self.output_lines()), FILES + 1)

    def test_not_deterministic_runs_again(self):
        self.job = self.dir.job(parallel_job(mini_batch_size=1, extra="is_deterministic: false"))
        self.assertExit(self.prs(self.job), 0)
        again = self.prs(self.job)
        self.assertExit(again, 0)
        self.assertNotIn("reused", again.stderr)
        self.assertEqual(collections.Counter(self.output_lines()), self.expected)

    def test_another_jobs_journal_is_never_applied(self):
        self.assertExit(self.prs(self.job), 0)
        self.dir.script(SLOW_SCRIPT.replace('return [f"', 'return [f"v2 '))
        other = self.prs(self.job)
        self.assertExit(other, 0)
        self.assertIn("starting fresh", other.stderr)
        lines = self.output_lines()
        self.assertEqual(len(lines), FILES)
        self.assertTrue(all(l.startswith("v2 ") for l in lines))
