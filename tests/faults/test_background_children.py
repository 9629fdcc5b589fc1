"""Fault class: processes the entry script starts and leaves running (a shell's `cmd &`, a bare
os.fork() child, a subprocess.Popen never waited for). They used to hold the worker's channel
open, so the job lasted as long as they did (45 s here), and outlived it. Expected: the job ends
when its work is done, with every row once, exit 0, and none of them is left running."""
import collections
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import PrsTestCase, parallel_job  # noqa: E402

# Every run() leaves a child behind that would sleep 45 s. The sleep's argument carries a
# token unique to the test (pgrep finds them); forked children record their pids.
SCRIPT = """
import os, subprocess, time

def run(mini_batch):
    mode, token = os.environ["CHILD_MODE"], os.environ["CHILD_TOKEN"]
    if mode == "system":
        os.system(f"sleep {token} &")
    elif mode == "fork":
        pid = os.fork()
        if pid == 0:
            time.sleep(45)
            os._exit(0)
        with open(os.path.join(os.environ["PID_DIR"], str(pid)), "w"):
            pass
    elif mode == "popen":
        subprocess.Popen(["sleep", token])
    return [f"{os.path.basename(p)} ok" for p in mini_batch]
"""

FILES = 8
BOUND_S = 30  # well under the children's 45 s, generous for a loaded machine


def running(pid):
    """Whether `pid` runs (a zombie waiting for init to reap it has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def matching(token):
    """Pids of processes whose command line holds `token` (what `pgrep -f` does)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if token in cmdline and running(int(entry.name)):
            pids.append(int(entry.name))
    return pids


class BackgroundChildren(PrsTestCase):
    def run_job(self, mode, np=None):
        self.token = f"45.{uuid.uuid4().int % 10**9:09d}"  # `sleep 45.<digits>` sleeps 45 s
        self.pid_dir = self.dir.root / "pids"
        self.pid_dir.mkdir()
        self.dir.files(FILES).script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=2))
        env = {"CHILD_MODE": mode, "CHILD_TOKEN": self.token, "PID_DIR": str(self.pid_dir)}
        started = time.monotonic()
        proc = self.prs(job, np=np, env=env, timeout=120)
        self.elapsed = time.monotonic() - started
        return proc

    def tearDown(self):
        # What a failing test left running must not outlive it (before the folder goes).
        for pid in self.leftovers():
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        super().tearDown()

    def leftovers(self):
        forked = [int(p.name) for p in self.pid_dir.iterdir()]
        return [pid for pid in forked if running(pid)] + matching(self.token)

    def assert_ended_cleanly(self, proc):
        self.assertExit(proc, 0)
        self.assertLess(self.elapsed, BOUND_S, "the job waited for the script's background children")
        lines = self.output_lines()
        self.assertEqual([l for l, c in collections.Counter(lines).items() if c > 1], [], "doubled rows")
        self.assertEqual(sorted(lines), [f"f{i:03d}.txt ok" for i in range(FILES)])
        statuses = collections.Counter(r["Status"] for r in self.processed())
        self.assertEqual(statuses, {"RUN_DONE": FILES // 2})
        main = (self.dir.logs / "sys" / "node" / "0" / "_main.txt").read_text()
        self.assertIn("exits with returncode 0", main)
        self.assertEqual(self.leftovers(), [], "processes the entry script started outlived the job")

    def test_shell_background_job(self):
        proc = self.run_job("system")
        self.assert_ended_cleanly(proc)

    def test_forked_child_holding_the_channel(self):
        proc = self.run_job("fork")
        self.assertEqual(len(list(self.pid_dir.iterdir())), FILES // 2)
        self.assert_ended_cleanly(proc)

    def test_popen_never_waited(self):
        proc = self.run_job("popen")
        self.assert_ended_cleanly(proc)

    def test_forked_child_under_mpirun(self):
        proc = self.run_job("fork", np=3)
        self.assert_ended_cleanly(proc)


if __name__ == "__main__":
    import unittest
    unittest.main()
