"""The project's sbatch script on a real (single-node) Slurm cluster started by the test."""
import collections
import os
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
class Slurm(PrsTestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = SlurmCluster().start()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

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
        processes = {r["Process"] for r in self.processed()}
        self.assertEqual(processes, {"process001", "process002", "process003"}, "3 Slurm tasks = 3 workers")

    def test_failed_job_fails_the_slurm_job(self):
        self.dir.files(4).script("def init():\n    raise RuntimeError('no model')\ndef run(b):\n    return b\n")
        job = self.dir.job(parallel_job())
        code, job_id, _ = self.submit(str(job))
        self.assertNotEqual(code, 0)
        state, exit_code, _ = self.cluster.job_state(job_id)
        self.assertEqual(state, "FAILED")
        self.assertTrue(exit_code.startswith("42:"), exit_code)
