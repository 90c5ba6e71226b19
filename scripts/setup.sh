#!/usr/bin/env bash
# Installs what ckptlab needs from Debian bookworm, and nothing that is already there.
# Idempotent and silent when everything is present. Runs apt as root, or through sudo.
set -euo pipefail

packages=(
  cmake g++ ninja-build pkg-config git
  libyaml-cpp-dev libyaml-dev libboost-program-options-dev libfmt-dev nlohmann-json3-dev libxxhash-dev
  libboost-dev  # Boost.Math headers: distributions, erfc, brent_find_minima (failure fits)
  libsimgrid-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev   # the fuzz smoke (scripts/fuzz.sh): clang++ and libFuzzer
  libopenmpi-dev openmpi-bin
  python3 python3-matplotlib python3-yaml
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
