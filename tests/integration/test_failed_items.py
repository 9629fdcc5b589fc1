"""Finishing what failed (issue #17): a failed run resumes and runs only its failed and
unfinished mini-batches; --retry-failed does so after the entry script changed; the failed
items are handed back in <run_dir>/failed_items/ (an MLTable and failed_items.jsonl)."""
import collections
import json
import os
import signal
import textwrap
import time
from pathlib import Path

import subprocess

from harness import PRS, PrsTestCase, parallel_job


def prs_in(run_dir, job, cwd):
    return subprocess.run([PRS, "--run-dir", str(run_dir), str(job)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)

# Fails on the files whose content is "poison" until the marker file `fixed` exists beside
# the data; every call of run() leaves one line per file in ran.log (the side effect).
POISON_SCRIPT = """
import os
def init():
    pass
def run(mini_batch):
    root = os.path.dirname(os.path.dirname(mini_batch[0])) if mini_batch else "."
    fixed = os.path.exists(os.path.join(root, "fixed"))
    out = []
    with open(os.path.join(root, "ran.log"), "a") as log:
        for p in mini_batch:
            log.write(os.path.basename(p) + "\\n")
    for p in mini_batch:
        text = open(p).read().strip()
        if text == "poison" and not fixed:
            if os.environ.get("PRS_POISON_SHORT"):
                continue          # a short return: the other items' rows come back, the attempt fails
            raise ValueError(f"poison in {os.path.basename(p)}")
        out.append(f"{os.path.basename(p)} {text}")
    return out
"""
FILES = 100
POISON = (10, 50, 90)


def job_text(mini_batch_size=1, threshold=2, extra_args=""):
    text = parallel_job(mini_batch_size=mini_batch_size, concurrency=2,
                        task_extra=f"  program_arguments: --error_threshold {threshold} {extra_args}")
    return text.replace("max_retries: 2", "max_retries: 1")


class FailedRun(PrsTestCase):
    def setUp(self):
        super().setUp()
        for i in range(FILES):
            (self.dir.data / f"f{i:03d}.txt").write_text("poison\n" if i in POISON else f"content {i}\n")
        self.dir.script(POISON_SCRIPT)
        self.expected = collections.Counter(
            f"f{i:03d}.txt " + ("poison" if i in POISON else f"content {i}") for i in range(FILES))

    def ran(self):
        return collections.Counter((self.dir.root / "ran.log").read_text().split())

    def fix(self):
        (self.dir.root / "fixed").write_text("")

    def assertRowsOnce(self):
        lines = collections.Counter(self.output_lines())
        self.assertEqual(lines - self.expected, collections.Counter(), "doubled or foreign lines")
        self.assertEqual(self.expected - lines, collections.Counter(), "lost lines")

    def failed_items(self):
        folder = self.dir.run_dir / "failed_items"
        return [json.loads(line) for line in (folder / "failed_items.jsonl").read_text().splitlines()]

    def resume_after_threshold(self, np, change_script=False):
        job = self.dir.job(job_text())
        first = self.prs(job, np=np)
        self.assertExit(first, 42)
        self.assertIn("error_threshold", (self.dir.logs / "job_result.txt").read_text())
        # failed_items/ lists exactly the poison files, with what failed and where to look.
        items = self.failed_items()
        poison_paths = sorted(str(self.dir.data / f"f{i:03d}.txt") for i in POISON)
        self.assertEqual(sorted(p for f in items for p in f["items"]), poison_paths)
        for f in items:
            self.assertEqual(f["attempts"], 2)
            self.assertEqual(f["status"], "RUN_EXCEPTION")
            self.assertIn("poison", f["error_message"])
            self.assertTrue(any("user/error" in log for log in f["logs"]), f["logs"])
        mltable = (self.dir.run_dir / "failed_items" / "MLTable").read_text()
        self.assertEqual(sorted(l.split("file: ")[1].strip('"') for l in mltable.splitlines() if "file: " in l),
                         poison_paths)
        ran_first = self.ran()
        if change_script:
            # The fix is in the entry script: a plain rerun starts fresh, --retry-failed does not.
            self.dir.script(POISON_SCRIPT.replace("fixed = os.path.exists", "fixed = True or os.path.exists"))
            second = self.prs(job, "--retry-failed", np=np)
            self.assertIn("with the changed entry script", second.stderr)
        else:
            self.fix()
            second = self.prs(job, np=np)
        self.assertExit(second, 0)
        self.assertIn("resuming", second.stderr)
        self.assertRowsOnce()
        ran = self.ran()
        good = [f"f{i:03d}.txt" for i in range(FILES) if i not in POISON]
        self.assertEqual({name: ran[name] for name in good}, {name: 1 for name in good},
                         "a good file ran more than once over both runs")
        for i in POISON:
            self.assertEqual(ran[f"f{i:03d}.txt"], ran_first[f"f{i:03d}.txt"] + 1)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("Resumed:", result)
        self.assertIn("Job succeeded", result)
        self.assertFalse((self.dir.run_dir / "failed_items").exists(), "a run without failures writes none")

    def test_failed_run_resumes_with_only_the_failed_and_unfinished_alone(self):
        self.resume_after_threshold(None)

    def test_failed_run_resumes_under_mpirun(self):
        self.resume_after_threshold(3)

    def test_retry_failed_after_the_script_changed(self):
        self.resume_after_threshold(None, change_script=True)

    def test_retry_failed_after_the_script_changed_under_mpirun(self):
        self.resume_after_threshold(3, change_script=True)

    def test_short_returns_rows_are_replaced_not_doubled_and_retry_failed_takes_a_changed_script(self):
        # Two files a mini-batch: a poison file's partner row comes back from the failed
        # attempt and is written; after the fix it must be there once. (A short return fails
        # the attempt only with an error_threshold of 0 or more; 100 tolerates these.)
        job = self.dir.job(job_text(mini_batch_size=2, threshold=100))
        first = self.prs(job, env={"PRS_POISON_SHORT": "1"})
        self.assertExit(first, 0)
        self.assertEqual(len(self.failed_items()), 3)
        self.assertEqual(len(self.output_lines()), FILES - 3)
        # A plain rerun reuses the finished run (is_deterministic): the tolerated failures stay.
        reused = self.prs(job, env={"PRS_POISON_SHORT": "1"})
        self.assertExit(reused, 0)
        self.assertIn("reused", reused.stderr)
        # The fix is in the script: --retry-failed keeps the 47 good mini-batches.
        ran_before = sum(self.ran().values())
        self.dir.script(POISON_SCRIPT.replace("fixed = os.path.exists", "fixed = True or os.path.exists"))
        retried = self.prs(job, "--retry-failed")
        self.assertExit(retried, 0)
        self.assertIn("entry script", retried.stderr)
        self.assertIn("resuming", retried.stderr)
        self.assertRowsOnce()
        self.assertEqual(sum(self.ran().values()) - ran_before, 6, "only the 3 failed mini-batches of 2 ran")
        self.assertFalse((self.dir.run_dir / "failed_items").exists())

    def test_changed_script_without_retry_failed_and_changed_input_with_it_start_fresh(self):
        job = self.dir.job(job_text(threshold=-1))
        self.assertExit(self.prs(job), 0)
        self.dir.script(POISON_SCRIPT + "\n# changed\n")
        (self.dir.data / "f000.txt").write_text("content 0 changed\n")
        retried = self.prs(job, "--retry-failed")
        self.assertExit(retried, 0)
        self.assertIn("starting fresh", retried.stderr)
        self.assertIn("input or partitioning", retried.stderr)
        both = self.prs(job, "--retry-failed", "--fresh")
        self.assertExit(both, 2)
        self.assertIn("--fresh and --retry-failed", both.stderr)

    def test_a_job_over_failed_items_runs_exactly_the_failed_files(self):
        job = self.dir.job(job_text(threshold=-1))
        self.assertExit(self.prs(job), 0)
        self.fix()
        rerun = self.dir.job(textwrap.dedent(f"""\
            type: parallel
            name: failed_again
            inputs:
              input_data:
                type: mltable
                path: {self.dir.run_dir / 'failed_items'}
            outputs:
              result:
                type: uri_folder
                path: {self.dir.root / 'again'}
            input_data: ${{{{inputs.input_data}}}}
            mini_batch_size: "1"
            max_concurrency_per_instance: 2
            task:
              type: run_function
              code: ./src
              entry_script: entry.py
              append_row_to: ${{{{outputs.result}}}}
            """), name="again.yml")
        proc = prs_in(self.dir.root / "again_run", rerun, self.dir.root)
        self.assertExit(proc, 0)
        lines = sorted((self.dir.root / "again" / "parallel_run_step.txt").read_text().splitlines())
        self.assertEqual(lines, [f"f{i:03d}.txt poison" for i in POISON])


ROWS_SCRIPT = """
def init():
    pass
def run(mini_batch):
    if (mini_batch["name"] == "poison").any():
        raise ValueError("a poison row")
    return [f"{i} {n}" for i, n in zip(mini_batch["id"], mini_batch["name"])]
"""


class FailedRows(PrsTestCase):
    def test_failed_rows_are_copied_with_their_header_and_read_back(self):
        rows = ["id,name"] + [f"{i},{'poison' if i == 150 else f'n{i}'}" for i in range(300)]
        (self.dir.data / "t.csv").write_text("\n".join(rows) + "\n")
        (self.dir.data / "MLTable").write_text(
            "paths:\n  - file: ./t.csv\ntransformations:\n  - read_delimited:\n      delimiter: ','\n"
            "      header: all_files_same_headers\n      encoding: utf8\n")
        self.dir.script(ROWS_SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size="1kb", task_extra="  program_arguments: --error_threshold -1")
                           .replace("type: uri_folder\n    path: ./data", "type: mltable\n    path: ./data"))
        proc = self.prs(job)
        self.assertExit(proc, 0)
        folder = self.dir.run_dir / "failed_items"
        items = [json.loads(line) for line in (folder / "failed_items.jsonl").read_text().splitlines()]
        self.assertEqual(len(items), 1)
        item = items[0]["items"][0]
        copied = (folder / "rows.csv").read_text().splitlines()
        self.assertEqual(copied[0], "id,name")
        self.assertIn("150,poison", copied)
        # Row numbers count data rows from 1: row k is id k - 1.
        self.assertEqual(copied[1], f"{item['first_row'] - 1},n{item['first_row'] - 1}")
        self.assertEqual(len(copied) - 1, item["last_row"] - item["first_row"] + 1)
        written = set(self.output_lines())
        self.assertEqual(len(written) + len(copied) - 1, 300, "failed rows and written rows make the input")
        self.assertIn("read_delimited", (folder / "MLTable").read_text())
        # The folder is an input: a job over it gets exactly the failed rows.
        again = self.dir.job(job.read_text().replace("path: ./data", f"path: {folder}")
                             .replace("name: itest", "name: again"), name="again.yml")
        proc = prs_in(self.dir.root / "again_run", again, self.dir.root)
        # Its one mini-batch holds the poison row again, so nothing succeeds (42), and the
        # same rows are handed back.
        self.assertExit(proc, 42)
        self.assertIn(f"Items: 0 succeeded, {len(copied) - 1} failed", proc.stderr)
        self.assertEqual((self.dir.root / "again_run" / "failed_items" / "rows.csv").read_text().splitlines(), copied)


# Partition mini-batches: fails the group holding a poison row until `fixed` exists beside the data.
GROUP_SCRIPT = """
import os
def init():
    pass
def run(mini_batch, mini_batch_context):
    fixed = os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixed"))
    if (mini_batch["name"] == "poison").any() and not fixed:
        raise ValueError("a poison row")
    return [f"{s} {i} {n}" for s, i, n in zip(mini_batch["store"], mini_batch["id"], mini_batch["name"])]
"""


def again_job(job, folder):
    return job.read_text().replace("path: ./data", f"path: {folder}").replace("name: itest", "name: again")


class FailedGroupsAndHdf5Rows(PrsTestCase):
    def test_column_keyed_partitions_hand_back_only_the_failed_groups_rows(self):
        for name, first in (("a", 0), ("b", 100)):
            rows = [f"{first + i},s{i % 4},{'poison' if first + i == 106 else f'n{first + i}'}" for i in range(40)]
            (self.dir.data / f"{name}.csv").write_text("id,store,name\n" + "\n".join(rows) + "\n")
        (self.dir.data / "MLTable").write_text(
            "paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited:\n      delimiter: ','\n")
        self.dir.script(GROUP_SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size="1mb", extra="partition_keys: [store]",
                                        task_extra="  program_arguments: --error_threshold -1")
                           .replace("type: uri_folder\n    path: ./data", "type: mltable\n    path: ./data"))
        self.assertExit(self.prs(job), 0)
        folder = self.dir.run_dir / "failed_items"
        items = [json.loads(line) for line in (folder / "failed_items.jsonl").read_text().splitlines()]
        self.assertEqual([i["items"][0]["partition_key_value"] for i in items], [{"store": "s2"}])
        group = [f"{first + i},s2,{'poison' if first + i == 106 else f'n{first + i}'}"
                 for first in (0, 100) for i in range(40) if i % 4 == 2]
        self.assertEqual((folder / "rows.csv").read_text().splitlines(), ["id,store,name"] + group)
        self.assertIn("  - file: ./rows.csv\n", (folder / "MLTable").read_text())
        # A job over the folder, with the same keys, runs exactly the failed group's rows.
        (self.dir.root / "fixed").write_text("")
        proc = prs_in(self.dir.root / "again_run", self.dir.job(again_job(job, folder), name="again.yml"),
                      self.dir.root)
        self.assertExit(proc, 0)
        self.assertIn("Mini-batches: 1 succeeded, 0 failed, 1 total", proc.stderr)
        lines = (self.dir.root / "again_run" / "outputs" / "result" / "parallel_run_step.txt").read_text()
        self.assertEqual(sorted(lines.splitlines()), sorted("s2 " + g.split(",")[0] + " " + g.split(",")[2]
                                                            for g in group))

    def test_hdf5_failed_rows_are_copied_into_an_hdf5_input(self):
        make_h5 = os.environ.get("PRS_MAKE_H5", str(Path(PRS).parent / "tests" / "prs_make_h5"))
        subprocess.run([make_h5, str(self.dir.data / "a.h5"), "0", "/y:i64:64", "/x:f64:64x3"], check=True)
        self.dir.script("""
import os
def init():
    pass
def run(mini_batch):
    fixed = os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixed"))
    y = list(mini_batch) if not isinstance(mini_batch, dict) else list(mini_batch["/y"])
    if (37 in y or 3 in y) and not fixed:
        raise ValueError("row 37 or 3")
    return [str(int(v)) for v in y]
""")
        job = self.dir.job(job_text(mini_batch_size=8, threshold=-1)
                           .replace("    type: uri_folder\n    path: ./data\n",
                                    "    type: hdf5\n    path: ./data\n    datasets: [/y, /x]\n", 1))
        self.assertExit(self.prs(job), 0)
        folder = self.dir.run_dir / "failed_items"
        items = [json.loads(line) for line in (folder / "failed_items.jsonl").read_text().splitlines()]
        self.assertEqual([i["items"][0]["rows"] for i in items], [[0, 8], [32, 40]])
        self.assertEqual(sorted(p.name for p in folder.iterdir()), ["failed_items.jsonl", "input.yml",
                                                                    "rows-00000.h5"])
        self.assertIn(f'path: "{folder}"\ndatasets: ["/y", "/x"]', (folder / "input.yml").read_text())
        # A job over the folder (type: hdf5, the same datasets) runs exactly the failed rows.
        (self.dir.root / "fixed").write_text("")
        proc = prs_in(self.dir.root / "again_run", self.dir.job(again_job(job, folder), name="again.yml"),
                      self.dir.root)
        self.assertExit(proc, 0)
        self.assertIn("Items: 16 succeeded, 0 failed, 16 total", proc.stderr)
        lines = (self.dir.root / "again_run" / "outputs" / "result" / "parallel_run_step.txt").read_text()
        self.assertEqual(sorted(map(int, lines.split())), list(range(8)) + list(range(32, 40)))


SLOW_SCRIPT = """
import os, time
def init():
    pass
def run(mini_batch):
    name = os.path.basename(mini_batch[0])
    if name == "f003.txt":
        raise ValueError("poison in f003.txt")
    if name >= "f010.txt":
        time.sleep(3)
    return [name]
"""


class StoppedRun(PrsTestCase):
    def test_a_stop_lists_the_mini_batches_failed_so_far(self):
        for i in range(20):
            (self.dir.data / f"f{i:03d}.txt").write_text(f"content {i}\n")
        self.dir.script(SLOW_SCRIPT)
        job = self.dir.job(job_text(threshold=-1).replace("max_retries: 1", "max_retries: 0"))
        proc = subprocess.Popen([PRS, "--run-dir", str(self.dir.run_dir), str(job)], cwd=self.dir.root,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.time() + 120
        master = self.dir.logs / "sys" / "master_role.txt"
        while time.time() < deadline and "no retries left" not in (master.read_text() if master.exists() else ""):
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)  # a second signal stops at once: the sleeping ones are unfinished
        _, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 75, err)
        self.assertIn("Failed items: 1 mini-batches so far", err)
        folder = self.dir.run_dir / "failed_items"
        items = [json.loads(line) for line in (folder / "failed_items.jsonl").read_text().splitlines()]
        self.assertEqual([i["items"] for i in items], [[str(self.dir.data / "f003.txt")]])
        self.assertEqual(items[0]["status"], "RUN_EXCEPTION")
        self.assertIn(f'file: "{self.dir.data / "f003.txt"}"', (folder / "MLTable").read_text())


if __name__ == "__main__":
    import unittest
    unittest.main()


CRASH_SCRIPT = """
import ctypes, os, time
def init():
    pass
def run(mini_batch):
    time.sleep(float(os.environ.get("PRS_SLEEP", "0")))
    for p in mini_batch:
        if open(p).read().strip() == "segfault":
            ctypes.string_at(0)   # a segfault, as a broken native library gives
    return [f"{os.path.basename(p)} {open(p).read().strip()}" for p in mini_batch]
"""


class Isolation(PrsTestCase):
    """--isolate_failed_items: the failing items alone fail; the others' rows are written once."""

    def crash_job(self, n=16, bad=5, size=None):
        for i in range(n):
            (self.dir.data / f"f{i:03d}.txt").write_text("segfault\n" if i == bad else f"content {i}\n")
        self.dir.script(CRASH_SCRIPT)
        return self.dir.job(job_text(mini_batch_size=size or n, threshold=-1,
                                            extra_args="--isolate_failed_items True"))

    def assertIsolatedCrash(self, proc, n=16, bad=5, parent=0, bound=8):
        self.assertExit(proc, 0)
        lines = self.output_lines()
        self.assertEqual(sorted(lines), sorted(f"f{i:03d}.txt content {i}" for i in range(n) if i != bad))
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn(f"Items: {n - 1} succeeded, 1 failed", result)
        items = [json.loads(l) for l in (self.dir.run_dir / "failed_items" / "failed_items.jsonl").read_text()
                 .splitlines()]
        self.assertEqual([i["items"] for i in items], [[str(self.dir.data / f"f{bad:03d}.txt")]])
        self.assertEqual(items[0]["status"], "PROCESS_DIED")
        rows = self.processed()
        pieces = [r for r in rows if "isolating" in r["Mini-batch Detail"]]
        self.assertTrue(pieces)
        self.assertTrue(all(json.loads(r["Mini-batch Detail"])["isolating"]["parent_mini_batch_id"] == parent
                            for r in pieces))
        # Bound: 2 x k x ceil(log2 n) = 8 extra attempts for k = 1, n = 16, on top of the
        # whole's 2 (max_retries 1).
        self.assertLessEqual(len(pieces), bound)
        self.assertIn("extra attempts", result)

    def test_a_segfaulting_file_fails_alone(self):
        self.assertIsolatedCrash(self.prs(self.crash_job()))

    def test_a_segfaulting_file_fails_alone_under_mpirun(self):
        self.assertIsolatedCrash(self.prs(self.crash_job(), np=3))

    def test_one_raising_row_of_a_1000_row_mini_batch(self):
        rows = ["id,name"] + [f"{i},{'poison' if i == 617 else f'n{i}'}" for i in range(1000)]
        (self.dir.data / "t.csv").write_text("\n".join(rows) + "\n")
        (self.dir.data / "MLTable").write_text(
            "paths:\n  - file: ./t.csv\ntransformations:\n  - read_delimited:\n      delimiter: ','\n"
            "      header: all_files_same_headers\n      encoding: utf8\n")
        self.dir.script(ROWS_SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size="1mb", task_extra="  program_arguments: --error_threshold 1 "
                                        "--isolate_failed_items True")
                           .replace("type: uri_folder\n    path: ./data", "type: mltable\n    path: ./data"))
        proc = self.prs(job)
        self.assertExit(proc, 0)
        written = self.output_lines()
        self.assertEqual(len(written), 999)
        self.assertEqual(len(set(written)), 999)
        self.assertNotIn("617 poison", written)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("Items: 999 succeeded, 1 failed, 1000 total", result)
        pieces = [r for r in self.processed() if "isolating" in r["Mini-batch Detail"]]
        self.assertLessEqual(len(pieces), 20, "2 x 1 x ceil(log2 1000)")
        folder = self.dir.run_dir / "failed_items"
        self.assertEqual((folder / "rows.csv").read_text(), "id,name\n617,poison\n")
        item = json.loads((folder / "failed_items.jsonl").read_text())["items"][0]
        self.assertEqual((item["first_row"], item["last_row"]), (618, 618))

    def test_one_raising_hdf5_row_fails_alone_and_is_named_by_dataset_and_row(self):
        make_h5 = os.environ.get("PRS_MAKE_H5", str(Path(PRS).parent / "tests" / "prs_make_h5"))
        subprocess.run([make_h5, str(self.dir.data / "a.h5"), "0", "/y:i64:64"], check=True)
        self.dir.script("""
def init():
    pass
def run(mini_batch):
    if 37 in list(mini_batch):
        raise ValueError("row 37")
    return [str(int(v)) for v in mini_batch]
""")
        job = self.dir.job(job_text(mini_batch_size=64, threshold=1, extra_args="--isolate_failed_items True")
                           .replace("    type: uri_folder\n    path: ./data\n",
                                    "    type: hdf5\n    path: ./data\n    datasets: [/y]\n", 1))
        proc = self.prs(job)
        self.assertExit(proc, 0)
        self.assertEqual(sorted(map(int, self.output_lines())), [v for v in range(64) if v != 37])
        folder = self.dir.run_dir / "failed_items"
        item = json.loads((folder / "failed_items.jsonl").read_text())
        self.assertEqual(item["items"], [{"file": str(self.dir.data / "a.h5"), "datasets": ["/y"], "rows": [37, 38]}])
        self.assertFalse((folder / "MLTable").exists(), "HDF5 has no MLTable form")
        self.assertLessEqual(len([r for r in self.processed() if "isolating" in r["Mini-batch Detail"]]), 12)

    def test_kill_9_in_the_middle_of_an_isolation_then_rerun_loses_and_doubles_nothing(self):
        # Two mini-batches of 32: the good one is committed before the kill, so the rerun resumes.
        job = self.crash_job(n=64, bad=40, size=32)
        env = dict(os.environ, PRS_SLEEP="0.4")
        proc = subprocess.Popen([PRS, "--run-dir", str(self.dir.run_dir), str(job)], cwd=self.dir.root, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        master = self.dir.logs / "sys" / "master_role.txt"
        deadline = time.time() + 120
        while time.time() < deadline and not (master.exists() and "isolating" in master.read_text()):
            time.sleep(0.1)
        self.assertIn("isolating", master.read_text())
        time.sleep(1.0)   # some pieces done, others running
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        again = self.prs(job, env={"PRS_SLEEP": "0"})
        self.assertIn("resuming", again.stderr)
        # The pieces' rows were held back, never written: the rerun isolates the whole again.
        self.assertIsolatedCrash(again, n=64, bad=40, parent=1, bound=10 + 10)
