#!/usr/bin/env bash
# mpirun.sh — runs `mpirun -np N ARGS...` the way the executor tests need on a 2-core machine:
# as root if need be, oversubscribed, one OpenBLAS thread per rank.
set -euo pipefail
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
# Open MPI's default busy-polling would make oversubscribed ranks steal each other's cores.
export OMPI_MCA_mpi_yield_when_idle=1
np=$1
shift
exec mpirun --oversubscribe --bind-to none -np "$np" "$@"
