"""A damaged or foreign journal: a record with a crafted mini-batch id (std::bad_alloc before),
a journal cut short, flipped bytes, another job's journal, garbage. None may crash the run or
lose or double a row: a torn tail resumes from the intact records, anything else is reported
and the run starts fresh."""
import collections
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import PRS, PrsTestCase, parallel_job  # noqa: E402

SCRIPT = """
import os, time
def run(mini_batch):
    time.sleep(float(os.environ.get("PRS_SLEEP", "0")))
    return [f"{os.path.basename(p)} {open(p).read().strip()}" for p in mini_batch]
"""
FILES = 12


def record(kind, payload):
    body = bytes([kind]) + payload
    return struct.pack("<II", len(body), zlib.crc32(body)) + body


class JournalDamage(PrsTestCase):
    def setUp(self):
        super().setUp()
        self.dir.files(FILES).script(SCRIPT)
        self.job = self.dir.job(parallel_job(mini_batch_size=2, extra="is_deterministic: false"))
        self.expected = collections.Counter(f"f{i:03d}.txt content {i}" for i in range(FILES))
        self.journal = self.dir.run_dir / "journal.bin"

    def run_job(self, bound=120, sleep="0"):
        start = time.monotonic()
        proc = self.prs(self.job, timeout=bound, env={"PRS_SLEEP": sleep})
        self.assertLess(time.monotonic() - start, bound)
        self.assertNotIn("internal error", proc.stderr)
        self.assertNotIn("bad_alloc", proc.stderr)
        self.assertExit(proc, 0)
        self.assertEqual(collections.Counter(self.output_lines()), self.expected, "each row exactly once")
        return proc

    def unfinished_journal(self):
        """The journal of a finished run less its end record: a run to resume, all done. Slow
        mini-batches, so that it has several commit records (one each 100 ms at most)."""
        self.run_job(sleep="0.25")
        data = self.journal.read_bytes()
        records, at = [], 0
        while at < len(data):
            size, = struct.unpack_from("<I", data, at)
            records.append(data[at:at + 8 + size])
            at += 8 + size
        self.assertEqual(records[-1][8], 3, "the last record ends the run")
        self.assertGreaterEqual(len(records), 4, "a header and several commits")
        return records[:-1]

    def test_a_crafted_mini_batch_id_is_reported_not_a_crash(self):
        records = self.unfinished_journal()
        header = records[0]
        # A commit record of the form every prs_mpi reads (type 2: offset, counters, ids): the
        # id sized the done-list, and prs_mpi died of std::bad_alloc.
        counters = struct.pack("<7Q", 0, 0, 0, 0, 0, 0, 0)
        crafted = record(2, struct.pack("<Q", 0) + counters + struct.pack("<IQ", 1, 1 << 62))
        self.journal.write_bytes(header + crafted)
        proc = self.run_job()
        self.assertIn(f"starting fresh: the journal {self.journal} is damaged or not this job's (at byte "
                      f"{len(header)}: mini-batch id {1 << 62}, and the input has 6 mini-batches)", proc.stderr)

    def test_a_journal_cut_short_resumes_from_its_intact_records(self):
        records = self.unfinished_journal()
        intact = b"".join(records[:2])  # the header and the first commit
        self.journal.write_bytes(intact + records[2][:len(records[2]) // 2])
        proc = self.run_job()
        self.assertIn("resuming the interrupted run", proc.stderr)
        self.assertIn("torn or damaged bytes at the end of the journal are ignored", proc.stderr)

    def test_flipped_bytes(self):
        records = self.unfinished_journal()
        for where, message in ((9, "is damaged or not this job's (it has no intact journal header)"),
                               (len(records[0]) + 20, "resuming the interrupted run")):
            with self.subTest(where=where):
                data = bytearray(b"".join(records))
                data[where] ^= 0x40
                self.journal.write_bytes(bytes(data))
                proc = self.run_job()
                self.assertIn(message, proc.stderr)
                self.journal.write_bytes(b"".join(records))

    def test_another_jobs_journal_and_garbage_start_fresh(self):
        self.run_job()
        other = self.dir.root / "other"
        shutil.copytree(self.dir.root / "data", other / "data")
        (other / "data" / "extra.txt").write_text("another job's input\n")
        shutil.copytree(self.dir.code, other / "src")
        (other / "job.yml").write_text(self.job.read_text())
        subprocess.run([PRS, "--run-dir", "run", "job.yml"], cwd=other, capture_output=True, timeout=120, check=True)
        shutil.copy(other / "run" / "journal.bin", self.journal)
        proc = self.run_job()
        self.assertIn("starting fresh: the run directory holds a run of another job", proc.stderr)
        for garbage in (b"", os.urandom(4096), b"\xff" * 64):
            with self.subTest(size=len(garbage)):
                self.journal.write_bytes(garbage)
                proc = self.run_job()
                self.assertIn("starting fresh: the journal", proc.stderr)
