"""How append_row writes DataFrame rows, as on Azure: parallel_run_step.settings.json in the
code folder passes its "pandas.DataFrame.to_csv" arguments on, and
--append_row_dataframe_header True writes the header once, at the top, whatever the number
of workers and ranks, and not again when an interrupted run resumes."""
import json
import os
import signal
import subprocess
import time

from harness import PRS, PrsTestCase, parallel_job

# One row per file: its name, its number as an int and a float, and a text with a space.
FRAME_SCRIPT = """
import os, time
import pandas as pd

def init():
    pass

def run(mini_batch):
    time.sleep(float(os.environ.get("PRS_ITEST_SLEEP", "0")))
    names = [os.path.basename(p) for p in mini_batch]
    numbers = [int(n[1:4]) for n in names]
    return pd.DataFrame({"file": names, "n": numbers, "half": [k / 2 for k in numbers],
                         "note": [f"item {k}" for k in numbers]})
"""
HEADER_ARGUMENT = '  program_arguments: "--append_row_dataframe_header True"\n'


def frame_rows(count, sep, half="{:.1f}", note="item {}"):
    return [sep.join([f"f{k:03d}.txt", str(k), half.format(k / 2), note.format(k)]) for k in range(count)]


class AppendRowFormat(PrsTestCase):
    def make_job(self, files, settings=None, header=False, concurrency=1, mini_batch_size=2, extra=""):
        self.dir.files(files).script(FRAME_SCRIPT)
        if settings is not None:
            (self.dir.code / "parallel_run_step.settings.json").write_text(json.dumps(settings))
        return self.dir.job(parallel_job(mini_batch_size=mini_batch_size, concurrency=concurrency, extra=extra,
                                         task_extra=HEADER_ARGUMENT if header else ""))

    def output_text(self):
        return (self.dir.run_dir / "outputs" / "result" / "parallel_run_step.txt").read_text()

    def test_default_is_space_separated_without_header_or_index(self):
        job = self.make_job(4)
        self.assertExit(self.prs(job), 0)
        # A text with a space is quoted, as pandas quotes a field holding the separator.
        self.assertEqual(self.output_text(), "".join(r + "\n" for r in frame_rows(4, " ", note='"item {}"')))

    def test_settings_json_passes_to_csv_arguments(self):
        settings = {"append_row": {"pandas.DataFrame.to_csv": {"sep": ",", "float_format": "%.3f"}}}
        job = self.make_job(4, settings)
        self.assertExit(self.prs(job), 0)
        # One worker: mini-batches finish in input order, so the whole file is known.
        self.assertEqual(self.output_text(), "".join(r + "\n" for r in frame_rows(4, ",", half="{:.3f}")))

    def test_settings_json_header_names_the_columns_of_the_header_line(self):
        settings = {"append_row": {"pandas.DataFrame.to_csv": {"sep": ";", "header": ["name", "k", "k/2", "text"]}}}
        job = self.make_job(4, settings, header=True)
        self.assertExit(self.prs(job), 0)
        self.assertEqual(self.output_text(), "name;k;k/2;text\n" + "".join(r + "\n" for r in frame_rows(4, ";")))

    def test_header_true_in_settings_alone_writes_no_header(self):
        # Only --append_row_dataframe_header asks for the header; to_csv's header=True per
        # mini-batch would repeat it in the middle of the file.
        settings = {"append_row": {"pandas.DataFrame.to_csv": {"sep": ",", "header": True}}}
        job = self.make_job(4, settings)
        self.assertExit(self.prs(job), 0)
        self.assertEqual(self.output_text(), "".join(r + "\n" for r in frame_rows(4, ",")))

    def assert_settings_error(self, settings_text, message):
        """The job fails at the workers' start with `message` naming the settings file."""
        job = self.make_job(4)
        (self.dir.code / "parallel_run_step.settings.json").write_text(settings_text)
        proc = self.prs(job)
        self.assertExit(proc, 42)
        self.assertIn(f"First error: INIT_FAILED: ValueError: parallel_run_step.settings.json{message}", proc.stderr)
        self.assertEqual([r["Status"] for r in self.processed() if r["Status"].startswith("RUN_")], [],
                         "run() should never be called")

    def test_settings_json_that_is_not_json_is_named(self):
        self.assert_settings_error('{"append_row": {"pandas.DataFrame.to_csv": {"sep": ",",}}}',
                                   " in the code folder is not valid JSON: Expecting property name")

    def test_settings_json_with_an_argument_to_csv_rejects_is_named(self):
        self.assert_settings_error('{"append_row": {"pandas.DataFrame.to_csv": {"seperator": ","}}}',
                                   ": pandas.DataFrame.to_csv rejects {'sep': ' ', 'index': False, 'seperator': ','}")

    def assert_header_once_on_top(self, files, sep=" "):
        lines = self.output_lines()
        self.assertEqual(lines[0], sep.join(["file", "n", "half", "note"]))
        self.assertEqual(sorted(lines[1:]), sorted(frame_rows(files, sep, note='"item {}"')))

    def test_header_once_with_several_workers(self):
        job = self.make_job(12, header=True, concurrency=3, mini_batch_size=1)
        self.assertExit(self.prs(job), 0)
        self.assert_header_once_on_top(12)

    def test_header_once_under_mpirun(self):
        job = self.make_job(12, header=True, mini_batch_size=1)
        self.assertExit(self.prs(job, np=2), 0)
        self.assert_header_once_on_top(12)

    def test_header_not_repeated_after_a_resume(self):
        job = self.make_job(40, header=True, concurrency=2, mini_batch_size=1)
        command = [PRS, "--run-dir", str(self.dir.run_dir), str(job)]
        first = subprocess.Popen(command, cwd=self.dir.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=dict(os.environ, PRS_ITEST_SLEEP="0.1"))
        self.wait_for_output_lines(3)  # the header and two rows
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=120)
        self.assertEqual(first.returncode, 75, err)
        partial = self.output_lines()
        self.assertTrue(1 < len(partial) < 41, len(partial))
        self.assertExit(self.prs(job), 0)
        self.assert_header_once_on_top(40)

    def test_header_flag_with_lists_writes_no_header_and_commits_as_it_goes(self):
        # run() returns lists: no header comes, and the rows must not be held back waiting
        # for one, or a killed run would have committed nothing to resume from.
        self.dir.files(40).script("""
import os, time
def run(mini_batch):
    time.sleep(0.25)
    return [os.path.basename(p) for p in mini_batch]
""")
        job = self.dir.job(parallel_job(mini_batch_size=1, concurrency=2, task_extra=HEADER_ARGUMENT))
        first = subprocess.Popen([PRS, "--run-dir", str(self.dir.run_dir), str(job)], cwd=self.dir.root,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.wait_for_output_lines(2)
        os.killpg(first.pid, signal.SIGKILL)  # no chance to commit at the end: only what was committed counts
        first.communicate(timeout=120)
        final = self.prs(job)
        self.assertExit(final, 0)
        self.assertRegex(final.stderr, r"resuming the interrupted run in .*: [1-9]\d* mini-batches already done")
        self.assertEqual(sorted(self.output_lines()), [f"f{k:03d}.txt" for k in range(40)])


# Frames of every column kind, each mini-batch's as to_csv writes it kept beside (in
# PRS_ITEST_EXPECTED): the host writes plain columns itself (issue #19) and must give the
# same bytes, and hand what needs quoting, NaN or other types back to to_csv.
KINDS_SCRIPT = """
import os
import numpy as np
import pandas as pd

def plain(k):
    return pd.DataFrame({
        "i8": np.array([k, -k, 127], dtype=np.int8), "u64": np.array([2**64 - 1, k, 0], dtype=np.uint64),
        "i64": [9007199254740993, -k, 0],
        "f": [k / 3, 1e16, 1e-05], "g": [-0.0, float("inf"), 123456.789], "b": [True, False, k % 2 == 0],
        "s": [f"item_{k}", "é", "x"]})

def quoted(k):
    frame = plain(k)
    frame["s"] = [f"item {k}", 'say "x"', ""]
    return frame

KINDS = [
    plain,
    quoted,                                                                     # quoting: to_csv
    lambda k: plain(k).assign(f=[1.5, float("nan"), 2.0]),                      # NaN: na_rep
    lambda k: plain(k).assign(s=["a", None, "c"]),                              # None in text
    lambda k: plain(k).assign(f=np.array([0.1, 0.2, 0.3], dtype=np.float32)),   # float32's own repr
    lambda k: plain(k).assign(s=pd.Categorical(["a", "b", "a"])),
    lambda k: plain(k).assign(i64=pd.array([1, None, 3], dtype="Int64")),       # nullable
    lambda k: plain(k).assign(t=pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"])),
    lambda k: plain(k).iloc[::-1],                                              # a reordered index
    lambda k: plain(k)[["s", "f"]].set_axis(["same", "same"], axis=1),          # repeated names
]

def run(mini_batch):
    k = int(os.path.basename(mini_batch[0])[1:4])
    frame = KINDS[k % len(KINDS)](k)
    with open(os.path.join(os.environ["PRS_ITEST_EXPECTED"], f"{k:03d}.txt"), "w") as f:
        f.write(frame.to_csv(header=False, index=False, sep=os.environ.get("PRS_ITEST_SEP", " ")))
    return frame
"""


class FrameKinds(PrsTestCase):
    def assert_written_as_to_csv_writes(self, sep=" "):
        expected = self.dir.root / "expected"
        expected.mkdir()
        self.dir.files(20).script(KINDS_SCRIPT)
        if sep != " ":
            settings = {"append_row": {"pandas.DataFrame.to_csv": {"sep": sep}}}
            (self.dir.code / "parallel_run_step.settings.json").write_text(json.dumps(settings))
        job = self.dir.job(parallel_job(mini_batch_size=1, concurrency=1))
        self.assertExit(self.prs(job, env={"PRS_ITEST_EXPECTED": str(expected), "PRS_ITEST_SEP": sep}), 0)
        # One worker: mini-batches finish in input order.
        want = "".join((expected / f"{k:03d}.txt").read_text() for k in range(20))
        got = (self.dir.run_dir / "outputs" / "result" / "parallel_run_step.txt").read_text()
        self.assertEqual(got, want)

    def test_every_column_kind_is_written_as_to_csv_writes_it(self):
        self.assert_written_as_to_csv_writes()

    def test_a_separator_that_numbers_hold_quotes_them_as_to_csv_does(self):
        self.assert_written_as_to_csv_writes(".")  # "1.5" is written "1.5" in quotes
