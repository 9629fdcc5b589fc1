"""MLTable transformations as Azure's mltable evaluates them: what run() gets for each
transformation, compared with mltable.load(...).to_pandas_dataframe() of prs_mpi's own
mltable module run by Debian's python3 (the shared table); partition keys from a
partition format; `import mltable` in an entry script; bad MLTables exit 2."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from harness import PRS, PrsTestCase
from test_tabular_job import mltable_job

BUILD_PYTHON = Path(PRS).resolve().parent / "python"

# run() reports the frame it got: its columns, dtypes and values, one line per mini-batch.
REPORT_SCRIPT = """
import json

def run(mini_batch, mini_batch_context):
    return [json.dumps({"i": mini_batch_context.minibatch_index,
                        "keys": dict(mini_batch_context.partition_key_value or {}),
                        "columns": [str(c) for c in mini_batch.columns],
                        "dtypes": [str(t) for t in mini_batch.dtypes],
                        "values": json.loads(mini_batch.to_json(orient="values", date_format="iso"))})]
"""

# What mltable.load() gives, in the same form.
LOAD_SCRIPT = """
import json, sys
import mltable
df = mltable.load(sys.argv[1]).to_pandas_dataframe()
print(json.dumps({"columns": [str(c) for c in df.columns], "dtypes": [str(t) for t in df.dtypes],
                  "values": json.loads(df.to_json(orient="values", date_format="iso"))}))
"""

SALES = "week,units,price,promo,day\n1,10,2.5,yes,2024-01-05\n2,,3.0,no,2024-01-12\n3,7,1.25,yes,2024-02-02\n"
READ = "transformations:\n  - read_delimited:\n      delimiter: ','\n"
# The shared table: name -> (extra MLTable text after the read transformation, read options).
CASES = {
    "path_column": ("", "      include_path_column: true\n"),
    "extract_drop": ("  - extract_columns_from_partition_format:\n"
                     "      partition_format: \"{Store}/{Brand}/{file_name}.{extension}\"\n"
                     "  - drop_columns: [Path, file_name, extension]\n", "      include_path_column: true\n"),
    "keep_convert": ("  - keep_columns: [week, units, promo, day]\n"
                     "  - convert_column_types:\n"
                     "      - columns: units\n        column_type: int\n"
                     "      - columns: week\n        column_type: float\n"
                     "      - columns: promo\n        column_type:\n          boolean:\n"
                     "            true_values: ['yes']\n            false_values: ['no']\n"
                     "      - columns: day\n        column_type:\n          datetime:\n"
                     "            formats: ['%Y-%m-%d']\n", ""),
    "string_type": ("  - convert_column_types:\n      - columns: [week, price]\n        column_type: string\n", ""),
    "filter": ("  - filter: 'col(\"price\") >= 2.5 and not col(\"promo\") == \"no\"'\n", ""),
    "no_inference": ("", "      infer_column_types: false\n"),
    "skip_take": ("  - skip: 2\n  - keep_columns: [week, price]\n  - take: 3\n", ""),
    "datetime_partition": ("  - extract_columns_from_partition_format:\n"
                           "      partition_format: \"{Brand}/{file_name}.csv\"\n", ""),
}


def bundled_python3(script, *args):
    env = dict(os.environ, PYTHONPATH=str(BUILD_PYTHON))
    out = subprocess.run(["/usr/bin/python3", "-c", script, *args], capture_output=True, text=True, env=env,
                         timeout=60)
    if out.returncode != 0:
        raise AssertionError(out.stderr)
    return out.stdout


class MLTableCase(PrsTestCase):
    def sales_files(self):
        for store, brand, rows in (("1001", "dominicks", SALES), ("1002", "tropicana", SALES.replace("2.5", "4.5"))):
            path = self.dir.data / store / brand / "sales.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rows)

    def mltable(self, text):
        (self.dir.data / "MLTable").write_text(text)

    def run_report(self, extra=""):
        self.dir.script(REPORT_SCRIPT)
        proc = self.prs(self.dir.job(mltable_job('"1mb"', extra=extra)))
        self.assertExit(proc, 0)
        return sorted((json.loads(line) for line in self.output_lines()), key=lambda r: r["i"])


class SharedTable(MLTableCase):
    def test_run_gets_what_mltable_load_gives(self):
        self.dir.data.mkdir(parents=True, exist_ok=True)
        for name, (steps, read_options) in CASES.items():
            with self.subTest(name):
                self.sales_files()
                self.mltable("paths:\n  - pattern: ./**/*.csv\n" + READ + read_options + steps)
                batches = self.run_report()
                expected = json.loads(bundled_python3(LOAD_SCRIPT, str(self.dir.data)))
                self.assertEqual(len(batches), 2)  # one per file
                for b in batches:
                    self.assertEqual((b["columns"], b["dtypes"]), (expected["columns"], expected["dtypes"]), name)
                self.assertEqual([v for b in batches for v in b["values"]], expected["values"], name)
                self.assertTrue(expected["values"], name)
                if name == "extract_drop":
                    self.assertEqual(expected["columns"], ["week", "units", "price", "promo", "day", "Store",
                                                           "Brand"])
                    self.assertEqual(expected["values"][0][-2:], ["1001", "dominicks"])
                if name == "path_column":
                    self.assertTrue(expected["values"][0][0].endswith("/1001/dominicks/sales.csv"))
                if name == "keep_convert":
                    self.assertEqual(expected["dtypes"], ["float64", "float64", "bool", "datetime64[ns]"])
                if name == "skip_take":
                    self.assertEqual(expected["values"], [[3, 1.25], [1, 4.5], [2, 3.0]])
                if name == "filter":
                    self.assertEqual(len(expected["values"]), 2)


ENCODINGS = {"utf8": "utf-8", "iso88591": "latin-1", "latin1": "latin-1", "ascii": "ascii", "utf16": "utf-16",
             "utf32": "utf-32", "utf8bom": "utf-8-sig", "windows1252": "cp1252"}
PANDAS_SCRIPT = """
import json, sys
import pandas as pd
df = pd.read_csv(sys.argv[1], encoding=sys.argv[2])
print(json.dumps(json.loads(df.to_json(orient="values"))))
"""


class Encodings(MLTableCase):
    def test_each_encoding_azure_lists_decodes_as_pandas_does(self):
        for name, codec in ENCODINGS.items():
            with self.subTest(name):
                text = "name,city,n\nJos\u00e9,K\u00f6ln,1\nZo\u00eb,Z\u00fcrich,2\n"
                if name == "ascii":
                    text = text.replace("\u00e9", "e").replace("\u00f6", "o").replace("\u00eb", "e").replace(
                        "\u00fc", "u")
                if name == "windows1252":
                    text = text.replace("Jos\u00e9", "\u20ac5")  # a byte latin-1 does not give
                for store in ("1001", "1002"):
                    path = self.dir.data / store / "people.csv"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(text.encode(codec))
                self.mltable("paths:\n  - pattern: ./**/*.csv\n" + READ + f"      encoding: {name}\n"
                             "      include_path_column: true\n  - drop_columns: Path\n")
                batches = self.run_report()
                expected = json.loads(bundled_python3(LOAD_SCRIPT, str(self.dir.data)))
                by_pandas = json.loads(bundled_python3(PANDAS_SCRIPT, str(self.dir.data / "1001" / "people.csv"),
                                                       codec))
                self.assertEqual(expected["values"], by_pandas * 2)
                self.assertEqual([v for b in batches for v in b["values"]], expected["values"])
                for b in batches:
                    self.assertEqual((b["columns"], b["dtypes"]), (expected["columns"], expected["dtypes"]))


class JsonLines(MLTableCase):
    def test_path_column_and_dropped_invalid_lines_match_mltable_load(self):
        for store in ("1001", "1002"):
            path = self.dir.data / store / "rows.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text('{"week": 1, "units": 3}\n{"week": 2, oops\n{"week": 3, "units": 5}\n')
        self.mltable("paths:\n  - pattern: ./**/*.jsonl\ntransformations:\n  - read_json_lines:\n"
                     "      include_path_column: true\n      invalid_lines: drop\n"
                     "  - extract_columns_from_partition_format:\n      partition_format: '{Store}/rows.jsonl'\n"
                     "  - drop_columns: Path\n")
        batches = self.run_report()
        expected = json.loads(bundled_python3(LOAD_SCRIPT, str(self.dir.data)))
        self.assertEqual(expected["columns"], ["week", "units", "Store"])
        self.assertEqual(expected["values"], [[1, 3, "1001"], [3, 5, "1001"], [1, 3, "1002"], [3, 5, "1002"]])
        for b in batches:
            self.assertEqual((b["columns"], b["dtypes"]), (expected["columns"], expected["dtypes"]))
        self.assertEqual([v for b in batches for v in b["values"]], expected["values"])


class RowWindowAcrossMiniBatches(MLTableCase):
    def test_skip_and_take_over_a_size_cut_input_give_the_tables_rows(self):
        for name in ("a", "b"):
            rows = "".join(f'{name}{i},"line {i}\nmore",{i}\n' for i in range(150))
            (self.dir.data / f"{name}.csv").parent.mkdir(parents=True, exist_ok=True)
            (self.dir.data / f"{name}.csv").write_text("id,text,n\n" + rows)
        self.mltable("paths:\n  - pattern: ./*.csv\n" + READ + "      support_multi_line: true\n"
                     "  - skip: 140\n  - take: 100\n")
        self.dir.script(REPORT_SCRIPT)
        proc = self.prs(self.dir.job(mltable_job('"1kb"')))
        self.assertExit(proc, 0)
        batches = sorted((json.loads(line) for line in self.output_lines()), key=lambda r: r["i"])
        self.assertGreaterEqual(len(batches), 3)  # the tail of a, b's first 90 rows cut in two
        expected = json.loads(bundled_python3(LOAD_SCRIPT, str(self.dir.data)))
        got = [v for b in batches for v in b["values"]]
        self.assertEqual(got, expected["values"])
        self.assertEqual([v[0] for v in got], [f"a{i}" for i in range(140, 150)] + [f"b{i}" for i in range(90)])


SAMPLE = "  - take_random_sample:\n      probability: 0.3\n      seed: {seed}\n"


class RandomSample(MLTableCase):
    """take_random_sample decides each row by (seed, file, byte offset): the rows run() gets
    are mltable.load()'s, whatever the mini-batches, ranks or order of the steps."""

    def sample_files(self):
        for name in ("a", "b", "c"):
            path = self.dir.data / name / "rows.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("id,n,text\n" + "".join(f"{name}{i},{i},row {i}\n" for i in range(200)))

    def sampled(self, size, np=None, seed=7):
        self.dir.script(REPORT_SCRIPT)
        proc = self.prs(self.dir.job(mltable_job(size)), np=np)
        self.assertExit(proc, 0)
        batches = sorted((json.loads(line) for line in self.output_lines()), key=lambda r: r["i"])
        return len(batches), [v for b in batches for v in b["values"]]

    def test_run_gets_the_rows_mltable_load_samples_for_any_cut_and_ranks(self):
        self.sample_files()
        self.mltable("paths:\n  - pattern: ./**/*.csv\n" + READ + "  - filter: 'col(\"n\") >= 10'\n" +
                     SAMPLE.format(seed=7) + "  - keep_columns: [id, n]\n")
        expected = json.loads(bundled_python3(LOAD_SCRIPT, str(self.dir.data)))["values"]
        self.assertTrue(0.2 * 570 < len(expected) < 0.4 * 570, len(expected))  # ~30% of the 570 rows kept
        self.assertEqual(len({v[0] for v in expected}), len(expected))
        few, rows_few = self.sampled('"3kb"')
        many, rows_many = self.sampled('"1kb"')
        self.assertEqual((few, many), (3, 9))  # each file one mini-batch, or cut in three
        self.assertEqual(rows_few, expected)
        self.assertEqual(rows_many, expected)
        _, rows_mpi = self.sampled('"1kb"', np=2)
        self.assertEqual(rows_mpi, expected)

    def test_json_lines_sample_matches_and_the_seed_changes_it(self):
        path = self.dir.data / "rows.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f'{{"id": {i}}}\n' if i % 50 else "oops\n" for i in range(1, 301)))
        samples = []
        for seed in (7, 8):
            self.mltable("paths:\n  - file: ./rows.jsonl\ntransformations:\n  - read_json_lines:\n"
                         "      invalid_lines: drop\n" + SAMPLE.format(seed=seed))
            expected = json.loads(bundled_python3(LOAD_SCRIPT, str(self.dir.data)))["values"]
            count, rows = self.sampled('"1kb"')
            self.assertGreater(count, 2)
            self.assertEqual(rows, expected)
            samples.append(rows)
        self.assertNotEqual(samples[0], samples[1])

    def test_probability_out_of_range_exits_2_naming_the_mltable_line(self):
        self.sample_files()
        for bad in ("0", "1.5", "lots"):
            with self.subTest(bad):
                self.mltable("paths:\n  - pattern: ./**/*.csv\n" + READ +
                             f"  - take_random_sample:\n      probability: {bad}\n")
                self.dir.script(REPORT_SCRIPT)
                proc = self.prs(self.dir.job(mltable_job('"1kb"')))
                self.assertExit(proc, 2)
                self.assertIn("MLTable:7:20: error: transformations.take_random_sample.probability: expected a "
                              "number in (0, 1]", proc.stderr)
                self.assertFalse((self.dir.run_dir / "outputs" / "result" / "parallel_run_step.txt").exists())


class PartitionKeysFromFormat(MLTableCase):
    def test_keys_come_from_the_paths_as_strings(self):
        self.sales_files()
        self.mltable("paths:\n  - pattern: ./**/*.csv\n" + READ + "      include_path_column: true\n"
                     "  - extract_columns_from_partition_format:\n"
                     "      partition_format: \"{Store}/{Brand}/{file_name}.{extension}\"\n"
                     "  - drop_columns: [Path, file_name, extension]\n")
        batches = self.run_report(extra="partition_keys: [Store, Brand]")
        self.assertEqual([b["keys"] for b in batches], [{"Store": "1001", "Brand": "dominicks"},
                                                         {"Store": "1002", "Brand": "tropicana"}])
        self.assertEqual([len(b["values"]) for b in batches], [3, 3])


class ImportMltable(MLTableCase):
    def test_entry_script_imports_mltable_and_saves_a_table_read_back(self):
        self.sales_files()
        self.mltable("paths:\n  - pattern: ./**/*.csv\n" + READ)
        self.dir.script(textwrap.dedent("""
            import json, os, tempfile
            import mltable

            def run(mini_batch):
                out = tempfile.mkdtemp()
                path = os.path.join(out, "part.csv")
                mini_batch.to_csv(path, index=False)
                table = mltable.from_delimited_files(paths=[{"file": path}]).keep_columns(["week", "units"])
                table.save(out)
                again = mltable.load(out).to_pandas_dataframe()
                return [json.dumps([mltable.__name__, list(again.columns), len(again),
                                    again.equals(table.to_pandas_dataframe())])]
        """))
        proc = self.prs(self.dir.job(mltable_job('"1mb"')))
        self.assertExit(proc, 0)
        self.assertEqual(sorted(self.output_lines()), ['["mltable", ["week", "units"], 3, true]'] * 2)


    def test_a_real_mltable_on_the_path_wins_and_the_steps_still_apply(self):
        self.sales_files()
        self.mltable("paths:\n  - pattern: ./**/*.csv\n" + READ + "  - keep_columns: [units, week]\n")
        real = self.dir.root / "site" / "mltable"
        real.mkdir(parents=True)
        (real / "__init__.py").write_text("WHICH = 'the installed one'\n")
        self.dir.script("import mltable\n\ndef run(mini_batch):\n"
                        "    return [f'{mltable.WHICH} {list(mini_batch.columns)}'] * len(mini_batch)\n")
        proc = self.prs(self.dir.job(mltable_job('"1mb"')), env={"PYTHONPATH": str(self.dir.root / "site")})
        self.assertExit(proc, 0)
        self.assertEqual(self.output_lines(), ["the installed one ['units', 'week']"] * 6)


    def test_on_pythonpath_before_an_installed_mltable_the_installed_one_still_wins(self):
        real = self.dir.root / "site" / "mltable"
        real.mkdir(parents=True)
        (real / "__init__.py").write_text("WHICH = 'the installed one'\n")
        env = dict(os.environ, PYTHONPATH=f"{BUILD_PYTHON}:{self.dir.root / 'site'}")
        script = "import mltable; print(getattr(mltable, 'WHICH', 'ours'), hasattr(mltable, 'load'))"
        out = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(out.stdout, "the installed one False\n", out.stderr)
        env["PYTHONPATH"] = str(BUILD_PYTHON)
        out = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(out.stdout, "ours True\n", out.stderr)


class BadMLTables(MLTableCase):
    def assertBad(self, text, *expected):
        self.sales_files()
        self.mltable(text)
        self.dir.script(REPORT_SCRIPT)
        proc = self.prs(self.dir.job(mltable_job('"1mb"')))
        self.assertExit(proc, 2)
        for e in expected:
            self.assertIn(e, proc.stderr)
        self.assertFalse((self.dir.run_dir / "outputs" / "result" / "parallel_run_step.txt").exists())

    def test_unknown_transformation(self):
        self.assertBad("paths:\n  - pattern: ./**/*.csv\n" + READ + "  - drop_colums: [week]\n",
                       "MLTable:6:5: error: transformations.drop_colums: unknown transformation",
                       "did you mean 'drop_columns'?")

    def test_missing_column(self):
        self.assertBad("paths:\n  - pattern: ./**/*.csv\n" + READ + "  - keep_columns: [week, unit]\n",
                       "MLTable:6:19: error: transformations.keep_columns: column 'unit' does not exist",
                       "did you mean 'units'?")

    def test_format_matching_no_path(self):
        self.assertBad("paths:\n  - pattern: ./**/*.csv\n" + READ +
                       "  - extract_columns_from_partition_format:\n      partition_format: '{Store}/{file}.parquet'\n",
                       "partition_format: '{Store}/{file}.parquet' does not match the path", "sales.csv")

    def test_filter_it_cannot_evaluate(self):
        self.assertBad("paths:\n  - pattern: ./**/*.csv\n" + READ + "  - filter: 'col(\"week\").isin([1, 2])'\n",
                       "transformations.filter: cannot evaluate '.isin([1, 2])'")

    def test_a_column_rank_0_cannot_know_fails_the_mini_batch_naming_file_and_column(self):
        path = self.dir.data / "rows.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"week": 1, "units": 3}\n')
        self.mltable("paths:\n  - file: ./rows.jsonl\ntransformations:\n  - read_json_lines:\n"
                     "  - keep_columns: [week, unit]\n")
        self.dir.script(REPORT_SCRIPT)
        proc = self.prs(self.dir.job(mltable_job('"1mb"', extra="mini_batch_error_threshold: -1")))
        self.assertExit(proc, 42)  # the one mini-batch failed: no row to append
        self.assertIn("LOAD_FAILED", (self.dir.logs / "job_error.txt").read_text())
        error = (self.dir.logs / "job_error.txt").read_text()
        self.assertIn("MLTable: keep_columns: column 'unit' not found (columns: week, units)", error)
        self.assertIn("rows of " + str(path), error)

    def test_random_split_take_after_a_filter_and_parquet_are_refused_with_the_reason(self):
        self.assertBad("paths:\n  - pattern: ./**/*.csv\n" + READ + "  - random_split:\n      percent: 0.5\n",
                       "MLTable:6:5: error: transformations.random_split: random_split makes two tables; a job reads "
                       "one", "keep one part with take_random_sample")
        self.assertBad("paths:\n  - pattern: ./**/*.csv\n" + READ + "  - take_random_sample:\n      probability: 0.5\n"
                       "  - take: 2\n", "take counts rows over the whole table, but it comes after take_random_sample")
        self.assertBad("paths:\n  - pattern: ./**/*.csv\n" + READ + "  - filter: 'col(\"week\") > 1'\n  - take: 2\n",
                       "take counts rows over the whole table, but it comes after a filter")
        self.assertBad("paths:\n  - pattern: ./**/*.csv\ntransformations:\n  - read_parquet:\n",
                       "reads delimited text and JSON lines only", "convert the data to CSV")


if __name__ == "__main__":
    import unittest
    unittest.main()
