#!/usr/bin/env bash
# Installs the Debian packages prs_mpi needs to build, run and test. Idempotent: when
# everything is already there it asks apt nothing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  openmpi-bin libopenmpi-dev libhdf5-dev libyaml-cpp-dev pybind11-dev libfmt-dev zlib1g-dev
  libboost-program-options-dev libgtest-dev libgmock-dev
  python3 python3-dev python3-numpy python3-pandas
  help2man file  # the man page, generated from --help; file: cpack's package step
  libjs-chart.js  # report.html's charts, inlined when the report is written
)
case "${1:-}" in
  # procps: pgrep/pkill in fault-injection tests; Slurm and munge: the real-cluster test.
  # lmod: the modulefiles' test (Environment Modules, which Debian will not install beside
  # Lmod, is unpacked below).
  # chromium, fonts, python3-pil: report.html rendered and its screenshot checked.
  # clang-format-14: scripts/format.sh --check.
  --test) packages+=(procps slurm-wlm munge lmod tcl chromium fonts-dejavu-core python3-pil clang-format-14) ;;
  # the peers bench/run.sh compares with
  --bench) packages+=(python3-mpi4py parallel python3-sklearn python3-dask python3-distributed) ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Environment Modules' modulecmd.tcl, unpacked where the modulefiles' test looks for it.
unpack_environment_modules() {
  local dir=/var/cache/prs_mpi/environment-modules
  [[ -f $dir/usr/lib/x86_64-linux-gnu/modulecmd.tcl ]] && return 0
  echo "install-deps: unpacking environment-modules into $dir" >&2
  mkdir -p "$dir" && (cd "$dir" && apt-get -o DPkg::Lock::Timeout=900 download environment-modules 2>/dev/null &&
    dpkg-deb -x environment-modules_*.deb . && rm -f environment-modules_*.deb)
}

if ((${#missing[@]} == 0)); then
  [[ ${1:-} != --test ]] || unpack_environment_modules
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=900 update -q
$sudo apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}"
[[ ${1:-} != --test ]] || unpack_environment_modules
