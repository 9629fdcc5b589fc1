"""Tabular (mltable) jobs end to end: byte-range mini-batches handed to run() as pandas
DataFrames, header modes, quoted line breaks, partition_keys, and bad data."""
import collections
import json
import os
import textwrap

from harness import SOURCE_DIR, PrsTestCase

SCORE_SCRIPT = """
def init():
    pass

def run(mini_batch):
    df = mini_batch
    df["prediction"] = (df["sepal_length"] > 5.0).map({True: "big", False: "small"})
    return df[["id", "species", "prediction"]]
"""


def mltable_job(mini_batch_size='"10kb"', extra="", concurrency=2, script="entry.py", args=""):
    size_line = f"mini_batch_size: {mini_batch_size}\n" if mini_batch_size else ""
    args_line = f"  program_arguments: {args}\n" if args else ""
    return f"""\
type: parallel
name: tabular
inputs:
  input_data:
    type: mltable
    path: ./data
outputs:
  result:
    type: uri_folder
input_data: ${{{{inputs.input_data}}}}
{size_line}max_concurrency_per_instance: {concurrency}
{extra}
task:
  type: run_function
  code: ./src
  entry_script: {script}
  append_row_to: ${{{{outputs.result}}}}
{args_line}"""


def read_delimited_mltable(paths, **options):
    settings = {"delimiter": "','", "encoding": "utf8", "header": "all_files_same_headers", **options}
    lines = "".join(f"      {k}: {v}\n" for k, v in settings.items())
    return "paths:\n" + "".join(f"  - {kind}: {p}\n" for kind, p in paths) + \
        "transformations:\n  - read_delimited:\n" + lines


class TabularCase(PrsTestCase):
    def mltable(self, text):
        (self.dir.data / "MLTable").write_text(text)

    def data_file(self, rel, text):
        path = self.dir.data / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def iris(self, path=None, rows=600):
        lines = ["id,sepal_length,sepal_width,species"]
        for i in range(rows):
            species = '"setosa, wild"' if i % 3 == 0 else 'versi""color' if i % 3 == 1 else "virginica"
            lines.append(f"{i},{4 + (i % 30) / 10:.1f},{2 + (i % 7) / 10:.1f},{species}")
        path = path or self.dir.data / "iris.csv"
        path.write_text("\n".join(lines) + "\n")
        return path

    def job_error(self):
        return (self.dir.logs / "job_error.txt").read_text()


class IrisJob(TabularCase):
    def make(self):
        self.iris()
        self.mltable(read_delimited_mltable([("file", "./iris.csv")], encoding="'ascii'"))
        self.dir.script(SCORE_SCRIPT)
        return self.dir.job(mltable_job('"4kb"'))

    def check(self):
        lines = self.output_lines()
        self.assertEqual(len(lines), 600)
        ids = collections.Counter(int(line.split(" ")[0]) for line in lines)
        self.assertEqual(set(ids), set(range(600)))
        self.assertEqual(max(ids.values()), 1, "a row was doubled")
        # Quoted fields arrive unquoted, with their delimiter; the output re-quotes them.
        self.assertIn('0 "setosa, wild" small', lines)
        self.assertTrue(any(line.startswith("1 ") and 'versi' in line for line in lines))
        rows = self.processed()
        self.assertGreater(len(rows), 2, "4kb mini-batches cut the 15 kB file")
        self.assertEqual(sum(int(r["Total"]) for r in rows), 600)
        self.assertTrue(all(r["Status"] == "RUN_DONE" for r in rows))
        details = sorted((json.loads(r["Mini-batch Detail"]) for r in rows), key=lambda d: d["begin"])
        for a, b in zip(details, details[1:]):
            self.assertEqual(a["end"], b["begin"], "byte ranges are contiguous")

    def test_alone(self):
        self.assertExit(self.prs(self.make()), 0)
        self.check()

    def test_under_mpirun_three_ranks(self):
        self.assertExit(self.prs(self.make(), np=3), 0)
        self.check()
        self.assertEqual({r["Process"] for r in self.processed()} <= {"process001", "process002", "process003"},
                         True)


SEED_SCRIPT = """
import argparse, os

def init():
    global MODEL
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--model", dest="model", required=True)
    args, _ = parser.parse_known_args()
    MODEL = open(os.path.join(args.model, "model.txt")).read().strip()

def run(mini_batch):
    mini_batch["prediction"] = MODEL
    return mini_batch[["id", "prediction"]]
"""


class SeedIrisJob(TabularCase):
    def test_seed_parallel_step_verbatim_with_its_iris_mltable(self):
        # The seed's step (tests/unit/data/config/seed_parallel_step.yml), run as a job.
        seed = (SOURCE_DIR / "tests" / "unit" / "data" / "config" / "seed_parallel_step.yml").read_text()
        step = seed.split("batch_prediction:\n", 1)[1]
        job = self.dir.job(textwrap.dedent(step))
        table = self.dir.root / "neural-iris-mltable"
        table.mkdir()
        self.iris(table / "iris.csv")
        (table / "MLTable").write_text(read_delimited_mltable([("file", "./iris.csv")], encoding="'ascii'"))
        (self.dir.root / "iris-model").mkdir()
        (self.dir.root / "iris-model" / "model.txt").write_text("setosa\n")
        (self.dir.root / "script").mkdir()
        (self.dir.root / "script" / "iris_prediction.py").write_text(textwrap.dedent(SEED_SCRIPT))
        self.assertExit(self.prs(job, np=2), 0)
        lines = self.output_lines(self.dir.run_dir / "outputs" / "job_output_file")
        self.assertEqual(sorted(lines), sorted(f"{i} setosa" for i in range(600)))
        self.assertGreater(len(self.processed()), 1, "10kb cuts the 15 kB file")


COLUMNS_SCRIPT = """
import pandas as pd

def init():
    pass

def run(mini_batch):
    df = mini_batch
    return pd.DataFrame({"cols": ["|".join(map(str, df.columns))] * len(df),
                         "first": df.iloc[:, 0].astype(str),
                         "note": [repr(v).encode().hex() for v in df.iloc[:, -1]]})
"""


class HeaderModes(TabularCase):
    def run_job(self, **options):
        self.dir.script(COLUMNS_SCRIPT)
        self.mltable(read_delimited_mltable([("pattern", "./*.csv")], **options))
        self.assertExit(self.prs(self.dir.job(mltable_job('"1kb"'))), 0)
        # The last column is repr() of the last field, hex-encoded to stay one word.
        return [(c, f, bytes.fromhex(n).decode()) for c, f, n in (line.split(" ") for line in self.output_lines())]

    def test_from_first_file_names_every_file_s_columns(self):
        self.data_file("a.csv", "key,note\n" + "".join(f"a{i},x\n" for i in range(100)))
        self.data_file("b.csv", "".join(f"b{i},y\n" for i in range(100)))
        rows = self.run_job(header="from_first_file")
        self.assertEqual(len(rows), 200)
        self.assertEqual({r[0] for r in rows}, {"key|note"})
        self.assertEqual({r[1] for r in rows}, {f"a{i}" for i in range(100)} | {f"b{i}" for i in range(100)})

    def test_no_header_names_columns_column1_on(self):
        self.data_file("a.csv", "".join(f"{i},x\n" for i in range(150)))
        rows = self.run_job(header="no_header")
        self.assertEqual(len(rows), 150)
        self.assertEqual({r[0] for r in rows}, {"Column1|Column2"})

    def test_empty_as_string(self):
        self.data_file("a.csv", "k,note\n1,\n2,NA\n")
        rows = self.run_job(empty_as_string="true")
        self.assertEqual(sorted(r[2] for r in rows), ["''", "nan"])

    def test_support_multi_line_keeps_quoted_line_breaks(self):
        body = "".join(f'{i},"line one {i}\nline, ""two"" {i}"\n' for i in range(120))
        self.data_file("a.csv", "k,note\n" + body)
        rows = self.run_job(support_multi_line="true")
        self.assertEqual(len(rows), 120)
        self.assertEqual(sorted(r[2] for r in rows),
                         sorted(repr(f'line one {i}\nline, "two" {i}') for i in range(120)))


PARTITION_SCRIPT = """
import pandas as pd

def init():
    pass

def run(mini_batch, mini_batch_context):
    key = mini_batch_context.partition_key_value
    stores = sorted(set(mini_batch["Store"].astype(str))) if "Store" in mini_batch else ["-"]
    return pd.DataFrame({"store": [key["Store"]], "brand": [key["Brand"]], "rows": [len(mini_batch)],
                         "index": [mini_batch_context.minibatch_index], "seen": [",".join(stores)],
                         "weeks": [int(mini_batch["week"].sum())]})
"""


class PartitionKeysJob(TabularCase):
    def check(self, expected):
        lines = sorted(self.output_lines())
        got = {(s, b): (int(n), seen, int(w)) for s, b, n, _, seen, w in (line.split(" ") for line in lines)}
        self.assertEqual(got, expected)
        indices = sorted(int(line.split(" ")[3]) for line in lines)
        self.assertEqual(indices, list(range(len(expected))))

    def test_orange_juice_style_keys_from_columns(self):
        # Each file holds several stores and brands; one mini-batch per (Store, Brand).
        expected = collections.defaultdict(lambda: [0, 0])
        for f in range(3):
            lines = ["Store,Brand,week,quantity"]
            for i in range(60):
                store, brand, week = 1000 + (i + f) % 4, ["tropicana", "dominicks", "minute.maid"][i % 3], i
                lines.append(f"{store},{brand},{week},{i * 10}")
                expected[(str(store), brand)][0] += 1
                expected[(str(store), brand)][1] += week
            self.data_file(f"oj{f}.csv", "\n".join(lines) + "\n")
        self.mltable(read_delimited_mltable([("pattern", "./*.csv")]))
        self.dir.script(PARTITION_SCRIPT)
        job = self.dir.job(mltable_job(None, extra="partition_keys:\n  - Store\n  - Brand\n"))
        self.assertExit(self.prs(job), 0)
        self.check({k: (n, k[0], w) for k, (n, w) in expected.items()})

    def test_keys_from_key_value_folders(self):
        expected = {}
        for store in (2, 10):
            for brand in ("x", "y"):
                n = 0
                for part in range(2):
                    rows = "".join(f"{w}\n" for w in range(store + part))
                    self.data_file(f"Store={store}/Brand={brand}/part-{part}.csv", "week\n" + rows)
                    n += store + part
                expected[(str(store), brand)] = (n, "-", sum(sum(range(store + p)) for p in range(2)))
        self.mltable(read_delimited_mltable([("pattern", "./**/*.csv")]))
        self.dir.script(PARTITION_SCRIPT)
        job = self.dir.job(mltable_job(None, extra="partition_keys: [Store, Brand]\n"))
        self.assertExit(self.prs(job, np=2), 0)
        self.check(expected)
        rows = self.processed()
        detail = json.loads(rows[0]["Mini-batch Detail"])
        self.assertEqual(len(detail["files"]), 2)

    def test_keys_from_partition_format(self):
        # Azure v1's partition_format: the keys are path segments named by a template.
        expected = {}
        for store in (3, 11):
            for brand in ("tropicana", "dominicks"):
                rows = "".join(f"{w}\n" for w in range(store))
                self.data_file(f"{store}/{brand}/sales.csv", "week\n" + rows)
                expected[(str(store), brand)] = (store, "-", sum(range(store)))
        self.mltable(read_delimited_mltable([("pattern", "./**/*.csv")]))
        self.dir.script(PARTITION_SCRIPT)
        job_text = mltable_job(None, extra="partition_keys: [Store, Brand]\n").replace(
            "    path: ./data\n", "    path: ./data\n    partition_format: \"{Store}/{Brand}/*.csv\"\n", 1)
        job = self.dir.job(job_text)
        self.assertExit(self.prs(job, np=2), 0)
        self.check(expected)


ECHO_IDS = """
def init():
    pass

def run(mini_batch):
    return [str(v) for v in mini_batch.iloc[:, 0]]
"""


class BadData(TabularCase):
    def test_ragged_row_fails_its_mini_batch_only_and_names_file_and_byte(self):
        self.data_file("a.csv", "id,v\n" + "".join(f"{i},x\n" for i in range(50)))
        bad = self.data_file("b.csv", "id,v\n50,x\n51,x,extra\n52,x\n")
        self.data_file("c.csv", "id,v\n" + "".join(f"{i},x\n" for i in range(60, 70)))
        self.mltable(read_delimited_mltable([("pattern", "./*.csv")]))
        self.dir.script(ECHO_IDS)
        self.assertExit(self.prs(self.dir.job(mltable_job())), 0)
        self.assertEqual(sorted(map(int, self.output_lines())), list(range(50)) + list(range(60, 70)))
        failed = [r for r in self.processed() if r["Status"] != "RUN_DONE"]
        self.assertEqual(len(failed), 3, "first try and two retries")
        self.assertTrue(all(r["Status"] == "LOAD_FAILED" for r in failed))
        message = f"ragged row in {bad} at byte 10"
        self.assertIn(message, failed[0]["Error Message"])
        self.assertIn(message, self.job_error())
        self.assertIn("3 fields, the header has 2", self.job_error())
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("1 failed", result)

    def test_undecodable_bytes_and_mismatched_header(self):
        self.data_file("a.csv", "id,v\n1,x\n")
        (self.dir.data / "b.csv").write_bytes(b"id,v\n2,caf\xe9\n")
        self.data_file("c.csv", "id,w\n3,z\n")
        self.mltable(read_delimited_mltable([("pattern", "./*.csv")]))
        self.dir.script(ECHO_IDS)
        self.assertExit(self.prs(self.dir.job(mltable_job())), 0)
        self.assertEqual(self.output_lines(), ["1"])
        errors = self.job_error()
        self.assertIn(f"undecodable bytes in {self.dir.data / 'b.csv'} at byte 10 for encoding utf8", errors)
        self.assertIn(f"header of {self.dir.data / 'c.csv'} differs from the header of {self.dir.data / 'a.csv'}",
                      errors)

    def test_bad_json_line_names_file_and_byte(self):
        self.data_file("a.jsonl", '{"id": 1}\n{"id": 2}\n')
        self.data_file("b.jsonl", '{"id": 3}\n{"id": 4,\n')
        self.mltable("paths:\n  - pattern: ./*.jsonl\ntransformations:\n  - read_json_lines:\n      encoding: utf8\n")
        self.dir.script(ECHO_IDS)
        self.assertExit(self.prs(self.dir.job(mltable_job())), 0)
        self.assertEqual(sorted(self.output_lines()), ["1", "2"])
        self.assertIn(f"invalid JSON line in {self.dir.data / 'b.jsonl'} at byte 10", self.job_error())

    def test_bad_mltable_is_exit_2_with_line(self):
        self.data_file("a.csv", "id\n1\n")
        self.mltable("paths:\n  - file: ./a.csv\ntransformations:\n  - read_delimited:\n      header: first\n")
        self.dir.script(ECHO_IDS)
        proc = self.prs(self.dir.job(mltable_job()))
        self.assertExit(proc, 2)
        self.assertIn("MLTable:5:15: error: transformations.read_delimited.header", proc.stderr)


class LoadTimeout(TabularCase):
    def test_fifo_that_never_delivers_times_out_its_load_and_the_job_ends(self):
        self.data_file("a.csv", "id,v\n" + "".join(f"{i},x\n" for i in range(20)))
        os.mkfifo(self.dir.data / "b.csv")  # nobody ever writes: opening it blocks
        self.mltable(read_delimited_mltable([("file", "./a.csv"), ("file", "./b.csv")]))
        self.dir.script(ECHO_IDS)
        job = self.dir.job(mltable_job(args="--task_overhead_timeout 2"))
        proc = self.prs(job, timeout=120)
        self.assertExit(proc, 0)
        self.assertEqual(sorted(map(int, self.output_lines())), list(range(20)))
        fifo_rows = [r for r in self.processed() if "b.csv" in r["Mini-batch Detail"]]
        self.assertEqual([r["Status"] for r in fifo_rows], ["LOAD_TIMEOUT"] * 3)
        self.assertIn("--task_overhead_timeout", fifo_rows[0]["Error Message"])


if __name__ == "__main__":
    import unittest
    unittest.main()
