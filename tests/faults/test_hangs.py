"""Hangs in the entry script's lifecycle: a shutdown() that never returns, a non-daemon
thread that keeps the interpreter from exiting, an init() that never returns on one
worker. Each job ends within a bound with every row exactly once, the exit code of its
mini-batches, and a log line naming the worker that was killed."""
import os
import re
import time

from faultkit import FaultCase, Run, parallel_job

FILES = 20

# HANG selects the fault; markers in MARKER_DIR make "the first worker" hang in init().
SCRIPT = """
import os, threading, time

def first(name):
    try:
        os.close(os.open(os.path.join(os.environ["MARKER_DIR"], name), os.O_CREAT | os.O_EXCL))
        return True
    except FileExistsError:
        return False

def init():
    hang = os.environ["HANG"]
    if hang == "thread":
        threading.Thread(target=lambda: time.sleep(3600), daemon=False).start()
    elif hang == "init" and first("init"):
        time.sleep(3600)

def run(mini_batch):
    time.sleep(float(os.environ.get("RUN_SLEEP", "0")))
    return [f"{os.path.basename(p)} ok" for p in mini_batch]

def shutdown():
    first(f"shutdown.{os.getpid()}")
    if os.environ["HANG"] == "shutdown":
        time.sleep(3600)
"""

TIMEOUT = 4  # retry_settings.timeout: also the bound on shutdown() and the exit after it


class Hangs(FaultCase):
    def start(self, hang, np=None, files=FILES, run_sleep=0):
        self.markers = self.dir.root / "markers"
        self.markers.mkdir()
        self.dir.files(files).script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=1).replace("timeout: 60", f"timeout: {TIMEOUT}"))
        return Run(self, job, np=np, env={"HANG": hang, "MARKER_DIR": str(self.markers),
                                                 "RUN_SLEEP": str(run_sleep)})

    def expected(self, files=FILES):
        return [f"f{i:03d}.txt ok" for i in range(files)]

    def shutdowns_begun(self):
        return len([m for m in os.listdir(self.markers) if m.startswith("shutdown.")])

    def killed(self, why):
        return re.findall(r"(process\d+) killed: " + why, self.main_logs())

    def test_shutdown_that_never_returns_alone(self):
        run = self.start("shutdown")
        # Rows are committed before the workers are asked to stop: while shutdown() hangs
        # they are already in the output (a kill now would lose nothing).
        self.wait_for(lambda: self.shutdowns_begun() == 2 or not run.running(), 60, "shutdown() to begin")
        self.assertTrue(run.running(), "the job should still be waiting for shutdown()")
        self.assertRowsOnce(self.expected())
        run.finish(60)
        self.assertEnded(run, 0, 60)
        self.assertRowsOnce(self.expected())
        killed = self.killed(rf"shutdown\(\) and its exit took longer than retry_settings.timeout = {TIMEOUT} s")
        self.assertEqual(sorted(killed), ["process001", "process002"], self.main_logs())
        self.assertIn("Job succeeded", self.job_result())
        self.assertGreaterEqual(run.elapsed, TIMEOUT)

    def test_non_daemon_thread_under_mpirun(self):
        run = self.start("thread", np=3, run_sleep=0.2).finish(90)
        self.assertEnded(run, 0, 90)
        self.assertRowsOnce(self.expected())
        killed = self.killed(r"shutdown\(\) and its exit took longer than retry_settings.timeout")
        self.assertEqual(len(killed), 3, self.main_logs())
        self.assertIn("Job succeeded", self.job_result())

    def test_init_that_never_returns_on_one_worker_alone(self):
        # run() takes a while, so the healthy worker is ready long before the job drains.
        run = self.start("init", run_sleep=0.1).finish(60)
        self.assertEnded(run, 0, 60)
        self.assertRowsOnce(self.expected())
        killed = self.killed(rf"its init\(\) had not finished retry_settings.timeout = {TIMEOUT} s after the job's "
                             "work was done")
        self.assertEqual(len(killed), 1, self.main_logs())
        self.assertIn("Job succeeded", self.job_result())

    def test_init_that_never_returns_on_one_rank_under_mpirun(self):
        # No work is queued at a rank whose worker has not finished init(): the other two
        # do all of it, and the stuck worker is killed retry_settings.timeout after the job
        # drains.
        files = 10
        run = self.start("init", np=3, files=files, run_sleep=0.3).finish(90)
        self.assertEnded(run, 0, 90)
        self.assertRowsOnce(self.expected(files))
        killed = self.killed(rf"its init\(\) had not finished retry_settings.timeout = {TIMEOUT} s after the job's "
                             "work was done")
        self.assertEqual(len(killed), 1, self.main_logs())
        self.assertIn("Job succeeded", self.job_result())
        self.assertEqual(len({r["Process"] + r["Node Id"] for r in self.processed()}), 2,
                         "only the two ready workers ran mini-batches")


if __name__ == "__main__":
    import unittest
    unittest.main()
