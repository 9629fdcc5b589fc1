"""Installing as HPC staff do: `cmake --install` into a prefix that is then moved, the Debian
package built by cpack, the Lmod and Environment Modules modulefiles, the man page, bash
completion and `prs_mpi --version` — each used from outside the checkout and the build folder."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness import PRS, SOURCE_DIR

BUILD_DIR = Path(os.environ.get("PRS_BUILD_DIR", Path(PRS).parent))
VERSION = re.search(r"project\(prs_mpi VERSION (\S+)", (SOURCE_DIR / "CMakeLists.txt").read_text()).group(1)
# Debian will not install Environment Modules beside Lmod; install-deps.sh --test unpacks it here.
ENV_MODULES_CMD = Path("/var/cache/prs_mpi/environment-modules/usr/lib/x86_64-linux-gnu/modulecmd.tcl")
LMOD_INIT = Path("/usr/share/lmod/lmod/init/bash")
EXAMPLE_ROWS = len(list((SOURCE_DIR / "scripts" / "example" / "data").rglob("*.txt")))


def clean_env(**extra):
    """An environment that knows nothing of the checkout or the build folder."""
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
           "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_btl_vader_single_copy_mechanism": "none"}
    env.update(extra)
    return env


def run(cmd, cwd=None, env=None, timeout=300):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="prs_install_"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def installed_prefix(self):
        """Installs into one prefix, then moves the tree: nothing in it may name where it was."""
        first = self.tmp / "first"
        r = run(["cmake", "--install", str(BUILD_DIR), "--prefix", str(first)])
        self.assertEqual(r.returncode, 0, r.stderr)
        moved = self.tmp / "opt" / "prs_mpi" / VERSION
        moved.parent.mkdir(parents=True)
        first.rename(moved)
        return moved

    def run_example(self, prefix, name="example", launcher=None):
        """Runs a copy of the installed example job with the installed binary, outside the checkout."""
        job = self.tmp / name
        shutil.copytree(prefix / "share" / "prs_mpi" / "examples" / "word_count", job)
        env = clean_env(PATH=f"{prefix / 'bin'}:/usr/bin:/bin")
        cmd = (launcher or [str(prefix / "bin" / "prs_mpi")]) + ["--run-dir", str(job / "run"), "job.yml"]
        r = run(cmd, cwd=job, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rows = (job / "run" / "outputs" / "scores" / "parallel_run_step.txt").read_text().splitlines()
        self.assertEqual(len(rows), EXAMPLE_ROWS)
        self.assertEqual(len(set(rows)), EXAMPLE_ROWS)
        self.assertTrue(all(re.fullmatch(r"doc\d\d\.txt: \d+ long words", row) for row in rows), rows[:3])
        return r

    def test_moved_install_tree_runs_the_example_and_print_launch(self):
        prefix = self.installed_prefix()
        for path in ["bin/prs_mpi", "libexec/prs_mpi/prs_mpi_worker", "share/prs_mpi/slurm/prs_mpi_cpu.sbatch",
                     "share/prs_mpi/slurm/prs_mpi_gpu.sbatch", "share/prs_mpi/slurm/prs_mpi_launch.sh",
                     "share/prs_mpi/examples/word_count/job.yml", "share/man/man1/prs_mpi.1",
                     "share/bash-completion/completions/prs_mpi", "share/doc/prs_mpi/README.md",
                     "share/prs_mpi/python/mltable/__init__.py",
                     f"share/modulefiles/prs_mpi/{VERSION}", f"share/modulefiles/prs_mpi/{VERSION}.lua"]:
            self.assertTrue((prefix / path).is_file(), path)
        self.assertFalse((prefix / "bin" / "prs_mpi_worker").exists(), "the worker belongs under libexec/")
        self.run_example(prefix)
        r = run([str(prefix / "bin" / "prs_mpi"), "--print-launch", "job.yml"], cwd=self.tmp / "example",
                env=clean_env())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("mpirun -np 2 --map-by ppr:2:node --bind-to none prs_mpi job.yml", r.stdout)
        self.assertIn("sbatch --nodes=1 --ntasks-per-node=2 slurm/prs_mpi_cpu.sbatch job.yml", r.stdout)

    def test_installed_workers_import_the_mltable_stand_in_from_the_tree(self):
        prefix = self.installed_prefix()
        job = self.tmp / "uses_mltable"
        (job / "data").mkdir(parents=True)
        (job / "data" / "a.txt").write_text("a\n")
        (job / "entry.py").write_text("import mltable\ndef init():\n    pass\n"
                                      "def run(mini_batch):\n    return [mltable.__file__ for _ in mini_batch]\n")
        (job / "job.yml").write_text("type: parallel\ninputs:\n  data: {type: uri_folder, path: ./data}\n"
                                     "outputs:\n  out: {type: uri_file, path: ./out.txt}\n"
                                     "input_data: ${{inputs.data}}\ntask:\n  type: run_function\n  code: .\n"
                                     "  entry_script: entry.py\n  append_row_to: ${{outputs.out}}\n")
        r = run([str(prefix / "bin" / "prs_mpi"), "--run-dir", str(job / "run"), "job.yml"], cwd=job, env=clean_env())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        [where] = (job / "out.txt").read_text().splitlines()
        self.assertTrue(where.startswith(str(prefix / "share" / "prs_mpi" / "python")), where)

    def test_installed_sbatch_script_finds_its_launcher_and_prs_mpi(self):
        # Slurm runs a copy of the batch script from its spool folder, with the job's environment:
        # here prs_mpi on PATH (as `module load` gives) and a submit folder that is no checkout.
        prefix = self.installed_prefix()
        spool = self.tmp / "spool"
        spool.mkdir()
        script = spool / "slurm_script"
        shutil.copy(prefix / "share" / "prs_mpi" / "slurm" / "prs_mpi_cpu.sbatch", script)
        job = self.tmp / "submitted"
        r = self.run_example(prefix, "submitted", launcher=["env", f"SLURM_SUBMIT_DIR={job}", "SLURM_NTASKS=2",
                                                             "bash", str(script)])
        self.assertIn(f"mpirun -np 2 --bind-to none {prefix / 'bin' / 'prs_mpi'}", r.stderr)
        # Without prs_mpi on PATH the script says what to do instead of failing obscurely.
        r = run(["bash", str(script), "job.yml"], cwd=job, env=clean_env(SLURM_SUBMIT_DIR=str(job)))
        self.assertEqual(r.returncode, 2)
        self.assertIn("put prs_mpi on PATH (module load prs_mpi) or set PRS_SLURM_DIR", r.stderr)

    def test_man_page_and_version_report(self):
        prefix = self.installed_prefix()
        page = (prefix / "share" / "man" / "man1" / "prs_mpi.1").read_text()
        self.assertIn(f'.TH PRS_MPI "1"', page)
        self.assertIn(f"prs_mpi {VERSION}", page)
        help_text = run([str(prefix / "bin" / "prs_mpi"), "--help"], env=clean_env()).stdout
        # Every option of the real --help is in the page (help2man writes "-" as "\-").
        for option in sorted(set(re.findall(r"--[a-z][a-z_-]+", help_text))):
            self.assertIn(option.replace("-", r"\-"), page, option)
        r = run([str(prefix / "bin" / "prs_mpi"), "--version"], env=clean_env())
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], f"prs_mpi {VERSION}")
        self.assertRegex(r.stdout, r"\ncommit [0-9a-f]{7,}")
        self.assertRegex(r.stdout, r"\nbuild \w+ \(GNU \d+")
        self.assertRegex(r.stdout, r"\nOpen MPI v4\.\d+\.\d+")
        self.assertRegex(r.stdout, r"\nHDF5 1\.\d+\.\d+")
        self.assertRegex(r.stdout, r"\nPython 3\.\d+\.\d+ \(/usr/bin/python3")
        self.assertRegex(r.stdout, r"\nnumpy \d+\.\d+")
        self.assertRegex(r.stdout, r"\npandas \d+\.\d+")

    def test_bash_completion_offers_options_and_job_files(self):
        prefix = self.installed_prefix()
        work = self.tmp / "work"
        (work / "jobs").mkdir(parents=True)
        (work / "job.yml").write_text("type: parallel\n")
        (work / "notes.txt").write_text("")

        def complete(*words):
            line = " ".join(words)
            script = (f"source {prefix}/share/bash-completion/completions/prs_mpi; "
                      f"COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _prs_mpi; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
            r = run(["bash", "-c", script], cwd=work, env=clean_env(PATH=f"{prefix / 'bin'}:/usr/bin:/bin"))
            self.assertEqual(r.returncode, 0, r.stderr)
            return set(r.stdout.split())

        self.assertEqual(complete("prs_mpi", "--dry"), {"--dry-run"})
        self.assertIn("--print-launch", complete("prs_mpi", "--"))
        self.assertEqual(complete("prs_mpi", "--fresh", ""), {"job.yml", "jobs"})

    def test_modulefiles_load_with_lmod_and_environment_modules(self):
        prefix = self.installed_prefix()
        modules = prefix / "share" / "modulefiles"
        self.assertTrue(LMOD_INIT.is_file(), "lmod is missing: scripts/install-deps.sh --test installs it")
        self.assertTrue(ENV_MODULES_CMD.is_file(), "scripts/install-deps.sh --test unpacks Environment Modules")
        shells = {
            "lmod": f"source {LMOD_INIT}; module use {modules}; module load prs_mpi/{VERSION}",
            "environment-modules": f'export MODULEPATH={modules}; eval "$(tclsh {ENV_MODULES_CMD} bash load prs_mpi/{VERSION})"',
        }
        for name, load in shells.items():
            with self.subTest(name):
                r = run(["bash", "-c", f'{load} && command -v prs_mpi && echo "$PRS_SLURM_DIR" && prs_mpi --version'],
                        env=clean_env())
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                lines = r.stdout.splitlines()
                self.assertEqual(lines[0], str(prefix / "bin" / "prs_mpi"))
                self.assertEqual(lines[1], str(prefix / "share" / "prs_mpi" / "slurm"))
                self.assertEqual(lines[2], f"prs_mpi {VERSION}")
                self.assertIn("pandas ", r.stdout)

    def test_debian_package(self):
        packages = self.tmp / "packages"
        r = run(["cpack", "--config", str(BUILD_DIR / "CPackConfig.cmake"), "-B", str(packages)])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        deb = packages / f"prs-mpi_{VERSION}_amd64.deb"
        self.assertTrue(deb.is_file(), sorted(p.name for p in packages.iterdir()))
        self.assertTrue((packages / f"prs-mpi-dbgsym_{VERSION}_amd64.ddeb").is_file(), "no debug-info package")

        info = run(["dpkg-deb", "-I", str(deb)]).stdout
        fields = dict(re.findall(r"^ (\w[\w-]*): (.*)$", info, re.M))
        self.assertEqual(fields["Package"], "prs-mpi")
        self.assertEqual(fields["Version"], VERSION)
        self.assertEqual(fields["Architecture"], "amd64")
        depends = [d.split()[0] for d in fields["Depends"].split(", ")]
        for needed in ["openmpi-bin", "libopenmpi3", "libyaml-cpp0.7", "libfmt9", "libpython3.11",
                       "python3-numpy", "python3-pandas"]:
            self.assertIn(needed, depends)
        self.assertTrue(any(d.startswith("libhdf5-") for d in depends), depends)
        self.assertTrue(any(d.startswith("libboost-program-options") for d in depends), depends)
        self.assertFalse([d for d in depends if d.endswith("-dev") or d in ("cmake", "g++", "help2man")], depends)

        contents = run(["dpkg-deb", "-c", str(deb)]).stdout
        for path in ["./usr/bin/prs_mpi", "./usr/libexec/prs_mpi/prs_mpi_worker", "./usr/share/man/man1/prs_mpi.1",
                     f"./usr/share/modulefiles/prs_mpi/{VERSION}.lua", "./usr/share/prs_mpi/slurm/prs_mpi_cpu.sbatch",
                     "./usr/share/prs_mpi/examples/word_count/job.yml"]:
            self.assertIn(path, contents)

        root = self.tmp / "root"
        self.assertEqual(run(["dpkg-deb", "-x", str(deb), str(root)]).returncode, 0)
        binary = root / "usr" / "bin" / "prs_mpi"
        sections = run(["readelf", "-S", str(binary)]).stdout
        self.assertNotIn(".debug_info", sections, "the packaged binary is not stripped")
        self.assertIn(".gnu_debuglink", sections)
        self.run_example(root / "usr", "from_deb")


if __name__ == "__main__":
    unittest.main()
