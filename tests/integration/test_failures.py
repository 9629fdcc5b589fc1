"""Fault injection: every way an attempt can fail, under mpirun and alone. Each test checks
the exit code, that every row appears exactly once, and the log lines a user would read."""
import collections
import os
import re
import time
from pathlib import Path

from harness import PrsTestCase, parallel_job

# `FAIL_MODE` decides how the first attempt of every mini-batch whose first file is in
# FAIL_FILES fails; later attempts succeed. Markers in MARKER_DIR remember first attempts.
FLAKY_SCRIPT = """
import ctypes, os, sys, time

def init():
    pass

def first_attempt(path):
    marker = os.path.join(os.environ["MARKER_DIR"], os.path.basename(path))
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL)
        os.close(fd)
        return True
    except FileExistsError:
        return False

def run(mini_batch):
    name = os.path.basename(mini_batch[0])
    mode = os.environ["FAIL_MODE"]
    if name in os.environ.get("FAIL_FILES", "").split(",") and (mode.startswith("always") or first_attempt(name)):
        print(f"failing {name} with {mode}", flush=True)
        if mode.endswith("segfault"):
            ctypes.string_at(0)
        elif mode.endswith("exit"):
            os._exit(3)
        elif mode.endswith("hang"):
            time.sleep(3600)
        elif mode.endswith("short"):
            return [f"{os.path.basename(p)} ok" for p in mini_batch[:-1]]
        elif mode.endswith("none"):
            return None
        elif mode.endswith("raise"):
            raise KeyError(name)
    return [f"{os.path.basename(p)} ok" for p in mini_batch]
"""


class Failures(PrsTestCase):
    def run_flaky(self, mode, fail_files, files=12, mini_batch_size=2, np=3, extra="", timeout_s=60, args=()):
        markers = self.dir.root / "markers"
        markers.mkdir(exist_ok=True)
        self.dir.files(files)
        self.dir.script(FLAKY_SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=mini_batch_size,
                                        extra=extra).replace("timeout: 60", f"timeout: {timeout_s}"))
        env = {"MARKER_DIR": str(markers), "FAIL_MODE": mode, "FAIL_FILES": ",".join(fail_files)}
        return self.prs(job, *args, np=np, env=env)

    def assert_rows_once(self, files=12, missing=()):
        lines = self.output_lines()
        counts = collections.Counter(lines)
        self.assertEqual([l for l, c in counts.items() if c > 1], [], "doubled rows")
        expected = {f"f{i:03d}.txt ok" for i in range(files)} - set(missing)
        self.assertEqual(set(lines), expected)

    def main_logs(self):
        return "".join(p.read_text() for p in (self.dir.logs / "sys" / "node").glob("*/_main.txt"))

    def test_segfault_on_first_attempt_is_retried_rows_once(self):
        proc = self.run_flaky("first-segfault", ["f002.txt", "f006.txt"])
        self.assertExit(proc, 0)
        self.assert_rows_once()
        self.assertIn("exits with returncode -11", self.main_logs())
        statuses = collections.Counter(r["Status"] for r in self.processed())
        self.assertEqual(statuses["PROCESS_DIED"], 2)
        self.assertEqual(statuses["RUN_DONE"], 6)
        # the dead workers were replaced by higher-numbered ones, and their logs are kept
        stdout_dir = self.dir.logs / "user" / "stdout" / "0"
        self.assertGreaterEqual(len(list(stdout_dir.glob("process*.stdout.txt"))), 5)
        dead = [p for p in stdout_dir.glob("*.txt") if "failing" in p.read_text()]
        self.assertEqual(len(dead), 2)
        started = re.findall(r"(process\d+) started", self.main_logs())
        self.assertEqual(len(started), 5, started)
        self.assertTrue(set(started) >= {"process001", "process002", "process003"})
        self.assertEqual(len(set(started)), 5, "replacement workers get new numbers")

    def test_os_exit_alone_is_retried(self):
        proc = self.run_flaky("first-exit", ["f000.txt"], np=None)
        self.assertExit(proc, 0)
        self.assert_rows_once()
        self.assertIn("exits with returncode 3", self.main_logs())
        names = sorted(p.name for p in (self.dir.logs / "user" / "stdout" / "0").glob("*.stdout.txt"))
        # two workers, and the dead one's replacement numbered after them (slot 1 -> 3, slot 2 -> 4)
        self.assertEqual(len(names), 3, names)
        self.assertIn(names[-1], ("process003.stdout.txt", "process004.stdout.txt"))

    def test_worker_death_with_mini_batches_queued_behind_it(self):
        # Short mini-batches are pipelined: a worker holds its next ones when it dies. Only
        # the one it ran is a failed attempt; the others run elsewhere, once, as first attempts.
        files = 400
        proc = self.run_flaky("first-exit", ["f300.txt", "f301.txt"], files=files, mini_batch_size=1, np=None)
        self.assertExit(proc, 0)
        self.assert_rows_once(files=files)
        rows = self.processed()
        self.assertEqual(len(rows), files + 2, "one extra attempt per death, none for the queued mini-batches")
        died = [r for r in rows if r["Status"] == "PROCESS_DIED"]
        self.assertEqual(sorted(r["Mini-batch Detail"].count("f30") for r in died), [1, 1])
        self.assertEqual(collections.Counter(r["Picked Count"] for r in rows), {"1": files, "2": 2})
        self.assertIn("exits with returncode 3", self.main_logs())
        self.assertRegex(self.main_logs(), r"held \d+ more mini-batch\(es\) \(\d+ finished with results not yet sent, \d+ not started\)")

    def test_timeout_among_pipelined_mini_batches_blames_the_one_that_hangs(self):
        # Results of short mini-batches wait in the worker and leave together; its board
        # still says which mini-batch runs, so the hang is charged to that one alone and
        # the finished ones whose results never left run again as first attempts.
        files = 400
        proc = self.run_flaky("first-hang", ["f300.txt"], files=files, mini_batch_size=1, np=None, timeout_s=2)
        self.assertExit(proc, 0)
        self.assert_rows_once(files=files)
        rows = self.processed()
        self.assertEqual(len(rows), files + 1, "one extra attempt for the hang, none for the others")
        timeouts = [r for r in rows if r["Status"] == "RUN_TIMEOUT"]
        self.assertEqual(len(timeouts), 1)
        self.assertIn("f300.txt", timeouts[0]["Mini-batch Detail"])
        self.assertEqual(collections.Counter(r["Picked Count"] for r in rows), {"1": files, "2": 1})
        self.assertRegex(self.main_logs(), r"killed: run\(\) exceeded retry_settings.timeout = 2 s on mini-batch 300\.")

    def test_hang_past_timeout_is_killed_and_retried(self):
        proc = self.run_flaky("first-hang", ["f004.txt"], timeout_s=2)
        self.assertExit(proc, 0)
        self.assert_rows_once()
        timeouts = [r for r in self.processed() if r["Status"] == "RUN_TIMEOUT"]
        self.assertEqual(len(timeouts), 1)
        self.assertIn("retry_settings.timeout", timeouts[0]["Error Message"])
        self.assertIn("exits with returncode -9", self.main_logs())

    def test_short_return_every_time_writes_last_attempts_rows_once(self):
        # error_threshold >= 0: a short return fails the attempt and is retried.
        proc = self.run_flaky("always-short", ["f008.txt"], args=("--error_threshold", "5"))
        self.assertExit(proc, 0)  # 1 failed item, under the threshold
        self.assert_rows_once(missing=["f009.txt ok"])
        attempts = [r for r in self.processed() if r["Mini-batch Id"] == "4"]
        self.assertEqual(sorted(r["Picked Count"] for r in attempts), ["1", "2", "3"])
        self.assertEqual({(r["Succeeded"], r["Failed"]) for r in attempts}, {("1", "1")})

    def test_short_return_with_error_threshold_minus_1_succeeds_once(self):
        # Azure's default (and its orange-juice example): the short attempt succeeds, is not
        # retried, its rows are written and the shortfall is counted and reported once.
        proc = self.run_flaky("always-short", ["f008.txt"])
        self.assertExit(proc, 0)
        self.assert_rows_once(missing=["f009.txt ok"])
        attempts = [r for r in self.processed() if r["Mini-batch Id"] == "4"]
        self.assertEqual([(r["Picked Count"], r["Succeeded"], r["Failed"]) for r in attempts], [("1", "1", "1")])
        self.assertEqual(proc.stderr.count("returned 1 results for 2 items; with error_threshold -1"), 1)
        self.assertIn("Items: 11 succeeded, 1 failed", proc.stderr)

    def test_wrong_return_type_is_named(self):
        proc = self.run_flaky("always-none", ["f000.txt"])
        self.assertExit(proc, 0)
        self.assert_rows_once(missing=["f000.txt ok", "f001.txt ok"])
        errors = (self.dir.logs / "job_error.txt").read_text()
        self.assertIn("NoneType", errors)
        self.assertIn("3 time(s)", errors)

    def test_item_error_threshold_fails_the_job(self):
        proc = self.run_flaky("always-raise", ["f000.txt", "f004.txt"], args=("--error_threshold", "3"))
        self.assertExit(proc, 42)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("error_threshold", result)
        self.assertIn("4 items failed", result)

    def test_allowed_failed_percent_fails_after_scheduling(self):
        proc = self.run_flaky("always-raise", ["f000.txt", "f004.txt"],
                              extra="", args=("--allowed_failed_percent", "20"))
        self.assertExit(proc, 42)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("allowed_failed_percent", result)
        self.assertIn("33.3%", result)

    def test_failures_below_thresholds_still_succeed(self):
        proc = self.run_flaky("always-raise", ["f000.txt"], extra="mini_batch_error_threshold: 1")
        self.assertExit(proc, 0)
        self.assert_rows_once(missing=["f000.txt ok", "f001.txt ok"])


class InitFailures(PrsTestCase):
    def test_init_failing_everywhere_fails_42_with_traceback(self):
        self.dir.files(4).script("""
            def init():
                raise RuntimeError("cannot load model weights")
            def run(mini_batch):
                return mini_batch
        """)
        job = self.dir.job(parallel_job())
        proc = self.prs(job, np=2)
        self.assertExit(proc, 42)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("init", result)
        self.assertIn("cannot load model weights", result)
        errors = (self.dir.logs / "job_error.txt").read_text()
        self.assertIn("Traceback", errors)
        user_errors = list((self.dir.logs / "user" / "error" / "0").glob("process*.txt"))
        self.assertTrue(user_errors)
        # Azure's rule: a node stops after 3 x workers-per-node init failures (here 3 per rank)
        main = (self.dir.logs / "sys" / "node" / "0" / "_main.txt").read_text()
        self.assertEqual(main.count("init failed"), 6)

    def test_init_failing_once_recovers(self):
        markers = self.dir.root / "m"
        markers.mkdir()
        self.dir.files(6).script(f"""
            import os
            def init():
                try:
                    os.mkdir("{markers}/first")
                except FileExistsError:
                    return
                raise RuntimeError("transient")
            def run(mini_batch):
                return [os.path.basename(p) for p in mini_batch]
        """)
        job = self.dir.job(parallel_job(concurrency=2))
        proc = self.prs(job)
        self.assertExit(proc, 0)
        self.assertEqual(sorted(self.output_lines()), [f"f{i:03d}.txt" for i in range(6)])


class NoHang(PrsTestCase):
    def test_first_task_creation_timeout(self):
        self.dir.files(2).script("""
            import time
            def init():
                pass
            def run(mini_batch):
                time.sleep(3600)
        """)
        job = self.dir.job(parallel_job(task_extra="  program_arguments: --first_task_creation_timeout 2"))
        proc = self.prs(job, timeout=60)
        self.assertExit(proc, 42)
        self.assertIn("first_task_creation_timeout", (self.dir.logs / "job_result.txt").read_text())

    def test_progress_update_timeout(self):
        self.dir.files(4).script("""
            import os, time
            def init():
                pass
            def run(mini_batch):
                if os.path.basename(mini_batch[0]) != "f000.txt":
                    time.sleep(3600)
                return mini_batch
        """)
        job = self.dir.job(parallel_job(mini_batch_size=1, concurrency=1,
                                        task_extra="  program_arguments: --progress_update_timeout 2"))
        proc = self.prs(job, timeout=60)
        self.assertExit(proc, 42)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("progress_update_timeout", result)


class DeadRank(PrsTestCase):
    def start_and_kill_rank(self, np, rank, mpirun_flags, args):
        """Starts a slow job under mpirun, SIGKILLs one rank's prs_mpi once work is under way."""
        import signal, subprocess, time
        from harness import mpirun_prefix, PRS
        self.dir.files(30).script("""
            import os, time
            def init():
                pass
            def run(mini_batch):
                time.sleep(0.4)
                return [os.path.basename(p) for p in mini_batch]
        """)
        job = self.dir.job(parallel_job(mini_batch_size=1))
        cmd = mpirun_prefix(np)[:1] + mpirun_flags + mpirun_prefix(np)[1:] + [
            PRS, "--run-dir", str(self.dir.run_dir), *args, str(job)]
        proc = subprocess.Popen(cmd, cwd=self.dir.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        master = self.dir.logs / "sys" / "master_role.txt"
        deadline = time.time() + 60
        while time.time() < deadline and (not master.exists() or master.read_text().count("is ready") < np):
            time.sleep(0.1)
        time.sleep(1.0)  # every rank is now running mini-batches
        victim = None
        for pid in subprocess.run(["pgrep", "-f", f"{PRS} --run-dir {self.dir.run_dir}"], capture_output=True,
                                  text=True).stdout.split():
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            if f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
                victim = int(pid)
        self.assertIsNotNone(victim, "rank process not found")
        os.kill(victim, signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
        return proc.returncode, out, err

    def test_job_continues_without_a_dead_rank_under_enable_recovery(self):
        code, out, err = self.start_and_kill_rank(3, 2, ["--enable-recovery"], ["--rank_timeout", "3"])
        self.assertEqual(code, 0, err)
        lines = self.output_lines()
        self.assertEqual(sorted(lines), [f"f{i:03d}.txt" for i in range(30)], "nothing lost, nothing doubled")
        master = (self.dir.logs / "sys" / "master_role.txt").read_text()
        self.assertIn("rank 2 stopped working", master)

    def test_default_mpirun_ends_the_job_when_a_rank_dies(self):
        code, out, err = self.start_and_kill_rank(3, 1, [], [])
        self.assertNotEqual(code, 0)


class Orphans(PrsTestCase):
    def test_workers_die_with_their_rank(self):
        import signal, subprocess, time
        from harness import PRS
        self.dir.files(4).script("""
            import time
            def init():
                pass
            def run(mini_batch):
                time.sleep(3600)
        """)
        job = self.dir.job(parallel_job(mini_batch_size=1))
        tag = f"PRS_ORPHAN_TAG={os.getpid()}"
        env = dict(os.environ, PRS_ORPHAN_TAG=str(os.getpid()))
        proc = subprocess.Popen([PRS, "--run-dir", str(self.dir.run_dir), str(job)], cwd=self.dir.root, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def workers():
            found = []
            for pid in os.listdir("/proc"):
                if not pid.isdigit() or int(pid) == proc.pid:
                    continue
                try:
                    with open(f"/proc/{pid}/comm") as f:
                        if f.read().strip() != "prs_mpi_worker":
                            continue
                    with open(f"/proc/{pid}/environ", "rb") as f:
                        if tag.encode() in f.read().split(b"\0"):
                            found.append(int(pid))
                except OSError:
                    pass
            return found

        deadline = time.time() + 30
        while time.time() < deadline and len(workers()) < 2:
            time.sleep(0.1)
        self.assertEqual(len(workers()), 2, "two workers should be running")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 10
        while time.time() < deadline and workers():
            time.sleep(0.1)
        self.assertEqual(workers(), [], "workers outlived their rank")


class InitRules(PrsTestCase):
    """Azure's second and third init rules (the first is InitFailures above)."""

    def test_stuck_in_init_fails_after_3_timeouts_plus_30_s(self):
        self.dir.files(2).script("""
            import time
            def init():
                time.sleep(3600)
            def run(mini_batch):
                return mini_batch
        """)
        job = self.dir.job(parallel_job(concurrency=1).replace("timeout: 60", "timeout: 1"))
        started = time.time()
        proc = self.prs(job, timeout=120)
        self.assertExit(proc, 42)
        self.assertGreaterEqual(time.time() - started, 33)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("3 x retry_settings.timeout + 30 s = 33 s", result)

    def test_slow_failing_init_ends_the_job_after_two_minutes(self):
        # Each init fails after 50 s, so the first rule (3 failures per worker) would take
        # 150 s; the second (2 x nodes x workers failures once the job ran 2 minutes) ends it
        # at about 2 minutes.
        self.dir.files(2).script("""
            import time
            def init():
                time.sleep(50)
                raise RuntimeError("license server unreachable")
            def run(mini_batch):
                return mini_batch
        """)
        job = self.dir.job(parallel_job(concurrency=1))
        started = time.time()
        proc = self.prs(job, timeout=300)
        self.assertExit(proc, 42)
        elapsed = time.time() - started
        self.assertTrue(118 <= elapsed < 150, elapsed)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("init() failed 2 times", result)
        self.assertIn("license server unreachable", result)
