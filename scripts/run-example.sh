#!/usr/bin/env bash
# Installs what is missing, builds, and runs the example job (scripts/example/job.yml)
# on this machine with no launcher, then shows where the output and logs are.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh"
cd "$here"
"$here/build/prs_mpi" --run-dir "$here/prs_runs/example" scripts/example/job.yml
echo
echo "== first lines of the output file:"
head -n 5 "$here/prs_runs/example/outputs/scores/parallel_run_step.txt"
echo "== logs: $here/prs_runs/example/logs (start with job_result.txt)"
