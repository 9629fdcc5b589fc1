#!/usr/bin/env bash
# One command for the benchmark harness (bench/README.md): installs the peers if missing
# (python3-mpi4py, GNU parallel, python3-sklearn, python3-dask, python3-distributed; idempotent:
# asks apt nothing when they are there), builds prs_mpi, its worker, bench_rows and
# bench_orchestrator (scripts/build.sh's configuration), prints rank 0's figures by simulation
# (bench_orchestrator, 1 M mini-batches; 10 M with PRS_BENCH_ORCHESTRATOR_FULL=1), runs
# bench/peers.py and writes bench/results.svg.
#   bench/run.sh                     full run (~10-12 min on 2 cores, a 1 GB CSV among the inputs)
#   PRS_BENCH_QUICK=1 bench/run.sh   smaller inputs (~4 min)
# Extra arguments go to bench/peers.py (e.g. --only noop,sleep --keep).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh" --bench
build=${PRS_BUILD_DIR:-$here/build}
# the configuration scripts/build.sh uses; only the targets the bench runs (not the tests)
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target prs_mpi prs_mpi_worker bench_rows bench_orchestrator >/dev/null
# the orchestrator's own log lines go to stderr; its table to stdout
"$build/bench/bench_orchestrator" ${PRS_BENCH_ORCHESTRATOR_FULL:+--full} 2>/dev/null
exec /usr/bin/python3 "$here/bench/peers.py" --prs "$build/prs_mpi" "$@"
