#!/usr/bin/env bash
# Installs the Debian packages prs_mpi needs to build, run and test. Idempotent: when
# everything is already there it asks apt nothing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  openmpi-bin libopenmpi-dev libhdf5-dev libyaml-cpp-dev pybind11-dev libfmt-dev zlib1g-dev
  libboost-program-options-dev libgtest-dev libgmock-dev
  python3 python3-dev python3-numpy python3-pandas
)
case "${1:-}" in
  # procps: pgrep/pkill in fault-injection tests; Slurm and munge: the real-cluster test.
  --test) packages+=(procps slurm-wlm munge) ;;
  # the peers bench/run.sh compares with
  --bench) packages+=(python3-mpi4py parallel) ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=900 update -q
$sudo apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}"
