"""Fault class: an entry script that tampers with its worker's channel (descriptor 3): closes it,
writes garbage to it, writes a frame header announcing a gigabyte-sized message, or one
announcing a plausible message that never comes. They used
to respawn workers endlessly without charging an attempt (close) or freeze the job until
--progress_update_timeout (garbage). Expected: each attempt is charged once, the mini-batch
fails after max_retries + 1 attempts, the log names the worker and the cause, the number of
workers started stays bounded, and every other row is written once."""
import collections
import re
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import PrsTestCase, parallel_job  # noqa: E402

# Every attempt of the mini-batch that holds BAD_FILE tampers with the channel, then returns.
SCRIPT = """
import os, struct, time

def run(mini_batch):
    if os.path.basename(mini_batch[0]) == os.environ["BAD_FILE"]:
        fault = os.environ["FAULT"]
        if fault == "close":
            os.close(3)
        elif fault == "garbage":
            os.write(3, b"garbage!")
            time.sleep(0.3)  # a run() goes on after the write, as real ones do
        elif fault == "oversized":
            os.write(3, struct.pack("<I", 0xFFFFFFF0) + bytes([4]))
            time.sleep(0.3)
        elif fault == "incomplete":  # a plausible header (a 4,000-byte result) and no body
            os.write(3, struct.pack("<I", 4000) + bytes([4]))
    return [f"{os.path.basename(p)} ok" for p in mini_batch]
"""

FILES = 12
BAD_FILE = "f004.txt"        # mini-batch 2 of six (two files each)
ATTEMPTS = 3                 # max_retries: 2 (harness default), plus the first
BOUND_S = 60


class ChannelAbuse(PrsTestCase):
    def run_job(self, fault, np=None):
        self.dir.files(FILES).script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=2, extra="mini_batch_error_threshold: 0"))
        started = time.monotonic()
        # A stalled job would otherwise end only at the default --progress_update_timeout (1,890 s).
        proc = self.prs(job, np=np, env={"FAULT": fault, "BAD_FILE": BAD_FILE}, timeout=180)
        self.elapsed = time.monotonic() - started
        return proc

    def main_logs(self):
        return "".join(p.read_text() for p in (self.dir.logs / "sys" / "node").glob("*/_main.txt"))

    def assert_charged_and_failed(self, proc, cause, np=None, bound_s=BOUND_S):
        self.assertExit(proc, 42)
        self.assertLess(self.elapsed, bound_s)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("mini_batch_error_threshold", result)
        self.assertIn("1 mini-batches failed", result)
        # Every other mini-batch's rows, once.
        lines = self.output_lines()
        self.assertEqual([l for l, c in collections.Counter(lines).items() if c > 1], [], "doubled rows")
        self.assertEqual(sorted(lines), [f"f{i:03d}.txt ok" for i in range(FILES) if i not in (4, 5)])
        # The bad mini-batch: one row per attempt in the report, each a death, none uncharged.
        rows = self.processed()
        bad = [r for r in rows if r["Status"] != "RUN_DONE"]
        self.assertEqual(len(bad), ATTEMPTS, rows)
        self.assertEqual({r["Status"] for r in bad}, {"PROCESS_DIED"})
        self.assertEqual(collections.Counter(r["Status"] for r in rows)["RUN_DONE"], FILES // 2 - 1)
        # The workers that did it are named, with the cause; each was replaced once at most. A
        # worker that had begun several mini-batches since its last result charges none of
        # them: they run again alone (once per rank at most, the guilty one stays suspect).
        main = self.main_logs()
        ambiguous = len(re.findall(r"each runs again alone", main))
        self.assertLessEqual(ambiguous, np or 1, main)
        deaths = len(re.findall(cause, main + self.system_errors()))
        self.assertEqual(deaths, ATTEMPTS + ambiguous, main)
        started = re.findall(r"(process\d{3}) started with pid", main)
        self.assertEqual(len(started), len(set(started)))
        self.assertLessEqual(len(started), (np or 2) + deaths)  # the first workers + one per death

    def system_errors(self):
        return "".join(p.read_text() for p in (self.dir.logs / "sys" / "error").glob("*/process*.txt"))

    # The worker notices when run() returns, and stops before it runs anything else.
    CLOSED = r"process\d{3} exits with returncode 76 while running mini-batch 2"
    MALFORMED = r"process\d{3} sent a malformed message"

    def test_closing_the_channel_is_charged_every_attempt(self):
        self.assert_charged_and_failed(self.run_job("close"), self.CLOSED)
        stderr = "".join(p.read_text() for p in (self.dir.logs / "user" / "stderr").glob("*/process*.stderr.txt"))
        self.assertEqual(stderr.count("closed or replaced descriptor 3"), ATTEMPTS, stderr)

    def test_garbage_is_a_protocol_error(self):
        self.assert_charged_and_failed(self.run_job("garbage"), self.MALFORMED)

    def test_oversized_frame_header_is_a_protocol_error(self):
        self.assert_charged_and_failed(self.run_job("oversized"), self.MALFORMED + r" \(frame header announces")

    def test_incomplete_frame_is_a_protocol_error_after_a_silence(self):
        # Each death waits out the agent's 10 s of silence mid-frame.
        self.assert_charged_and_failed(self.run_job("incomplete"), self.MALFORMED, bound_s=120)
        self.assertIn("nothing for 10 s", self.main_logs())

    def test_garbage_under_mpirun(self):
        self.assert_charged_and_failed(self.run_job("garbage", np=3), self.MALFORMED, np=3)

    def test_closing_the_channel_under_mpirun(self):
        self.assert_charged_and_failed(self.run_job("close", np=3), self.CLOSED, np=3)


if __name__ == "__main__":
    import unittest
    unittest.main()
