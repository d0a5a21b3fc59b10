#!/bin/sh
# Downloads the Debian packages the GPU-only device build needs (OpenBLAS for
# the CPU backend, which the cross-backend test compares against, and its
# Fortran runtime) into a folder, for carrying to the device machine, which
# has no registry. Run on the development machine (Debian 12, apt sources
# configured), then name the folder in the device run's `carry`:
#   tests/gpu/fetch_debs.sh .debs        # then: carry [".debs", ...]
# device_check.sh unpacks them with dpkg -x (or ar + tar) into a prefix.
# usage: fetch_debs.sh [folder=.debs]
set -eu
DIR=${1:-.debs}
mkdir -p "$DIR"
cd "$DIR"
rm -f ./*.deb
apt-get download libopenblas0-pthread libopenblas-pthread-dev libgfortran5 libquadmath0
ls -l ./*.deb
du -ch ./*.deb | tail -1
