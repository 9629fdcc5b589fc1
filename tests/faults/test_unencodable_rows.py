"""Fault class: run() returns a row that cannot be written as UTF-8 (a lone surrogate such as
U+D800). It used to turn the whole mini-batch's rows into backslash escapes, the other rows'
undecodable file-name bytes included. Expected: that row alone is escaped, as Python's
errors="backslashreplace" does; every other row keeps its bytes."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import PrsTestCase, parallel_job  # noqa: E402

# One mini-batch of two files; U+DCFF is how Python spells an undecodable byte 0xff of a file
# name (surrogateescape), which goes back out as that byte.
SCRIPT = """
def run(mini_batch):
    return ["ok", "bad\\ud800 row", "file\\udcff.txt ok", "ok2"]
"""


class UnencodableRows(PrsTestCase):
    def test_only_the_unencodable_row_is_escaped(self):
        self.dir.files(2).script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=2))
        started = time.monotonic()
        proc = self.prs(job, timeout=120)
        self.assertExit(proc, 0)
        self.assertLess(time.monotonic() - started, 60)
        output = self.dir.run_dir / "outputs" / "result" / "parallel_run_step.txt"
        self.assertEqual(output.read_bytes(), b"ok\nbad\\ud800 row\nfile\xff.txt ok\nok2\n")
        self.assertEqual([r["Status"] for r in self.processed()], ["RUN_DONE"])


if __name__ == "__main__":
    import unittest
    unittest.main()
