"""What a user sees when something is wrong: exit codes 2 and 42, messages, logs."""
from harness import PrsTestCase, parallel_job, PRS
import subprocess

OK_SCRIPT = """
def init():
    pass
def run(mini_batch):
    return list(mini_batch)
"""


class BadInput(PrsTestCase):
    def test_yaml_syntax_error_exits_2_with_location_and_runs_nothing(self):
        self.dir.files(3).script(OK_SCRIPT)
        job = self.dir.job("type: parallel\ninputs:\n  input_data: [unclosed\n")
        proc = self.prs(job)
        self.assertExit(proc, 2)
        self.assertRegex(proc.stderr, r"job\.yml:\d+:\d+")
        self.assertFalse(self.dir.run_dir.exists(), "a bad job file must not create anything")

    def test_invalid_value_names_key_line_and_fix(self):
        self.dir.files(3).script(OK_SCRIPT)
        job = self.dir.job(parallel_job().replace("timeout: 60", "timeout: soon"))
        proc = self.prs(job)
        self.assertExit(proc, 2)
        self.assertIn("job.yml:", proc.stderr)
        self.assertIn("retry_settings.timeout", proc.stderr)
        self.assertIn("Fix", proc.stderr)
        self.assertFalse(self.dir.run_dir.exists())

    def test_unknown_key_warns_with_closest_key_and_still_runs(self):
        self.dir.files(3).script(OK_SCRIPT)
        job = self.dir.job(parallel_job(extra="mini_batch_error_treshold: 3"))
        proc = self.prs(job)
        self.assertExit(proc, 0)
        self.assertIn("mini_batch_error_treshold", proc.stderr)
        self.assertIn("mini_batch_error_threshold", proc.stderr)

    def test_empty_input_folder_exits_2(self):
        self.dir.script(OK_SCRIPT)
        job = self.dir.job(parallel_job())
        proc = self.prs(job)
        self.assertExit(proc, 2)
        self.assertIn("no files", proc.stderr)
        self.assertFalse((self.dir.run_dir / "outputs").exists())

    def test_bad_job_under_mpirun_exits_2(self):
        self.dir.files(3).script(OK_SCRIPT)
        job = self.dir.job(parallel_job().replace("timeout: 60", "timeout: -4"))
        proc = self.prs(job, np=3)
        self.assertExit(proc, 2)
        self.assertEqual(proc.stderr.count("retry_settings.timeout"), 1, "only rank 0 should report")


class CommandLine(PrsTestCase):
    def test_help_and_version(self):
        out = subprocess.run([PRS, "--help"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertIn("mpirun", out.stdout)
        self.assertIn("--dry-run", out.stdout)
        self.assertIn("42", out.stdout)
        ver = subprocess.run([PRS, "--version"], capture_output=True, text=True)
        self.assertEqual(ver.returncode, 0)
        self.assertRegex(ver.stdout, r"prs_mpi \d+\.\d+")

    def test_unknown_flag_exits_2(self):
        out = subprocess.run([PRS, "--dry-runn", "job.yml"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertIn("--dry-run", out.stderr)

    def test_dry_run_prints_settings_origins_and_count_and_runs_nothing(self):
        self.dir.files(23).script(OK_SCRIPT)
        job = self.dir.job(parallel_job(mini_batch_size=5, task_extra="  program_arguments: --error_threshold 7"))
        proc = self.prs(job, "--dry-run", "--task_overhead_timeout", "99")
        self.assertExit(proc, 0)
        self.assertIn("mini-batches: 5 (23 items)", proc.stdout)
        self.assertRegex(proc.stdout, r"error_threshold.*7.*program_arguments")
        self.assertRegex(proc.stdout, r"task_overhead_timeout.*99.*command line")
        self.assertRegex(proc.stdout, r"timeout.*60.*job\.yml:\d+")
        self.assertFalse(self.dir.run_dir.exists())


class JobFailed(PrsTestCase):
    def test_missing_run_function_fails_42_and_says_why(self):
        self.dir.files(4).script("def init():\n    pass\n")
        job = self.dir.job(parallel_job())
        proc = self.prs(job)
        self.assertExit(proc, 42)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("Job failed", result)
        self.assertIn("run", result)
        self.assertIn("init", result)

    def test_exception_in_every_mini_batch_fails_42_with_grouped_errors(self):
        self.dir.files(6).script("""
            def init():
                pass
            def run(mini_batch):
                raise ValueError("model file is corrupt")
        """)
        job = self.dir.job(parallel_job(mini_batch_size=2))
        proc = self.prs(job)
        self.assertExit(proc, 42)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("NoResultToAppendError", result)
        errors = (self.dir.logs / "job_error.txt").read_text()
        self.assertIn("ValueError: model file is corrupt", errors)
        self.assertIn("9 time(s)", errors)  # 3 mini-batches x 3 attempts
        self.assertEqual(errors.count("Traceback"), 1)
        rows = self.processed()
        self.assertEqual(len(rows), 9)
        self.assertEqual({r["Status"] for r in rows}, {"RUN_EXCEPTION"})
        self.assertEqual(sorted(int(r["Picked Count"]) for r in rows), [1, 1, 1, 2, 2, 2, 3, 3, 3])

    def test_threshold_crossed_under_mpirun_exits_42(self):
        self.dir.files(10).script("""
            import os
            def init():
                pass
            def run(mini_batch):
                if any(p.endswith(("f001.txt", "f002.txt")) for p in mini_batch):
                    raise RuntimeError("bad file")
                return mini_batch
        """)
        job = self.dir.job(parallel_job(mini_batch_size=1, extra="mini_batch_error_threshold: 1"))
        proc = self.prs(job, np=3)
        self.assertExit(proc, 42)
        result = (self.dir.logs / "job_result.txt").read_text()
        self.assertIn("mini_batch_error_threshold", result)
        self.assertIn("2 mini-batches failed", result)
