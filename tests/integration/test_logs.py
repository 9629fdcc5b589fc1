"""The log tree a user reads after a job (SPEC §8): per-process attempt logs,
job_summary.json, report.html, logs/perf, --profiling_module's profiles, and the live
progress on rank 0's stderr, on a real terminal and in a plain file."""
import csv
import json
import marshal
import os
import pwd
import re
import shlex
import shutil
import subprocess
import time

from harness import PRS, PrsTestCase, parallel_job

SCRIPT = """
import os, time

def init():
    pass

def run(mini_batch):
    time.sleep(float(os.environ.get("PRS_ITEST_SLEEP", "0")))
    if any(p.endswith("f007.txt") for p in mini_batch):
        raise ValueError("bad file f007")
    return list(mini_batch)
"""

PLAIN_PROGRESS = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} prs_mpi progress: (\d+)/(\d+) mini-batches, (\d+)/(\d+) items, "
    r"[\d.]+/s, ETA \S+, (\d+) failed", re.M)
ATTEMPT_LINE = re.compile(
    r"\|(INFO|WARNING)\|\d+\|\d+\|mini-batch (\d+) attempt (\d+) on (\d+\.\d+\.\d+\.\d+) pid (\d+): "
    r"(\d+) items, (\d+) succeeded, (\d+) failed; started \S+; elapsed [\d.]+ s, process CPU [\d.]+ s, "
    r"run\(\) [\d.]+ s; ([A-Z_]+)")


class LogTree(PrsTestCase):
    def make_job(self, files=20, mini_batch_size=2):
        self.dir.files(files)
        self.dir.script(SCRIPT)
        return self.dir.job(parallel_job(mini_batch_size=mini_batch_size))

    def run_job(self, *args, **kw):
        return self.prs(self.make_job(**kw), *args)

    def test_process_logs_have_one_line_per_attempt(self):
        proc = self.run_job()
        self.assertExit(proc, 0)
        node_dir = self.dir.logs / "sys" / "node" / "0"
        lines = []
        for path in sorted(node_dir.glob("process*.txt")):
            for line in path.read_text().splitlines():
                m = ATTEMPT_LINE.search(line)
                self.assertIsNotNone(m, f"{path.name}: {line}")
                lines.append(m)
        attempts = self.processed()
        self.assertEqual(len(lines), len(attempts))
        self.assertEqual(len(lines), 10 + 2)  # mini-batch 3 fails three times
        failed = [m for m in lines if m.group(9) != "RUN_DONE"]
        self.assertEqual({(m.group(2), m.group(3)) for m in failed}, {("3", "1"), ("3", "2"), ("3", "3")})
        for m in failed:
            self.assertEqual(m.group(1), "WARNING")
            self.assertEqual((m.group(6), m.group(7), m.group(8)), ("2", "0", "2"))

    def test_job_summary_json_has_counts_throughput_and_workers(self):
        proc = self.run_job()
        self.assertExit(proc, 0)
        summary = json.loads((self.dir.logs / "job_summary.json").read_text())
        self.assertEqual(summary["result"], "succeeded")
        self.assertEqual(summary["exit_code"], 0)
        self.assertEqual(summary["mini_batches"],
                         {"total": 10, "succeeded": 9, "failed": 1, "attempts": 12, "failed_attempts": 3})
        self.assertEqual(summary["items"], {"total": 20, "succeeded": 18, "failed": 2})
        self.assertEqual(summary["rows_written"], 18)
        self.assertGreater(summary["elapsed_s"], 0)
        self.assertGreater(summary["throughput"]["mini_batches_per_s"], 0)
        self.assertGreater(summary["throughput"]["items_per_s"], 0)
        rank0 = summary["rank0"]  # rank 0's own cost: its CPU is below the job's wall time times its threads
        self.assertGreater(rank0["peak_rss_mb"], 1)
        self.assertGreaterEqual(rank0["cpu_s"], 0)
        self.assertLess(rank0["cpu_s"], summary["elapsed_s"] * 4 + 1)
        self.assertAlmostEqual(rank0["cpu_us_per_attempt"], rank0["cpu_s"] * 1e6 / 12, delta=50)  # cpu_s has 3 decimals
        [node] = summary["nodes"]
        self.assertEqual(node["node"], 0)
        self.assertEqual(node["mini_batches"], 12)
        self.assertEqual(node["failures"], 3)
        self.assertEqual(sum(p["mini_batches"] for p in node["processes"]), 12)
        self.assertEqual(sum(p["items_succeeded"] for p in node["processes"]), 18)
        for p in node["processes"]:
            self.assertRegex(p["process"], r"^process\d{3}$")
            self.assertGreaterEqual(p["busy_s"], 0)

    def test_report_html_is_self_contained_with_timeline_and_linked_failures(self):
        proc = self.run_job()
        self.assertExit(proc, 0)
        html = (self.dir.logs / "report.html").read_text()
        self.assertTrue(html.startswith("<!DOCTYPE html>"))
        self.assertNotRegex(html, r"<script[^>]* src=")
        self.assertNotRegex(html, r"(src|href)=\"(https?:)?//")
        self.assertIn('<svg class="timeline"', html)
        self.assertIn('<svg class="throughput"', html)
        summary = json.loads((self.dir.logs / "job_summary.json").read_text())
        processes = {f"node {n['node']} {p['process']}" for n in summary["nodes"] for p in n["processes"]}
        rows = re.findall(r'<g class="worker" data-worker="([^"]+)">', html)
        self.assertEqual(sorted(rows), sorted(processes))
        self.assertEqual(html.count('<g class="attempt">'), 12)
        slowest = html.split('<table class="slowest">')[1].split("</table>")[0]
        self.assertEqual(slowest.count("<tr><td>"), 10)
        failures = html.split('<table class="failures">')[1].split("</table>")[0]
        self.assertEqual(failures.count("<tr><td>3</td>"), 3)
        links = set(re.findall(r'href="([^"]+)"', html))
        self.assertTrue(any(l.startswith("user/stderr/0/process") for l in links), links)
        self.assertIn("job_error.txt", links)
        for link in links:
            self.assertTrue((self.dir.logs / link).is_file(), f"report.html links to missing {link}")

    def run_sampled_job(self, np=None):
        """Two workers (or ranks), four mini-batches of 1.5 s: about 3 s, sampled every second.
        Returns the command's start and end times."""
        self.dir.files(4)
        self.dir.script(SCRIPT)
        self.job = self.dir.job(parallel_job(mini_batch_size=1, task_extra="""\
  environment_variables:
    PRS_ITEST_SLEEP: "1.5"
"""))
        started = time.time()
        proc = self.prs(self.job, "--resource_monitor_interval", "1", np=np)
        self.assertExit(proc, 0)
        return started, time.time()

    def perf_csv(self, name):
        with open(self.dir.logs / "perf" / "0" / name, newline="") as f:
            return list(csv.DictReader(f))

    def test_resource_usage_is_sampled_from_proc_every_interval(self):
        self.run_sampled_job()
        node = self.perf_csv("node_resource_usage.csv")
        self.assertGreaterEqual(len(node), 2)
        for row in node:
            self.assertGreater(float(row["Memory Total MB"]), 0)
            self.assertTrue(0 <= float(row["CPU Percent"]) <= 100)
            float(row["Load Average 1m"])
        workers = self.perf_csv("processes_resource_usage.csv")
        self.assertGreaterEqual(len(workers), 2)
        self.assertEqual({r["Process"] for r in workers}, {"process001", "process002"})
        for row in workers:
            self.assertGreater(float(row["RSS MB"]), 1)
            self.assertGreaterEqual(int(row["Threads"]), 1)

    def run_directory_disk_rows(self):
        rows = self.perf_csv("node_disk_usage.csv")
        self.assertEqual(list(rows[0]), ["Timestamp", "Mount Point", "Filesystem Type", "Job Folders", "Total Bytes",
                                         "Used Bytes", "Free Bytes", "Used Percent"])
        return [r for r in rows if "run directory" in r["Job Folders"].split("; ")]

    def test_disk_usage_of_the_run_directory_and_output_filesystems(self):
        self.run_sampled_job()
        rows = self.run_directory_disk_rows()
        self.assertEqual(len(rows), len(self.perf_csv("node_resource_usage.csv")), "one row per sample")
        self.assertGreaterEqual(len(rows), 2)
        st = os.statvfs(self.dir.run_dir)  # the run directory's filesystem, as seen from here
        for row in rows:
            self.assertIn("output", row["Job Folders"].split("; "))  # outputs/ is under the run directory
            self.assertTrue(self.dir.run_dir.resolve().is_relative_to(row["Mount Point"]), row)
            self.assertEqual(int(row["Total Bytes"]), st.f_blocks * st.f_frsize)
            self.assertLessEqual(int(row["Used Bytes"]) + int(row["Free Bytes"]), int(row["Total Bytes"]))
            self.assertTrue(0 <= float(row["Used Percent"]) <= 100)

    def test_node_figures_come_from_the_nodes_first_rank_only(self):
        self.run_sampled_job(np=2)
        self.assertEqual(len(self.run_directory_disk_rows()), len(self.perf_csv("node_resource_usage.csv")))

    def test_process_listing_every_minute_like_ps_aux(self):
        started, ended = self.run_sampled_job()
        listings = sorted((self.dir.logs / "perf" / "0").glob("os/*/processes_*"))
        # A job of seconds: this minute's file, or two when the job crosses a minute.
        minutes = {time.strftime("%Y%m%d%H/processes_%M", time.localtime(t)) for t in (started, ended)}
        self.assertTrue(listings)
        self.assertLessEqual({f"{p.parent.name}/{p.name}" for p in listings}, minutes)
        listed = {}
        for listing in listings:
            header, *lines = listing.read_text().splitlines()
            self.assertEqual(header.split(), ["USER", "PID", "%CPU", "%MEM", "VSZ", "RSS", "STAT", "START", "TIME",
                                              "COMMAND"])
            for line in lines:
                fields = line.split(None, 9)
                self.assertEqual(len(fields), 10, line)
                # A later sample in the same minute replaced the file rather than adding a listing.
                self.assertNotEqual(fields[:2], ["USER", "PID"], listing)
                listed[fields[9]] = fields
        command = shlex.join([PRS, "--run-dir", str(self.dir.run_dir), "--resource_monitor_interval", "1",
                              str(self.job)])
        user, pid, cpu, mem, vsz, rss, stat, start, cpu_time, _ = listed[command]  # the sampling process itself
        self.assertEqual(user, pwd.getpwuid(os.getuid()).pw_name)
        self.assertGreater(int(rss), 1000)  # KiB
        self.assertGreaterEqual(int(vsz), int(rss))
        self.assertTrue(0 <= float(cpu) and 0 <= float(mem) <= 100)
        self.assertRegex(stat, r"^[RS][<Nsl+]*$")
        self.assertRegex(start, r"^\d\d:\d\d$")
        self.assertRegex(cpu_time, r"^\d+:\d\d$")
        self.assertIn("1", {f[1] for f in listed.values()}, "every process of the node, not only the job's")

    def test_no_resource_usage_when_the_interval_is_zero(self):
        proc = self.run_job("--resource_monitor_interval", "0")
        self.assertExit(proc, 0)
        self.assertFalse((self.dir.logs / "perf").exists())

    def test_profiling_module_dumps_a_cprofile_per_worker(self):
        proc = self.run_job("--profiling_module", "cProfile")
        self.assertExit(proc, 0)
        profiles = sorted((self.dir.logs / "sys" / "node" / "0").glob("process*.profile"))
        self.assertEqual([p.name for p in profiles], ["process001.profile", "process002.profile"])
        calls = 0
        for path in profiles:
            # marshal, not pstats.Stats: a worker that ran no mini-batch has an empty profile.
            stats = marshal.loads(path.read_bytes())
            calls += sum(c[1] for (file, _, name), c in stats.items() if file.endswith("entry.py") and name == "run")
        self.assertEqual(calls, 12)

    def test_progress_on_a_terminal_is_one_rewritten_line_with_a_bar(self):
        script = shutil.which("script")
        if not script:
            self.skipTest("script(1) is not installed")
        job = self.make_job()
        # 160 columns: room for the whole text beside the bar (80 would cut its tail).
        cmd = "stty cols 160; exec " + shlex.join([PRS, "--run-dir", str(self.dir.run_dir), str(job)])
        # script(1) runs the command on a new pseudo-terminal and copies what it shows.
        proc = subprocess.run([script, "-q", "-e", "-c", cmd, "/dev/null"], cwd=self.dir.root,
                              capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
        shown = proc.stdout.decode(errors="replace")
        self.assertEqual(proc.returncode, 0, shown)
        self.assertIn("\r[", shown)
        self.assertIn("] 10/10 mini-batches, 20/20 items,", shown)
        self.assertIn("[" + "#" * 40 + "]", shown)
        self.assertIn("1 failed (3 failed attempts)", shown)
        self.assertNotIn("prs_mpi progress:", shown)

    def test_progress_without_a_terminal_is_plain_timestamped_lines(self):
        # Two workers, six mini-batches of 4 s: about 12 s, so one periodic line and the final one.
        self.dir.files(6)
        self.dir.script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=1, task_extra="""\
  environment_variables:
    PRS_ITEST_SLEEP: "4"
"""))
        proc = self.prs(job)
        self.assertExit(proc, 0)
        self.assertNotIn("\r", proc.stderr)
        lines = PLAIN_PROGRESS.findall(proc.stderr)
        self.assertGreaterEqual(len(lines), 2, proc.stderr)
        self.assertEqual(lines[-1], ("6", "6", "6", "6", "0"))
        self.assertLess(int(lines[0][0]), 6)
