#!/usr/bin/env bash
# Runs the whole test suite (every label: unit, mpi, reference, e2e, slurm).
# Usage: scripts/test.sh [ctest args, e.g. -L unit]
set -euo pipefail
cd "$(dirname "$0")/.."
DRL_CMAKE_ARGS="-DDRL_WERROR=ON ${DRL_CMAKE_ARGS:-}" scripts/setup.sh
cd build
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
ctest --output-on-failure -j 2 "$@"
