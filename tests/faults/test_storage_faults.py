"""Storage faults on rank 0: the output on a filesystem that fills up during the run, and
an output folder or run directory on a read-only one. Small tmpfs mounts make them real
(the tests run as root; chmod does not stop root). A full disk ends the job within seconds
with the cause and the path on stderr and in job_result.txt, other ranks told to stop, and
the rerun after freeing space resumes with every row once; a read-only folder is found
before any worker starts (exit 2)."""
import subprocess
import unittest

from faultkit import FaultCase, Run, parallel_job

FILES = 40
PAD = "x" * 3000  # 40 rows of ~3 KB: more than the 64 KB filesystem holds

# Slow enough that some mini-batches are committed before the filesystem is full, so
# that the rerun has something to resume from.
SCRIPT = f"""
import os, time
def init():
    pass
def run(mini_batch):
    time.sleep(0.05)
    return [f"{{os.path.basename(p)}} {PAD}" for p in mini_batch]
"""


def mount_tmpfs(where, size, read_only=False):
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    if read_only:
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)


def can_mount():
    probe = subprocess.run(["sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=4k tmpfs $d && umount $d; "
                                        "r=$?; rmdir $d; exit $r"], capture_output=True)
    return probe.returncode == 0


@unittest.skipUnless(can_mount(), "needs root and tmpfs mounts")
class Storage(FaultCase):
    def setUp(self):
        super().setUp()
        self.mounts = []

    def tearDown(self):
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(m)], capture_output=True)
        super().tearDown()

    def mount(self, name, size="64k", read_only=False):
        where = self.dir.root / name
        mount_tmpfs(where, size, read_only)
        self.mounts.append(where)
        return where

    def job(self, output_dir):
        self.dir.files(FILES).script(SCRIPT)
        return self.dir.job(parallel_job(mini_batch_size=1, output_path=str(output_dir)))

    def expected(self):
        return [f"f{i:03d}.txt {PAD}" for i in range(FILES)]

    def full_disk_then_resume(self, np):
        out = self.mount("out")
        output_file = out / "parallel_run_step.txt"
        job = self.job(out)
        # Within seconds (the run itself takes about 3): not after mpirun's 30 s of silence.
        run = Run(self, job, np=np).finish(20)
        self.assertEnded(run, 42, 20)
        for text in (run.stderr, self.job_result()):
            self.assertIn("No space left on device", text)
            self.assertIn(str(output_file), text)
            self.assertIn("free space", text)
        self.assertIn("I/O error", self.job_result())
        self.assertNotIn("internal error", run.stderr)
        self.assertNotIn("no word from rank 0", run.stderr)
        # Room again: the same command resumes, and every row is there once.
        subprocess.run(["mount", "-o", "remount,size=1m", str(out)], check=True)
        rerun = Run(self, job, np=np).finish(60)
        self.assertEnded(rerun, 0, 60)
        self.assertRegex(rerun.stderr, r"resuming the interrupted run in .*: [1-9]\d* mini-batches already done")
        self.assertRowsOnce(self.expected(), output_file)

    def test_output_fills_up_alone(self):
        self.full_disk_then_resume(None)

    def test_output_fills_up_under_mpirun(self):
        self.full_disk_then_resume(3)

    def read_only_output(self, np):
        out = self.mount("out", read_only=True)
        run = Run(self, self.job(out), np=np).finish(30)
        self.assertEnded(run, 2, 30)
        self.assertIn(f"cannot write to the output folder {out}: Read-only file system", run.stderr)
        self.assertIn("make that path writable", run.stderr)
        self.assertFalse((self.dir.logs / "sys" / "node").exists(), "no worker may start")

    def test_read_only_output_folder_alone(self):
        self.read_only_output(None)

    def test_read_only_output_folder_under_mpirun(self):
        self.read_only_output(3)

    def test_read_only_run_dir(self):
        run_dir = self.mount("run", read_only=True)
        run = Run(self, self.job(self.dir.root / "out")).finish(30)
        self.assertEnded(run, 2, 30)
        self.assertIn(f"cannot write to the run directory {run_dir}: Read-only file system", run.stderr)

    def test_read_only_output_file_under_mpirun_ends_at_once(self):
        # The folder takes files, the output file itself is read-only (a read-only bind
        # mount): opening it fails after the workers started. Rank 0 says so and ends the
        # job at once; the other ranks do not wait 30 s for it.
        out = self.dir.root / "out"
        out.mkdir()
        output_file = out / "parallel_run_step.txt"
        output_file.write_text("")
        subprocess.run(["mount", "--bind", str(output_file), str(output_file)], check=True)
        self.mounts.append(output_file)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(output_file)], check=True)
        run = Run(self, self.job(out), np=3).finish(20)
        self.assertEnded(run, 42, 20)
        for text in (run.stderr, self.job_result()):
            self.assertIn(f"cannot open output file {output_file}: Read-only file system", text)
            self.assertIn("make that path writable", text)
        self.assertNotIn("no word from rank 0", run.stderr)

    def test_full_run_dir(self):
        run_dir = self.mount("run", size="4k")
        (run_dir / "filler").write_bytes(b"x" * 4096)
        run = Run(self, self.job(self.dir.root / "out")).finish(30)
        self.assertEnded(run, 2, 30)
        self.assertIn(f"cannot write to the run directory {run_dir}: No space left on device", run.stderr)
        self.assertIn("free space", run.stderr)


if __name__ == "__main__":
    unittest.main()
