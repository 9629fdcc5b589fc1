"""A rank that stops answering without dying (SIGSTOP: a hung node, a debugger, a frozen
filesystem). Rank 0 drops it after --rank_timeout and its mini-batches run on the other
ranks. Under mpirun --enable-recovery the job succeeds and rank 0 ends the stopped
process, for mpirun waits for every rank's; without it Open MPI fails a job whose rank
does not finish, so the job fails (42) and says why, and the rerun resumes. Either way the
exit code and job_result.txt agree, and every row is written once."""
import os
import re
import signal
import subprocess
import time

from faultkit import PRS, FaultCase, Run, parallel_job

FILES = 30
SCRIPT = """
import os, time
def init():
    pass
def run(mini_batch):
    time.sleep(0.4)
    return [os.path.basename(p) for p in mini_batch]
"""


class StoppedRank(FaultCase):
    def start_and_stop_rank(self, rank, mpirun_flags):
        self.dir.files(FILES).script(SCRIPT)
        self.job = self.dir.job(parallel_job(mini_batch_size=1))
        run = Run(self, self.job, "--rank_timeout", "3", np=3, mpirun_flags=mpirun_flags)
        master = self.dir.logs / "sys" / "master_role.txt"
        self.wait_for(lambda: master.exists() and master.read_text().count("is ready") >= 3, 60, "3 ready workers")
        time.sleep(1.0)  # every rank is running mini-batches
        victim = self.rank_pid(rank)
        os.kill(victim, signal.SIGSTOP)
        self.addCleanup(self.kill_if_alive, victim)
        return run, victim

    def rank_pid(self, rank):
        for pid in subprocess.run(["pgrep", "-f", f"{PRS} --run-dir {self.dir.run_dir}"], capture_output=True,
                                  text=True).stdout.split():
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if f"OMPI_COMM_WORLD_RANK={rank}".encode() in f.read().split(b"\0"):
                        return int(pid)
            except OSError:
                pass
        self.fail(f"rank {rank} not found")

    @staticmethod
    def kill_if_alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def expected(self):
        return [f"f{i:03d}.txt" for i in range(FILES)]

    def test_enable_recovery_finishes_without_it_and_succeeds(self):
        run, victim = self.start_and_stop_rank(2, ["--enable-recovery"])
        run.finish(90)
        self.assertEnded(run, 0, 90)
        self.assertRowsOnce(self.expected())
        result = self.job_result()
        self.assertTrue(result.startswith("Job succeeded"), result)
        self.assertIn("Dropped: rank 2 (silent for --rank_timeout = 3 s)", result)
        master = (self.dir.logs / "sys" / "master_role.txt").read_text()
        self.assertIn(f"rank 2 (pid {victim}) killed: it was dropped for silence", master)
        self.assertFalse(os.path.exists(f"/proc/{victim}"), "the stopped rank outlived the job")

    def test_default_mpirun_fails_the_job_and_says_so_then_resumes(self):
        run, _ = self.start_and_stop_rank(1, [])
        run.finish(90)
        self.assertEnded(run, 42, 90)
        self.assertRowsOnce(self.expected())
        result = self.job_result()
        self.assertTrue(result.startswith("Job failed"), result)
        self.assertRegex(result, r"Reason \(lost rank\): rank 1 fell silent for --rank_timeout = 3 s")
        self.assertIn("--enable-recovery", result)
        self.assertIn("lost rank", run.stderr)
        # Nothing is left to do: the rerun resumes, runs nothing and succeeds with the same rows.
        rerun = Run(self, self.job, "--rank_timeout", "3", np=3).finish(60)
        self.assertEnded(rerun, 0, 60)
        self.assertIn("resuming", rerun.stderr)
        self.assertRowsOnce(self.expected())
        self.assertTrue(self.job_result().startswith("Job succeeded"), self.job_result())


if __name__ == "__main__":
    import unittest
    unittest.main()
