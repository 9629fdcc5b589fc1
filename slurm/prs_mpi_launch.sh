#!/usr/bin/env bash
# Runs prs_mpi inside a Slurm allocation, one rank per task (the sbatch scripts beside
# this file exec it). Slurm's warning signal before the time limit (USR1, see
# --signal in the sbatch scripts) and scancel's TERM are passed to prs_mpi as a graceful
# stop; when prs_mpi stops resumably (exit 75) the job is requeued and, running the same
# command again, resumes from its journal.
#
# Environment: PRS_MPI (the binary; default: prs_mpi on PATH, else the installed one
# beside this script (<prefix>/bin), else $SLURM_SUBMIT_DIR/build/prs_mpi), PRS_LAUNCHER (mpirun | srun, default mpirun),
# PRS_MPIRUN_ARGS (extra mpirun arguments), PRS_REQUEUE (1: requeue on exit 75, default).
set -uo pipefail

installed=$(dirname "${BASH_SOURCE[0]}")/../../../bin/prs_mpi
[[ -x $installed ]] || installed="${SLURM_SUBMIT_DIR:-.}/build/prs_mpi"
prs_mpi=${PRS_MPI:-$(command -v prs_mpi || echo "$installed")}
if [[ $(id -u) -eq 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

case ${PRS_LAUNCHER:-mpirun} in
  mpirun)
    # shellcheck disable=SC2086 # PRS_MPIRUN_ARGS is a list of words
    cmd=(mpirun -np "${SLURM_NTASKS:-1}" --bind-to none ${PRS_MPIRUN_ARGS:-} "$prs_mpi" "$@") ;;
  srun)
    cmd=(srun --mpi=pmix "$prs_mpi" "$@") ;;
  *)
    echo "prs_mpi_launch.sh: PRS_LAUNCHER must be mpirun or srun" >&2
    exit 2 ;;
esac

echo "prs_mpi_launch.sh: ${cmd[*]}" >&2
"${cmd[@]}" &
pid=$!
# mpirun passes USR1 on to every rank; rank 0 then stops dispatching, lets running
# mini-batches finish, commits and exits 75.
trap 'echo "prs_mpi_launch.sh: stop requested, asking prs_mpi to stop resumably" >&2; kill -USR1 "$pid" 2>/dev/null' USR1 TERM
while :; do
  wait "$pid"
  rc=$?
  kill -0 "$pid" 2>/dev/null || break   # wait returned for a trapped signal, not the exit
done

if ((rc == 75)) && [[ ${PRS_REQUEUE:-1} == 1 && -n ${SLURM_JOB_ID:-} ]]; then
  echo "prs_mpi_launch.sh: stopped resumably; requeueing job $SLURM_JOB_ID to resume" >&2
  scontrol requeue "$SLURM_JOB_ID" && exit 0
fi
exit "$rc"
