"""--prefetch_mini_batches: a worker loads its next tabular mini-batch while run() executes
(src/worker/prefetch.hpp), and the attempts stay exactly attributed: load and run() times
apart in processed_mini-batches.csv, a load timeout charged to the mini-batch that loads,
a death during run(n) charged to n alone."""
import collections
import datetime
import os
import time

from harness import PrsTestCase
from test_tabular_job import mltable_job, read_delimited_mltable

# Sleeps with the GIL released, as a GPU call would; says when its run() ran.
SLEEPING_RUN = """
import time
import pandas  # here, not in the first load: its import takes seconds on a loaded machine

def init():
    pass

def run(mini_batch, mini_batch_context):
    started = time.time()
    time.sleep(0.3)
    ended = time.time()
    return [f"{i} {mini_batch_context.minibatch_index} {started:.6f} {ended:.6f}" for i in mini_batch["id"]]
"""

# Mini-batch 1's first attempt dies by SIGKILL while mini-batch 2 is loaded ahead.
DYING_RUN = """
import os, signal, time

def init():
    pass

def run(mini_batch, mini_batch_context):
    marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "died")
    if mini_batch_context.minibatch_index == 1 and not os.path.exists(marker):
        open(marker, "w").close()
        time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGKILL)
    return [str(i) for i in mini_batch["id"]]
"""


def epoch(iso):
    return datetime.datetime.fromisoformat(iso).replace(tzinfo=datetime.timezone.utc).timestamp()


class PrefetchCase(PrsTestCase):
    ROWS = 1200  # about 100 bytes each: six mini-batches of 20 kb

    def job(self, script, args=""):
        path = self.dir.data / "rows.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("id,text\n" + "".join(f"{i},{'x' * 90}\n" for i in range(self.ROWS)))
        (self.dir.data / "MLTable").write_text(read_delimited_mltable([("file", "./rows.csv")]))
        self.dir.script(script)
        return self.dir.job(mltable_job('"20kb"', concurrency=1, args=args))

    def runs(self, proc):
        """Per mini-batch index: (its run()'s start, end), its processed_mini-batches.csv row."""
        self.assertExit(proc, 0)
        lines = self.output_lines()
        self.assertEqual(sorted(int(line.split()[0]) for line in lines), list(range(self.ROWS)))
        times = {int(f[1]): (float(f[2]), float(f[3])) for f in (line.split() for line in lines)}
        rows = {int(r["Mini-batch Id"]): r for r in self.processed()}
        self.assertEqual(sorted(times), sorted(rows))
        self.assertGreaterEqual(len(rows), 5)
        return times, rows


class Overlap(PrefetchCase):
    def test_next_mini_batch_loads_while_run_sleeps_and_times_stay_apart(self):
        times, rows = self.runs(self.prs(self.job(SLEEPING_RUN)))
        for n in sorted(times)[:-1]:
            # Mini-batch n+1's load began before run(n) returned.
            self.assertLess(epoch(rows[n + 1]["Process Start Time"]), times[n][1] - 0.1, (n, rows[n + 1]))
        for r in rows.values():
            self.assertEqual(r["Status"], "RUN_DONE")
            # Elapsed = load + run(): the wait for run(n) is in neither.
            load = float(r["Elapsed Seconds"]) - float(r["Run Method Seconds"])
            self.assertGreaterEqual(float(r["Run Method Seconds"]), 0.29, r)
            self.assertLess(load, 0.25, r)

    def test_prefetch_0_loads_each_mini_batch_after_the_run_before_it(self):
        times, rows = self.runs(self.prs(self.job(SLEEPING_RUN, args="--prefetch_mini_batches 0")))
        for n in sorted(times)[:-1]:
            self.assertGreaterEqual(epoch(rows[n + 1]["Process Start Time"]), times[n][1] - 0.002, (n, rows[n + 1]))

    def test_command_line_flag_is_described(self):
        proc = self.prs(self.job(SLEEPING_RUN), "--dry-run", "--prefetch_mini_batches", "3")
        self.assertExit(proc, 0)
        self.assertRegex(proc.stdout, r"prefetch_mini_batches.*3.*command line")


class Attribution(PrefetchCase):
    def test_kill_9_during_run_charges_the_running_mini_batch_not_the_one_loaded_ahead(self):
        started = time.time()
        proc = self.prs(self.job(DYING_RUN))
        self.assertLess(time.time() - started, 60, "a replaced worker costs seconds, not a timeout")
        self.assertExit(proc, 0)
        lines = self.output_lines()
        self.assertEqual(sorted(map(int, lines)), list(range(self.ROWS)))  # exactly once
        attempts = collections.defaultdict(list)
        for r in self.processed():
            attempts[int(r["Mini-batch Id"])].append((r["Picked Count"], r["Status"]))
        self.assertEqual(attempts[1], [("1", "PROCESS_DIED"), ("2", "RUN_DONE")])
        for n, tries in attempts.items():
            if n != 1:
                self.assertEqual(tries, [("1", "RUN_DONE")], n)

    def test_load_timeout_while_loading_ahead_is_charged_to_the_mini_batch_that_loads(self):
        data = self.dir.data
        data.mkdir(parents=True, exist_ok=True)
        (data / "a.csv").write_text("id\n" + "".join(f"{i}\n" for i in range(20)))
        os.mkfifo(data / "b.csv")  # nobody ever writes: its load blocks (without the GIL)
        (data / "MLTable").write_text(read_delimited_mltable([("file", "./a.csv"), ("file", "./b.csv")]))
        self.dir.script(SLEEPING_RUN.replace("0.3", "1.0"))
        started = time.time()
        proc = self.prs(self.dir.job(mltable_job(concurrency=1, args="--task_overhead_timeout 2")), timeout=120)
        self.assertLess(time.time() - started, 60, "three 2 s load timeouts and a 1 s run()")
        self.assertExit(proc, 0)
        self.assertEqual(sorted(int(line.split()[0]) for line in self.output_lines()), list(range(20)))
        by_file = collections.defaultdict(list)
        for r in self.processed():
            by_file["b" if "b.csv" in r["Mini-batch Detail"] else "a"].append(r)
        # a's run() went on while b's load blocked; b's load was timed from its own start.
        self.assertEqual([(r["Picked Count"], r["Status"]) for r in by_file["a"]], [("1", "RUN_DONE")])
        self.assertEqual([r["Status"] for r in by_file["b"]], ["LOAD_TIMEOUT"] * 3)
        self.assertIn("--task_overhead_timeout", by_file["b"][0]["Error Message"])
        for r in by_file["b"]:
            self.assertLess(float(r["Elapsed Seconds"]), 2.9, r)


if __name__ == "__main__":
    import unittest
    unittest.main()
