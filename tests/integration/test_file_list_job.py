"""A uri_folder job end to end: alone and under mpirun -np 3, rows, logs and environment."""
import collections
import json
from pathlib import Path

from harness import PrsTestCase, parallel_job

ECHO_SCRIPT = """
import os, sys, time
import helper_module  # task.code is on sys.path

def init():
    print("init argv", sys.argv[1:], "env", os.environ.get("PRS_ITEST_VAR"), flush=True)
    launcher = sorted(k for k in os.environ if k.startswith(("OMPI_", "PMIX_", "OPAL_")))
    print("launcher variables:", launcher)
    print("open fds:", sorted(int(fd) for fd in os.listdir("/proc/self/fd")))
    print("init stderr marker", file=sys.stderr)

def run(mini_batch):
    time.sleep(float(os.environ.get("PRS_ITEST_SLEEP", "0")))
    print("run got", len(mini_batch), "files")
    return [helper_module.describe(p) for p in mini_batch]

def shutdown():
    print("shutdown called")
"""
HELPER = """
import os
def describe(path):
    return os.path.basename(path) + " " + open(path).read().strip()
"""


class FileListJob(PrsTestCase):
    def make(self, files=23, mini_batch_size=5, **kw):
        self.dir.files(files, nested=True)
        self.dir.script(ECHO_SCRIPT)
        self.dir.script(HELPER, name="helper_module.py")
        return self.dir.job(parallel_job(
            mini_batch_size=mini_batch_size,
            task_extra="""\
  program_arguments: --model ./m --error_threshold 100 "--quoted arg"
  environment_variables:
    PRS_ITEST_VAR: hello
    PRS_ITEST_SLEEP: "0.2"
""", **kw))

    def check_rows(self, lines, files):
        self.assertEqual(len(lines), files)
        self.assertEqual(len(set(lines)), files, "a row was doubled")
        expected = {f"f{i:03d}.txt content {i}" for i in range(files)}
        self.assertEqual(set(lines), expected)

    def test_alone_runs_every_file_once_and_writes_logs(self):
        job = self.make()
        proc = self.prs(job)
        self.assertExit(proc, 0)
        self.check_rows(self.output_lines(), 23)

        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("succeeded", result)
        rows = self.processed()
        self.assertEqual(len(rows), 5)  # ceil(23 / 5)
        self.assertEqual(sorted(int(r["Mini-batch Id"]) for r in rows), list(range(5)))
        self.assertEqual(sum(int(r["Succeeded"]) for r in rows), 23)
        self.assertTrue(all(r["Status"] == "RUN_DONE" for r in rows))
        self.assertEqual({r["Process"] for r in rows} <= {"process001", "process002"}, True)
        files = json.loads(rows[0]["Mini-batch Detail"])["files"]
        self.assertTrue(all(Path(f).is_absolute() for f in files))

        stdout = (self.dir.logs / "user" / "stdout" / "0" / "process001.stdout.txt").read_text()
        self.assertIn("init argv ['--model', './m', '--error_threshold', '100', '--quoted arg'] env hello", stdout)
        self.assertIn("shutdown called", stdout)
        stderr = (self.dir.logs / "user" / "stderr" / "0" / "process001.stderr.txt").read_text()
        self.assertIn("init stderr marker", stderr)
        self.assertTrue((self.dir.logs / "readme.txt").exists())
        self.assertTrue((self.dir.logs / "sys" / "node" / "0" / "_main.txt").exists())
        self.assertTrue(list(self.dir.logs.glob("job_progress_overview.*.txt")))

    def test_files_sorted_and_batched_in_order(self):
        job = self.make(files=7, mini_batch_size=3)
        self.assertExit(self.prs(job), 0)
        by_id = {int(r["Mini-batch Id"]): json.loads(r["Mini-batch Detail"])["files"] for r in self.processed()}
        flat = [Path(f).name for i in sorted(by_id) for f in by_id[i]]
        # all files recursively, sorted by path: d0/..., d1/..., d2/...
        self.assertEqual([len(by_id[i]) for i in sorted(by_id)], [3, 3, 1])
        self.assertEqual(flat, ["f000.txt", "f003.txt", "f006.txt", "f001.txt", "f004.txt", "f002.txt", "f005.txt"])

    def test_under_mpirun_three_ranks_share_the_work(self):
        job = self.make(files=30, mini_batch_size=2)
        proc = self.prs(job, np=3)
        self.assertExit(proc, 0)
        self.check_rows(self.output_lines(), 30)
        rows = self.processed()
        self.assertEqual(len(rows), 15)
        self.assertEqual({r["Process"] for r in rows}, {"process001", "process002", "process003"})
        self.assertEqual({r["Node Id"] for r in rows}, {"0"})
        for p in ("process001", "process002", "process003"):
            stdout = (self.dir.logs / "user" / "stdout" / "0" / f"{p}.stdout.txt").read_text()
            self.assertIn("shutdown called", stdout)
            # workers are not MPI processes: no launcher variables, no inherited sockets
            self.assertIn("launcher variables: []", stdout)
            fds = eval(stdout.split("open fds: ")[1].splitlines()[0])
            self.assertLessEqual(len(fds), 5, f"worker inherited descriptors: {fds}")

    def test_uri_file_output_is_the_file_itself(self):
        target = self.dir.root / "out" / "scores.txt"
        job = self.make(files=4, output_type="uri_file", output_path=str(target))
        self.assertExit(self.prs(job), 0)
        self.check_rows(self.output_lines(target), 4)

    def test_summary_only_without_append_row_to(self):
        job = self.make(files=4, append=False)
        self.assertExit(self.prs(job), 0)
        self.assertFalse((self.dir.run_dir / "outputs").exists())
        self.assertIn("summary_only", (self.dir.logs / "job_result.txt").read_text())


class Rows(PrsTestCase):
    def test_dataframe_rows_are_space_separated_without_header_or_index(self):
        self.dir.files(6)
        self.dir.script("""
            import os
            import pandas as pd
            def init():
                pass
            def run(mini_batch):
                return pd.DataFrame({"name": [os.path.basename(p) for p in mini_batch],
                                     "size": [os.path.getsize(p) for p in mini_batch]})
        """)
        job = self.dir.job(parallel_job(mini_batch_size=4))
        self.assertExit(self.prs(job), 0)
        lines = sorted(self.output_lines())
        self.assertEqual(lines, sorted(f"f{i:03d}.txt {len(f'content {i}') + 1}" for i in range(6)))

    def test_lines_of_two_mini_batches_never_interleave(self):
        self.dir.files(40)
        self.dir.script("""
            import os, time
            def init():
                pass
            def run(mini_batch):
                tag = os.path.basename(mini_batch[0])
                return [f"{tag} line {k}" for k in range(200)][:max(len(mini_batch), 200)]
        """)
        job = self.dir.job(parallel_job(mini_batch_size=1))
        proc = self.prs(job, np=3)
        self.assertExit(proc, 0)
        lines = self.output_lines()
        self.assertEqual(len(lines), 40 * 200)
        blocks = [lines[i:i + 200] for i in range(0, len(lines), 200)]
        for block in blocks:
            tags = collections.Counter(l.split(" ")[0] for l in block)
            self.assertEqual(len(tags), 1, f"interleaved block: {tags}")
            self.assertEqual([l.split(" ")[-1] for l in block], [str(k) for k in range(200)])
