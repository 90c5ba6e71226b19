#!/usr/bin/env bash
# Downloads, on a Debian machine, the Debian packages the GPU build needs and the GPU machine
# lacks (it has CUDA, NCCL, CMake and ninja, no apt: ../shared/DEVICE.md) into .debs/ (git-ignored),
# for scripts/gpu_check.sh to unpack there: `device` carries .debs with the working tree.
# The hw build needs the core's libraries (yaml-cpp, fmt, nlohmann-json, Boost.Program_options,
# xxHash, libyaml), GoogleTest for hw_tests, and pkgconf to find xxHash and libyaml; SimGrid, MPI
# and Google Benchmark stay off there. About 25 MB.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
packages=(
  libyaml-cpp-dev libyaml-cpp0.7 libyaml-dev libyaml-0-2
  libfmt-dev libfmt9 nlohmann-json3-dev
  libboost1.74-dev libboost-program-options1.74-dev libboost-program-options1.74.0
  libxxhash-dev libxxhash0
  libgtest-dev libgmock-dev
  pkgconf pkgconf-bin libpkgconf3
)
mkdir -p "$root/.debs"
cd "$root/.debs"
rm -f ./*.deb
apt-get download "${packages[@]}"
du -sh "$root/.debs"
