#!/usr/bin/env bash
# Installs every Debian package drl_hpc needs (idempotent, no prompts) and
# builds the project into build/. Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config git clang clang-format libclang-rt-14-dev
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
  libconfig-dev libcmocka-dev libopenblas-dev
  # oneDNN: run.precision = "bf16" on the CPU (optional: without it the
  # build has no bf16 CPU products and says so)
  libdnnl-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg
  libpcre2-dev libutf8proc-dev zlib1g-dev libzip-dev libcjson-dev libcairo2-dev
  python3 python3-torch python3-numpy python3-h5py python3-pil python3-regex
  slurm-wlm munge
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[ "${1:-}" = "--no-build" ] && exit 0
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${DRL_CMAKE_ARGS:-}
cmake --build build -j "$(nproc)"
