"""A real single-node Slurm cluster (munge, slurmctld, slurmd from Debian) with its state in
a temporary folder, started for a test and shut down after it."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CONF = """\
ClusterName=lab
SlurmctldHost={host}(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={d}/munge/munge.socket.2
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
StateSaveLocation={d}/slurm/state
SlurmdSpoolDir={d}/slurm/spool
SlurmctldPidFile={d}/slurm/slurmctld.pid
SlurmdPidFile={d}/slurm/slurmd.pid
SlurmctldLogFile={d}/slurm/slurmctld.log
SlurmdLogFile={d}/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
# A test cannot wait for the default minute between scheduling passes.
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName={host} NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def have_slurm():
    return all(shutil.which(t) for t in ("slurmctld", "slurmd", "sbatch", "munged", "mungekey"))


class SlurmCluster:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="prs_slurm_"))
        self.host = socket.gethostname()
        d = self.dir
        (d / "munge").mkdir()
        for sub in ("state", "spool"):
            (d / "slurm" / sub).mkdir(parents=True)
        os.chmod(d / "munge", 0o755)
        self.conf = d / "slurm" / "slurm.conf"
        self.conf.write_text(CONF.format(host=self.host, d=d, ctld_port=free_port(), d_port=free_port()))
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))
        self._hurried = set()

    def start(self):
        d = self.dir
        subprocess.run(["mungekey", "--create", f"--keyfile={d}/munge/munge.key"], check=True,
                       capture_output=True)
        os.chmod(d / "munge" / "munge.key", 0o400)
        subprocess.run(["munged", "--force", f"--key-file={d}/munge/munge.key",
                        f"--socket={d}/munge/munge.socket.2", f"--pid-file={d}/munge/munged.pid",
                        f"--log-file={d}/munge/munged.log", f"--seed-file={d}/munge/munged.seed"],
                       check=True, capture_output=True)
        for daemon in ("slurmctld", "slurmd"):
            # Without -D both daemonize: the command returns once the daemon runs.
            with open(d / "slurm" / f"{daemon}.out", "w") as out:
                subprocess.run([daemon, "-f", str(self.conf)], stdin=subprocess.DEVNULL, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True, env=self.env, check=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            state = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=self.env)
            if state.stdout.strip() == "idle":
                return self
            time.sleep(0.3)
        raise RuntimeError("Slurm did not come up:\n" + self.logs())

    def logs(self):
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in (self.dir / "slurm").glob("*.log")
                         if p.exists())

    def sbatch(self, *args, cwd, extra_env=None):
        """Submits and waits (sbatch --wait); returns (exit code, job id)."""
        proc = subprocess.run(["sbatch", "--wait", "--parsable", *args], cwd=cwd, capture_output=True, text=True,
                              env=dict(self.env, **(extra_env or {})), timeout=600)
        job_id = proc.stdout.strip().split(";")[0]
        return proc.returncode, job_id, proc.stderr

    def job_state(self, job_id):
        out = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, env=self.env)
        fields = dict(kv.split("=", 1) for kv in out.stdout.split() if "=" in kv)
        return fields.get("JobState"), fields.get("ExitCode"), fields.get("Restarts")

    def start_requeued_now(self, job_id):
        """Slurm holds a requeued job for two minutes (Reason=BeginTime); a test lets it start
        sooner, as an administrator would with scontrol. Not in the same second as the
        requeue: slurmd refuses a job whose credential is not newer, in whole seconds, than
        the kill of its previous run ("Job credential revoked") and the job then fails."""
        out = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, env=self.env)
        fields = dict(kv.split("=", 1) for kv in out.stdout.split() if "=" in kv)
        run = (job_id, fields.get("Restarts"))
        if fields.get("Reason") == "BeginTime" and run not in self._hurried:
            self._hurried.add(run)
            subprocess.run(["scontrol", "update", f"JobId={job_id}", "StartTime=now+2"], capture_output=True,
                           env=self.env)

    def stop(self):
        subprocess.run(["scancel", "--full", "--user=root"], capture_output=True, env=self.env)
        subprocess.run(["scontrol", "shutdown"], capture_output=True, env=self.env)
        time.sleep(1)
        subprocess.run(["munged", "-s", f"--socket={self.dir}/munge/munge.socket.2"], capture_output=True)
        for pidfile in ("slurm/slurmd.pid", "slurm/slurmctld.pid", "munge/munged.pid"):
            try:
                os.kill(int((self.dir / pidfile).read_text()), 9)
            except (OSError, ValueError):
                pass
        # Slurm leaves running jobs behind when its daemons stop: their slurmstepd and job
        # processes (all started with this cluster's SLURM_CONF) would outlive the test.
        mark = f"SLURM_CONF={self.conf}".encode()
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if int(proc.name) != os.getpid() and mark in (proc / "environ").read_bytes().split(b"\0"):
                    os.kill(int(proc.name), 9)
            except (OSError, ValueError):
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
