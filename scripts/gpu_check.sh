#!/usr/bin/env bash
# Every GPU check of the hardware harness in one call, for the GPU machine (CUDA, NCCL, CMake and
# ninja, no apt; ../shared/DEVICE.md). First, on a Debian machine: `bash scripts/gpu_debs.sh`
# (the Debian libraries, into the git-ignored .debs/); then with the `device` tool:
#   run  command: bash scripts/gpu_check.sh   carry: [".debs"]   timeout_s: 600
# It unpacks .debs into /tmp/deb (never into /), builds ckptlab and hw_tests with the CUDA
# backend (SimGrid, MPI and the benchmarks off), runs hw_tests (the CudaBackend.* tests run on
# the device; they skip without one), measures the device with `ckptlab calibrate --backend
# cuda`, validates the default scenario on the GPU with that profile (`validate --backend cuda`)
# and then the host backend on that machine's CPUs (one run per policy, to stay within the call's
# 10 minutes). Everything it prints and writes goes to $OUT (default out/gpu/): gpu_check.log,
# nvidia-smi.txt, hw_tests.json, gpu-measured.yaml, validation-cuda.json, validation-host.json. A failing step is reported and the later ones still
# run; the exit status is that of the first failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/gpu}
mkdir -p "$out"
exec > >(tee "$out/gpu_check.log") 2>&1
cd "$root"
status=0
step() {  # step <name> <command...>: runs it, reports, keeps the first failure's status
  local name=$1
  shift
  echo "== $name =="
  local t0=$SECONDS
  "$@"
  local rc=$?
  echo "== $name: exit $rc, $((SECONDS - t0)) s =="
  if [ "$rc" != 0 ] && [ "$status" = 0 ]; then status=$rc; fi
  return "$rc"
}

deb=${CKPTLAB_DEB_ROOT:-/tmp/deb}
if compgen -G "$root/.debs/*.deb" >/dev/null; then
  mkdir -p "$deb"
  for f in "$root"/.debs/*.deb; do
    if command -v dpkg-deb >/dev/null; then
      dpkg-deb -x "$f" "$deb"
    else  # a .deb is an ar archive holding data.tar.*
      (tmp=$(mktemp -d) && cd "$tmp" && ar x "$f" && tar -xf data.tar.* -C "$deb" && rm -rf "$tmp")
    fi
  done
  lib=$deb/usr/lib/x86_64-linux-gnu
  export PATH=$deb/usr/bin:$PATH
  export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export CMAKE_PREFIX_PATH=$deb/usr
  # Only the unpacked .pc files, their /usr prefix moved under $deb.
  export PKG_CONFIG_LIBDIR=$lib/pkgconfig:$deb/usr/share/pkgconfig
  export PKG_CONFIG_SYSROOT_DIR=$deb
  echo "Debian libraries unpacked into $deb ($(ls "$root"/.debs/*.deb | wc -l) packages)"
else
  echo "no .debs/: using the libraries installed on this machine"
fi

nccl_root=${NCCL_ROOT:-$(python3 -c "import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__))" 2>/dev/null)}
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCKPTLAB_WITH_SIM=OFF
            -DCKPTLAB_BUILD_BENCH=OFF -DCKPTLAB_WITH_MPI=OFF)
if [ -n "$nccl_root" ]; then
  cmake_args+=(-DNCCL_ROOT="$nccl_root")
  export LD_LIBRARY_PATH=$nccl_root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
echo "NCCL wheel: ${nccl_root:-none (CMake looks for NCCL under /usr/local/cuda and the default paths)}"

(command -v nvidia-smi >/dev/null && nvidia-smi || echo "no nvidia-smi") >"$out/nvidia-smi.txt" 2>&1
head -20 "$out/nvidia-smi.txt"

jobs=$(nproc 2>/dev/null || echo 2)
step configure cmake -S "$root" -B "$root/build-gpu" "${cmake_args[@]}" || exit "$status"
step build ninja -C "$root/build-gpu" -j "$jobs" ckptlab hw_tests || exit "$status"
ckptlab=$root/build-gpu/cli/ckptlab
step hw_tests "$root/build-gpu/tests/hw_tests" --gtest_output="json:$out/hw_tests.json"
step calibrate "$ckptlab" calibrate --backend cuda --out "$out/gpu-measured.yaml"
step validate-cuda "$ckptlab" validate --backend cuda scenarios/default.yaml \
  --profile "$out/gpu-measured.yaml" --out "$out/validation-cuda.json"
step validate-host "$ckptlab" validate --backend host scenarios/default.yaml --repeats 1 \
  --out "$out/validation-host.json"
echo "gpu_check: exit $status; files in $out"
exit "$status"
