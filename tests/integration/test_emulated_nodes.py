"""Two emulated nodes on one machine (a fake rsh agent makes Open MPI start each node's ranks
as if on another host): node ids, per-node GPU pinning, and a node lost mid-job."""
import collections
import os
import signal
import subprocess
import time
from pathlib import Path

from harness import PrsTestCase, parallel_job, PRS, MPIEXEC

SCRIPT = """
import os, time
def init():
    pass
def run(mini_batch):
    time.sleep(float(os.environ.get("PRS_SLEEP", "0.05")))
    return [f"{os.path.basename(p)} node={os.environ.get('PRS_FAKE_NODE')} "
            f"gpu={os.environ.get('CUDA_VISIBLE_DEVICES', 'none')}" for p in mini_batch]
"""
FAKESSH = Path(__file__).resolve().parent / "fakessh"


class EmulatedNodes(PrsTestCase):
    def command(self, *args):
        return [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
                "--mca", "plm_rsh_agent", str(FAKESSH), "--host", "node1:2,node2:2",
                "--mca", "oob_tcp_if_include", "lo", "--mca", "btl_tcp_if_include", "lo", "--mca", "btl", "self,tcp",
                "-x", "PRS_GPUS_PER_NODE", "-x", "PRS_SLEEP", "-np", "4",
                PRS, "--run-dir", str(self.dir.run_dir), *args]

    def env(self, **extra):
        return dict(os.environ, **{"TMPBASE": str(self.dir.root), "PRS_GPUS_PER_NODE": "1", "PRS_SLEEP": "0.05", **extra})

    def test_two_nodes_ids_gpu_mapping_and_complete_output(self):
        self.dir.files(24).script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=1))
        proc = subprocess.run(self.command(str(job)), cwd=self.dir.root, capture_output=True, text=True,
                              timeout=300, env=self.env())
        self.assertExit(proc, 0)
        lines = self.output_lines()
        self.assertEqual(sorted(l.split()[0] for l in lines), [f"f{i:03d}.txt" for i in range(24)])
        rows = self.processed()
        self.assertEqual({r["Node Id"] for r in rows}, {"0", "1"})
        # per node: local worker 0 gets GPU 0, local worker 1 none (1 GPU per node)
        by_node = collections.defaultdict(set)
        for l in lines:
            _, node, gpu = l.split()
            by_node[node].add(gpu)
        self.assertEqual(dict(by_node), {"node=node1": {"gpu=0", "gpu=none"}, "node=node2": {"gpu=0", "gpu=none"}})
        for node in ("0", "1"):
            self.assertTrue((self.dir.logs / "sys" / "node" / node / "_main.txt").exists())
            self.assertEqual(sorted(p.name for p in (self.dir.logs / "user" / "stdout" / node).iterdir()),
                             ["process001.stdout.txt", "process002.stdout.txt"])
        master = (self.dir.logs / "sys" / "master_role.txt").read_text()
        self.assertIn("GPUs per node: 1", master)
        self.assertEqual(master.count("CUDA_VISIBLE_DEVICES=0"), 2)

    def test_losing_a_node_mid_job_ends_it_and_a_rerun_resumes(self):
        # Open MPI's default: a dead rank ends the whole job at once (no hang). The journal
        # then lets the same command resume on whatever nodes the rerun gets.
        self.dir.files(40).script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=1))
        proc = subprocess.Popen(self.command(str(job)), cwd=self.dir.root,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env(PRS_SLEEP="0.2"))
        master = self.dir.logs / "sys" / "master_role.txt"
        deadline = time.time() + 60
        while time.time() < deadline and (not master.exists() or master.read_text().count("is ready") < 4):
            time.sleep(0.1)
        time.sleep(1.0)
        victims = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    env = f.read().split(b"\0")
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if b"PRS_FAKE_NODE=node2" in env and str(self.dir.run_dir).encode() in cmd and b"prs_mpi\0" in cmd:
                victims.append(int(pid))
        self.assertEqual(len(victims), 2, "node2's two ranks")
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
        self.assertNotEqual(proc.returncode, 0, "the job cannot succeed with a node gone")
        rerun = subprocess.run(self.command(str(job)), cwd=self.dir.root, capture_output=True, text=True,
                               timeout=300, env=self.env())
        self.assertExit(rerun, 0)
        self.assertIn("resuming", rerun.stderr)
        lines = self.output_lines()
        self.assertEqual(sorted(l.split()[0] for l in lines), [f"f{i:03d}.txt" for i in range(40)],
                         "nothing lost, nothing doubled")
