"""The project's sbatch script on a real (single-node) Slurm cluster started by the test."""
import collections
import os
import re
import unittest

from harness import PrsTestCase, parallel_job, PRS, SOURCE_DIR
from slurm_cluster import SlurmCluster, have_slurm

SCRIPT = """
import os, time
def init():
    pass
def run(mini_batch):
    time.sleep(float(os.environ.get("PRS_SLEEP", "0")))
    return [f"{os.path.basename(p)} rank-worker {os.environ.get('PRS_ITEST_NODE', '')}" for p in mini_batch]
"""


@unittest.skipUnless(have_slurm(), "Slurm is not installed (scripts/install-deps.sh --test installs it)")
class SlurmTestCase(PrsTestCase):
    """Each test class gets its own cluster, shut down after its tests."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = SlurmCluster().start()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()


class Slurm(SlurmTestCase):
    def submit(self, *args, env=None):
        extra = {"PRS_MPI": PRS, "PRS_SLURM_DIR": str(SOURCE_DIR / "slurm"),
                 "PRS_MPIRUN_ARGS": "--oversubscribe --mca btl_vader_single_copy_mechanism none", **(env or {})}
        return self.cluster.sbatch("--ntasks=3", "--overcommit", f"--output={self.dir.root}/slurm-%j.out",
                                   str(SOURCE_DIR / "slurm" / "prs_mpi_cpu.sbatch"), "--run-dir",
                                   str(self.dir.run_dir), *args, cwd=self.dir.root, extra_env=extra)

    def test_sbatch_runs_the_job_under_mpirun(self):
        self.dir.files(20).script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=2))
        code, job_id, err = self.submit(str(job))
        out = "".join(p.read_text() for p in self.dir.root.glob("slurm-*.out"))
        self.assertEqual(code, 0, f"{err}\n{out}\n{self.cluster.logs()}")
        state, exit_code, _ = self.cluster.job_state(job_id)
        self.assertEqual((state, exit_code), ("COMPLETED", "0:0"))
        lines = self.output_lines()
        self.assertEqual(sorted(l.split()[0] for l in lines), [f"f{i:03d}.txt" for i in range(20)])
        # 3 Slurm tasks = 3 ranks with a worker each (which of them ran the 10 short
        # mini-batches depends on which finished init() first).
        main = (self.dir.logs / "sys" / "node" / "0" / "_main.txt").read_text()
        self.assertEqual(set(re.findall(r"(process\d{3}) is ready \(init\(\) done\)", main)),
                         {"process001", "process002", "process003"}, "3 Slurm tasks = 3 workers")
        self.assertLessEqual({r["Process"] for r in self.processed()}, {"process001", "process002", "process003"})

    def test_failed_job_fails_the_slurm_job(self):
        self.dir.files(4).script("def init():\n    raise RuntimeError('no model')\ndef run(b):\n    return b\n")
        job = self.dir.job(parallel_job())
        code, job_id, _ = self.submit(str(job))
        self.assertNotEqual(code, 0)
        state, exit_code, _ = self.cluster.job_state(job_id)
        self.assertEqual(state, "FAILED")
        self.assertTrue(exit_code.startswith("42:"), exit_code)


class SlurmWarningSignal(SlurmTestCase):
    """Slurm's warning before the time limit (here sent by hand with scancel --signal=USR1
    --batch): the job stops resumably, requeues itself, and the requeued run finishes it."""

    def test_usr1_stops_requeues_and_resumes(self):
        import subprocess, time
        self.dir.files(60).script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=1))
        env = dict(self.cluster.env, PRS_MPI=PRS, PRS_SLURM_DIR=str(SOURCE_DIR / "slurm"), PRS_SLEEP="0.1",
                   PRS_MPIRUN_ARGS="--oversubscribe --mca btl_vader_single_copy_mechanism none")
        submitted = subprocess.run(
            ["sbatch", "--parsable", "--ntasks=2", "--overcommit", f"--output={self.dir.root}/slurm-%j.out",
             str(SOURCE_DIR / "slurm" / "prs_mpi_cpu.sbatch"), "--run-dir", str(self.dir.run_dir), str(job)],
            cwd=self.dir.root, capture_output=True, text=True, env=env, check=True)
        job_id = submitted.stdout.strip().split(";")[0]
        master = self.dir.logs / "sys" / "master_role.txt"
        deadline = time.time() + 60
        while time.time() < deadline and (not master.exists() or master.read_text().count("is ready") < 2):
            time.sleep(0.2)
        time.sleep(1.0)
        subprocess.run(["scancel", "--signal=USR1", "--batch", job_id], env=env, check=True)
        deadline = time.time() + 180
        state = None
        while time.time() < deadline:
            state, exit_code, restarts = self.cluster.job_state(job_id)
            if state in ("COMPLETED", "FAILED", "CANCELLED") and restarts and int(restarts) >= 1:
                break
            if state == "PENDING":
                self.cluster.start_requeued_now(job_id)
            time.sleep(0.5)
        out = "".join(p.read_text() for p in self.dir.root.glob("slurm-*.out"))
        self.assertEqual(state, "COMPLETED", out)
        self.assertIn("requeueing", out)
        self.assertIn("resuming", out)
        self.assertEqual(sorted(l.split()[0] for l in self.output_lines()), [f"f{i:03d}.txt" for i in range(60)])
