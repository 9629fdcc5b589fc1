#!/usr/bin/env bash
# Installs what is missing, builds, and runs the example job (scripts/example/job.yml)
# on this machine with no launcher, then the example pipeline (scripts/example/pipeline.yml:
# a command step, that parallel step, a command step), and shows where outputs and logs are.
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
echo
"$here/build/prs_mpi" --run-dir "$here/prs_runs/example_pipeline" --datastore-root "$here/prs_datastores" \
    scripts/example/pipeline.yml
echo
echo "== the pipeline's last step wrote $here/prs_datastores/workspaceblobstore/total/total.txt:"
cat "$here/prs_datastores/workspaceblobstore/total/total.txt"
echo "== its steps' logs: $here/prs_runs/example_pipeline/<step>/logs (summary: $here/prs_runs/example_pipeline/logs/job_result.txt)"
