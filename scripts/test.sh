#!/usr/bin/env bash
# The one test command: installs what is missing, builds with warnings as errors,
# and runs every unit and integration test (real mpirun included) with CTest.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh" --test
PRS_BUILD_DIR=${PRS_BUILD_DIR:-$here/build} "$here/scripts/build.sh" -DPRS_WERROR=ON
cd "${PRS_BUILD_DIR:-$here/build}"
ctest --output-on-failure --timeout 600 "$@"
