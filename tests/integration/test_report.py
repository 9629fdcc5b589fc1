"""report.html as a person sees it: rendered by headless Chromium (Debian's, installed by
scripts/install-deps.sh --test), with its charts drawn by the inlined Chart.js, numbers that
are job_summary.json's, and a timeline that shows each attempt's loading and run()."""
import html as html_lib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import PrsTestCase, parallel_job

SCRIPT = """
import time

def init():
    pass

def run(mini_batch):
    time.sleep(0.4)
    if any(p.endswith("f005.txt") for p in mini_batch):
        raise ValueError("bad file f005")
    return list(mini_batch)
"""

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# What headless Chromium needs as root on a machine with no network (see the env notes).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]
# Debian's python3-pil reads the screenshot (the tests' own Python has no PIL).
# A stand-in for nvidia-smi: `-L` lists one GPU; the query form samples as the real one does
# (--loop seconds, --filename), with a utilisation that changes.
FAKE_NVIDIA_SMI = """#!/bin/bash
if [[ $1 == -L ]]; then echo "GPU 0: Fake GPU (UUID: GPU-00000000)"; exit 0; fi
for a; do case $a in --loop=*) loop=${a#--loop=} ;; --filename=*) file=${a#--filename=} ;; esac; done
echo "timestamp, index, utilization.gpu [%], memory.used [MiB], memory.total [MiB]" > "$file"
for ((i = 0; ; i++)); do
  echo "$(date '+%Y/%m/%d %H:%M:%S.%3N'), 0, $((i * 30 % 100)), 1024, 81920" >> "$file"
  sleep "$loop"
done
"""
PIXELS = """
import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("L")
values = list(image.getdata())
print(len(set(values)), sum(1 for v in values if v < 200) / len(values))
"""


class ReportPage(PrsTestCase):
    def run_job(self, env=None):
        self.dir.files(10)
        self.dir.script(SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=1,
                                        task_extra="  program_arguments: --resource_monitor_interval 1"))
        proc = self.prs(job, "--max_retries", "0", env=env)
        self.assertExit(proc, 0)
        return (self.dir.logs / "report.html").read_text()

    def chromium(self, *args):
        profile = tempfile.mkdtemp(prefix="prs_chromium_")
        self.addCleanup(shutil.rmtree, profile, ignore_errors=True)
        page = (self.dir.logs / "report.html").resolve().as_uri()
        return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page],
                              capture_output=True, text=True, timeout=120)

    def page_data(self, html):
        block = re.search(r'<script type="application/json" id="prs-data">(.*?)</script>', html, re.S)
        self.assertIsNotNone(block, "report.html has no data block")
        return json.loads(block.group(1))

    def test_rendered_page_draws_its_charts_from_the_summary_numbers(self):
        html = self.run_job()
        summary = json.loads((self.dir.logs / "job_summary.json").read_text())
        data = self.page_data(html)
        for key in ("result", "mini_batches", "items", "rows_written"):
            self.assertEqual(data[key], summary[key], key)
        self.assertEqual(data["mini_batches"]["failed"], 1)
        self.assertEqual(sorted(data["charts"]), ["cpu", "memory", "throughput"])
        self.assertTrue(data["charts"]["cpu"]["lines"][0]["points"], "no CPU samples drawn")
        self.assertNotRegex(html, r"<script[^>]* src=")  # Chart.js is inlined, the page stays one file

        dom = self.chromium("--dump-dom")
        self.assertEqual(dom.returncode, 0, dom.stderr)
        self.assertIn('data-charts="3"', dom.stdout, "Chart.js did not draw the three charts")

        shot = self.dir.root / "report.png"
        r = self.chromium("--window-size=1280,1600", f"--screenshot={shot}")
        self.assertEqual(r.returncode, 0, r.stderr)
        levels, dark = subprocess.run(["/usr/bin/python3", "-c", PIXELS, str(shot)], capture_output=True, text=True,
                                      check=True).stdout.split()
        self.assertGreater(int(levels), 20, "the screenshot is blank")
        self.assertGreater(float(dark), 0.01, "the screenshot is blank")

    def test_timeline_splits_attempts_into_loading_and_run_with_details_and_log_links(self):
        html = self.run_job()
        attempts = re.findall(r'<g class="attempt"><title>(.*?)</title><a href="([^"]+)">'
                              r'<rect class="load" [^>]*/><rect class="run" [^>]*/></a></g>', html, re.S)
        self.assertEqual(len(attempts), 10)
        for title, link in attempts:
            title = html_lib.unescape(title)
            self.assertRegex(title, r"^mini-batch \d+, attempt 1: (RUN_DONE|RUN_EXCEPTION)\n"
                                    r"node 0 process\d{3}, [01] of 1 items\n"
                                    r"load \d+\.\d{3} s, run\(\) 0\.[4-9]\d\d s, \d+\.\d{3} s in all\nlog: ")
            self.assertTrue((self.dir.logs / link).is_file(), link)
        self.assertEqual(sum("RUN_EXCEPTION" in t for t, _ in attempts), 1)
        self.assertRegex(html, r"node 0 process\d{3} \(\d+% busy\)")

    def test_gpu_utilisation_is_sampled_by_nvidia_smi_and_drawn(self):
        fake_bin = self.dir.root / "fakebin"
        fake_bin.mkdir()
        smi = fake_bin / "nvidia-smi"
        smi.write_text(FAKE_NVIDIA_SMI)
        smi.chmod(0o755)
        html = self.run_job(env={"PATH": f"{fake_bin}:{os.environ['PATH']}"})
        samples = (self.dir.logs / "perf" / "0" / "gpu_resource_usage.csv").read_text().splitlines()
        self.assertTrue(samples[0].startswith("timestamp, index, utilization.gpu"))
        self.assertGreaterEqual(len(samples), 2, samples)
        gpu = self.page_data(html)["charts"]["gpu"]
        self.assertEqual([l["label"] for l in gpu["lines"]], ["node 0 GPU 0"])
        self.assertEqual(len(gpu["lines"][0]["points"]), len(samples) - 1)
        dom = self.chromium("--dump-dom")
        self.assertIn('data-charts="4"', dom.stdout)
        # The sampler ended with the job.
        left = subprocess.run(["pgrep", "-f", str(smi)], capture_output=True, text=True).stdout
        self.assertEqual(left, "", "nvidia-smi outlived the job")

    def test_without_the_chart_library_the_charts_are_svg(self):
        html = self.run_job(env={"PRS_CHART_JS": str(self.dir.root / "absent.js")})
        self.assertNotIn("<canvas", html)
        self.assertEqual(re.findall(r"<script(?: [^>]*)?>", html), ['<script type="application/json" id="prs-data">'])
        for chart in ("throughput", "cpu", "memory"):
            self.assertRegex(html, rf'(?s)<svg class="{chart}"[^>]*>\n.*?<polyline ', chart)
