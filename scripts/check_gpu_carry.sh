#!/usr/bin/env bash
# Checks, on a Debian machine, that scripts/gpu_check.sh builds from the carried .debs alone, as it
# must on the GPU machine (no apt there): inside a private mount namespace it hides this machine's
# copies of every carried library (headers, shared and static libraries, CMake configs, .pc files,
# pkg-config itself) behind empty mounts, then runs gpu_check.sh on a clean clone of HEAD with
# .debs copied in. Needs root (unshare --mount) and `bash scripts/gpu_debs.sh` first. Nothing
# outside the namespace changes; the clone and $OUT (default /tmp/gpu-carry-out) stay for a look.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" != --inside ]; then
  compgen -G "$root/.debs/*.deb" >/dev/null || { echo "no .debs/: run scripts/gpu_debs.sh" >&2; exit 2; }
  clone=$(mktemp -d /tmp/gpu-carry.XXXXXX)
  git clone -q "$root" "$clone/src"
  cp -r "$root/.debs" "$clone/src/"
  exec unshare --mount --propagation private "$clone/src/scripts/check_gpu_carry.sh" --inside
fi
L=/usr/lib/x86_64-linux-gnu
hide() {
  for p in "$@"; do
    [ -e "$p" ] || continue
    if [ -d "$p" ]; then mount -t tmpfs none "$p"; else mount --bind /dev/null "$p"; fi
  done
}
hide /usr/include/yaml-cpp /usr/include/fmt /usr/include/nlohmann /usr/include/boost \
  /usr/include/gtest /usr/include/gmock /usr/include/xxhash.h /usr/include/xxh3.h /usr/include/yaml.h
hide "$L"/cmake/yaml-cpp "$L"/cmake/fmt "$L"/cmake/GTest "$L"/cmake/Boost-1.74.0 \
  "$L"/cmake/boost_program_options-1.74.0 "$L"/cmake/BoostDetectToolset-1.74.0.cmake \
  /usr/share/cmake/nlohmann_json
hide "$L"/libyaml-cpp.so* "$L"/libfmt.so* "$L"/libboost_program_options* "$L"/libxxhash* \
  "$L"/libyaml-0.so* "$L"/libyaml.so "$L"/libyaml.a "$L"/libgtest* "$L"/libgmock*
hide "$L"/pkgconfig/libxxhash.pc "$L"/pkgconfig/yaml-0.1.pc "$L"/pkgconfig/yaml-cpp.pc \
  "$L"/pkgconfig/fmt.pc /usr/bin/pkg-config /usr/bin/pkgconf /usr/bin/x86_64-linux-gnu-pkg-config
echo "check_gpu_carry: system copies hidden ($(ls /usr/include/boost | wc -l) Boost headers left)"
OUT=${OUT:-/tmp/gpu-carry-out} exec bash "$root/scripts/gpu_check.sh"
