#!/usr/bin/env bash
# The one test command: installs what is missing, checks the formatting
# (scripts/format.sh --check), builds with warnings as errors, and runs every unit and
# integration test (real mpirun included) with CTest. Then the
# unit tests once more under AddressSanitizer and UBSan (build-asan/; only that target,
# the integration tests would take too long instrumented), and the committer thread's
# tests under ThreadSanitizer (build-tsan/) with PRS_TSAN=1. PRS_SANITIZE=0 skips both.
# The instrumented folders are Debug (-O0 -g, assertions on): GCC compiles ASan+UBSan code at
# -O2 about five times slower, which made that build a third of the whole command.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh" --test
"$here/scripts/format.sh" --check
PRS_BUILD_DIR=${PRS_BUILD_DIR:-$here/build} "$here/scripts/build.sh" -DPRS_WERROR=ON
(cd "${PRS_BUILD_DIR:-$here/build}" && ctest --output-on-failure --timeout 600 "$@")

[[ ${PRS_SANITIZE:-1} == 0 ]] && exit 0
# ccache, when there is one, keeps a rebuild of an instrumented folder to its changed files.
launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
sanitized_unit_tests() {  # <build dir> <-fsanitize list> [gtest arguments]
    local dir=$1 sanitize=$2
    shift 2
    cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DPRS_WERROR=ON -DPRS_SANITIZE="$sanitize" \
          "${launcher[@]}" >/dev/null
    cmake --build "$dir" -j "$(nproc)" --target prs_unit_tests
    "$dir/tests/prs_unit_tests" --gtest_brief=1 "$@"
}
# Workers started by the tests never finalise their CPython: what it holds is not reported
# (tests/sanitizers/lsan.supp).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/tests/sanitizers/lsan.supp} \
    sanitized_unit_tests "${PRS_ASAN_BUILD_DIR:-$here/build-asan}" address,undefined
if [[ ${PRS_TSAN:-0} == 1 ]]; then
    TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1} \
        sanitized_unit_tests "${PRS_TSAN_BUILD_DIR:-$here/build-tsan}" thread --gtest_filter='Committer.*:Journal*'
fi
