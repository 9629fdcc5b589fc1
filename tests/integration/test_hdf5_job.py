"""HDF5 inputs end to end: row ranges read by the workers into numpy, alone and under
mpirun -np 3; bad metadata stops the job up front, bad data fails only its mini-batches."""
import os
import subprocess
from pathlib import Path

from harness import PRS, PrsTestCase, parallel_job

# Writes the .h5 files (no h5py on the test machines); see make_h5.cpp for its arguments.
MAKE_H5 = os.environ.get("PRS_MAKE_H5", str(Path(PRS).parent / "tests" / "prs_make_h5"))

SUM_SCRIPT = """
import numpy as np

def init():
    pass

def run(mini_batch):
    assert isinstance(mini_batch, dict), type(mini_batch)
    assert list(mini_batch) == ["/x", "/y"], list(mini_batch)
    x, y = mini_batch["/x"], mini_batch["/y"]
    assert isinstance(x, np.ndarray) and x.dtype == np.int32 and x.shape[1:] == (3,), (x.dtype, x.shape)
    assert y.dtype == np.int64 and y.shape == (len(x),), (y.dtype, y.shape)
    assert x.flags.c_contiguous and x.flags.writeable
    return [f"{int(x[i].sum())} {y[i]}" for i in range(len(x))]
"""

ONE_DATASET_SCRIPT = """
import numpy as np

def init():
    pass

def run(mini_batch):
    assert isinstance(mini_batch, np.ndarray), type(mini_batch)
    assert mini_batch.dtype == np.float64 and mini_batch.shape[1:] == (2, 2), (mini_batch.dtype, mini_batch.shape)
    return [repr(float(row.sum())) for row in mini_batch]
"""

TYPES_SCRIPT = """
import numpy as np

def init():
    pass

def run(mini_batch):
    flag, name = mini_batch["/flags/flag"], mini_batch["/name"]
    assert flag.dtype == np.bool_ and name.dtype == np.dtype("S8"), (flag.dtype, name.dtype)
    return [f"{name[i].decode()} {bool(flag[i])}" for i in range(len(flag))]
"""


def hdf5_job(datasets, mini_batch_size=7, path="./data"):
    folder_input = "  input_data:\n    type: uri_folder\n    path: ./data\n"
    job = parallel_job(mini_batch_size=mini_batch_size)
    assert folder_input in job
    return job.replace(folder_input, f"  input_data:\n    type: hdf5\n    path: {path}\n"
                                     f"    datasets: [{', '.join(datasets)}]\n")


def x_y_rows(offset, rows):
    """The rows SUM_SCRIPT writes for a file made with OFFSET: x is rows x 3, y has rows."""
    return {f"{3 * offset + 9 * i + 3} {offset + i}" for i in range(rows)}


class Hdf5Job(PrsTestCase):
    def make_h5(self, name, offset, *datasets):
        subprocess.run([MAKE_H5, str(self.dir.data / name), str(offset), *datasets], check=True)

    def two_files(self, b_options=""):
        """a.h5 contiguous, 20 rows; b.h5 chunked and compressed, 33 rows."""
        self.make_h5("a.h5", 0, "/x:i32:20x3", "/y:i64:20")
        self.make_h5("b.h5", 1000, f"/x:i32:33x3:chunk=5{b_options}", "/y:i64:33:chunk=8")
        (self.dir.data / "README.md").write_text("not an HDF5 file, skipped\n")
        self.dir.script(SUM_SCRIPT)
        return self.dir.job(hdf5_job(["/x", "/y"]))

    def check_every_row_once(self, proc):
        self.assertExit(proc, 0)
        lines = self.output_lines()
        self.assertEqual(len(lines), 53)
        self.assertEqual(set(lines), x_y_rows(0, 20) | x_y_rows(1000, 33))
        rows = self.processed()
        self.assertEqual(len(rows), 3 + 5)  # ceil(20 / 7) + ceil(33 / 7): never across files
        self.assertTrue(all(r["Status"] == "RUN_DONE" for r in rows), rows)
        self.assertEqual(sum(int(r["Total"]) for r in rows), 53)

    def test_alone_every_row_once(self):
        self.check_every_row_once(self.prs(self.two_files()))

    def test_under_mpirun_every_row_once(self):
        self.check_every_row_once(self.prs(self.two_files(), np=3))

    def test_one_dataset_is_the_array_itself(self):
        self.make_h5("cube.h5", 0, "/cube:f64:10x2x2:chunk=3")
        self.dir.script(ONE_DATASET_SCRIPT)
        proc = self.prs(self.dir.job(hdf5_job(["/cube"], mini_batch_size=4, path="./data/cube.h5")))
        self.assertExit(proc, 0)
        self.assertEqual(sorted(self.output_lines()), sorted(repr(16.0 * i + 6.0) for i in range(10)))

    def test_booleans_and_fixed_strings(self):
        self.make_h5("t.h5", 0, "/flags/flag:bool:6", "/name:S8:6")
        self.dir.script(TYPES_SCRIPT)
        proc = self.prs(self.dir.job(hdf5_job(["/flags/flag", "/name"], mini_batch_size=4)))
        self.assertExit(proc, 0)
        self.assertEqual(sorted(self.output_lines()), sorted(f"r{i} {i % 2 == 1}" for i in range(6)))

    def test_missing_dataset_stops_the_job_before_anything_runs(self):
        self.make_h5("a.h5", 0, "/x:i32:20x3", "/y:i64:20")
        self.make_h5("b.h5", 0, "/x:i32:20x3", "/labels:i64:20")
        self.dir.script(SUM_SCRIPT)
        proc = self.prs(self.dir.job(hdf5_job(["/x", "/y"])))
        self.assertExit(proc, 2)
        self.assertIn(f"HDF5 input file '{self.dir.data / 'b.h5'}' has no dataset '/y'", proc.stderr)
        self.assertIn("its top level holds /labels, /x", proc.stderr)
        self.assertFalse((self.dir.logs / "sys" / "job_report" / "processed_mini-batches.csv").exists())

    def test_unreadable_data_fails_its_mini_batches_not_the_job(self):
        # b.h5's /x needs a filter only prs_make_h5 has: its metadata is fine, its rows are not.
        proc = self.prs(self.two_files(b_options=":foreign_filter"))
        self.assertExit(proc, 0)
        self.assertEqual(set(self.output_lines()), x_y_rows(0, 20))
        failed = [r for r in self.processed() if r["Status"] == "LOAD_FAILED"]
        self.assertTrue(failed)
        self.assertEqual({r["Mini-batch Id"] for r in failed}, {"3", "4", "5", "6", "7"})
        message = next(r["Error Message"] for r in failed if r["Mini-batch Id"] == "3")
        self.assertIn(f"HDF5 file '{self.dir.data / 'b.h5'}', dataset '/x', rows [0, 7): cannot read the rows",
                      message)
        self.assertIn("filter", message)
