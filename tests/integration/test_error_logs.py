"""Where a failed job sends its user: every log path named in job_result.txt, job_error.txt,
sys/master_role.txt and prs_mpi's stderr exists, for each way a job can fail; and the
worker failures that are not the entry script's exception land in logs/sys/error/."""
import re
from pathlib import Path

from harness import PrsTestCase, parallel_job
from test_tabular_job import mltable_job, read_delimited_mltable

# FAIL_IN (init or run) fails with FAIL_MODE; in run() only for mini-batches holding
# FAIL_FILE ("*": every one).
SCRIPT = """
import os, time

def fail():
    mode = os.environ["FAIL_MODE"]
    if mode == "raise":
        raise ValueError("the entry script gave up")
    if mode == "segfault":
        os.kill(os.getpid(), 11)
    if mode == "exit":
        os._exit(3)
    if mode == "hang":
        time.sleep(60)

def init():
    if os.environ["FAIL_IN"] == "init":
        fail()

def run(mini_batch):
    target = os.environ.get("FAIL_FILE", "*")
    if os.environ["FAIL_IN"] == "run" and (target == "*" or any(p.endswith(target) for p in mini_batch)):
        fail()
    return [os.path.basename(p) for p in mini_batch]
"""

# Characters that end a path in a message: blanks, quotes, brackets, separators.
PATH_BODY = r"[^\s'\"()\[\]{},;<>|]*"
SYS_ERROR_LINE = re.compile(r"^\S+ \S+\|ERROR\|\d+\|\d+\|mini-batch (\d+) attempt (\d+): ([A-Z_]+): (.*)$")


class ErrorLogs(PrsTestCase):
    def run_failing(self, fail_in, mode, fail_file="f001.txt", timeout_s=60):
        self.dir.files(4).script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=1)
                           .replace("max_retries: 2", "max_retries: 1")
                           .replace("timeout: 60", f"timeout: {timeout_s}"))
        return self.prs(job, env={"FAIL_IN": fail_in, "FAIL_MODE": mode, "FAIL_FILE": fail_file})

    def named_paths(self, text):
        run_dir = self.dir.run_dir
        relative = re.findall(r"(?<![\w./-])logs/" + PATH_BODY, text)
        absolute = re.findall(re.escape(str(run_dir)) + r"(?:/" + PATH_BODY + ")?", text)
        # A sentence may end right after a path.
        return {run_dir / p.rstrip(".:") for p in relative} | {Path(p.rstrip(".:")) for p in absolute}

    def assert_named_paths_exist(self, proc):
        sources = {"stderr": proc.stderr}
        for name in ("job_result.txt", "job_error.txt", "sys/master_role.txt"):
            path = self.dir.logs / name
            if path.exists():
                sources[name] = path.read_text()
        named = {}
        for source, text in sources.items():
            for path in self.named_paths(text):
                named.setdefault(path, source)
        self.assertIn(self.dir.logs / "job_result.txt", named, "stderr should name job_result.txt")
        missing = {str(p): source for p, source in named.items() if not p.exists()}
        self.assertEqual(missing, {}, "log paths named in messages but missing on disk")

    def system_errors(self):
        """{process: [(mini-batch, attempt, status, message)]} from logs/sys/error/0/."""
        found = {}
        for path in sorted((self.dir.logs / "sys" / "error" / "0").glob("*.txt")):
            lines = path.read_text().splitlines()
            for line in lines:
                self.assertRegex(line, SYS_ERROR_LINE)
            found[path.stem] = [SYS_ERROR_LINE.match(line).groups() for line in lines]
        return found

    def assert_system_errors(self, status, message_part, mini_batch="1"):
        """Both attempts of `mini_batch` failed with `status`, each in the file of the
        process that ran it, as processed_mini-batches.csv says."""
        errors = self.system_errors()
        logged = sorted((p, mb, attempt, s) for p, lines in errors.items() for mb, attempt, s, _ in lines)
        reported = sorted((r["Process"], r["Mini-batch Id"], r["Picked Count"], r["Status"])
                          for r in self.processed() if r["Status"] != "RUN_DONE")
        self.assertEqual(logged, reported)
        self.assertEqual(sorted((mb, a, s) for _, mb, a, s in logged),
                         [(mini_batch, "1", status), (mini_batch, "2", status)])
        for lines in errors.values():
            for line in lines:
                self.assertIn(message_part, line[3])

    def test_exception_in_every_run_is_the_users_not_the_systems(self):
        proc = self.run_failing("run", "raise", fail_file="*")
        self.assertExit(proc, 42)
        self.assert_named_paths_exist(proc)
        self.assertFalse((self.dir.logs / "sys" / "error").exists())

    def assert_worker_failure_logged(self, mode, status, message_part, timeout_s=60):
        """Mini-batch 1 fails both attempts by `mode`; the others succeed, so the job does."""
        proc = self.run_failing("run", mode, timeout_s=timeout_s)
        self.assertExit(proc, 0)
        self.assert_named_paths_exist(proc)
        self.assert_system_errors(status, message_part)

    def test_segfault_in_run(self):
        self.assert_worker_failure_logged("segfault", "PROCESS_DIED",
                                          "exits with returncode -11 while running mini-batch 1")

    def test_os_exit_in_run(self):
        self.assert_worker_failure_logged("exit", "PROCESS_DIED", "exits with returncode 3 while running mini-batch 1")

    def test_run_timeout(self):
        self.assert_worker_failure_logged("hang", "RUN_TIMEOUT", "retry_settings.timeout = 1 s", timeout_s=1)

    def test_init_raises(self):
        proc = self.run_failing("init", "raise")
        self.assertExit(proc, 42)
        self.assert_named_paths_exist(proc)

    def test_init_exits(self):
        proc = self.run_failing("init", "exit")
        self.assertExit(proc, 42)
        self.assert_named_paths_exist(proc)

    def run_tabular(self, csv_text):
        (self.dir.data / "a.csv").write_text(csv_text)
        (self.dir.data / "MLTable").write_text(read_delimited_mltable([("file", "./a.csv")]))
        self.dir.script("def init():\n    pass\n\ndef run(mini_batch):\n    return mini_batch\n")
        return self.prs(self.dir.job(mltable_job().replace("task:", "retry_settings:\n  max_retries: 1\ntask:")))

    def test_bad_input_data(self):
        proc = self.run_tabular("id,v\n1,x\n2,x,extra\n")
        self.assertExit(proc, 42)
        self.assert_named_paths_exist(proc)
        self.assert_system_errors("LOAD_FAILED", "ragged row in", mini_batch="0")

    def test_input_without_rows(self):
        # Nothing failed, so there is no job_error.txt to send the user to.
        proc = self.run_tabular("id,v\n")
        self.assertExit(proc, 42)
        self.assertIn("no result to append", proc.stderr)
        self.assert_named_paths_exist(proc)
