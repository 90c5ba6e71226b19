#!/usr/bin/env bash
# One command for a fresh Debian machine: installs what is missing, builds everything and runs
# the whole test suite with ctest, then runs it again built with AddressSanitizer and
# UndefinedBehaviorSanitizer (in its own build directory), then fuzzes the input readers
# with a fixed seed and input count (scripts/fuzz.sh, clang + libFuzzer). Exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
"$root/scripts/setup.sh"

echo "== build (RelWithDebInfo) =="
"$root/scripts/build.sh" build
echo "== tests =="
ctest --test-dir "$root/build" --output-on-failure -j "$jobs"

if [ "${CKPTLAB_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== build (ASan + UBSan) =="
  "$root/scripts/build.sh" build-asan -DCKPTLAB_SANITIZE=ON -DCKPTLAB_BUILD_BENCH=OFF \
    -DCKPTLAB_WITH_CUDA=OFF
  echo "== tests under ASan + UBSan =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure -j "$jobs"
fi

# The fuzz smoke: a fixed number of inputs per target from a fixed seed (CKPTLAB_FUZZ_RUNS),
# sized to about a minute per target here, and the same inputs on every machine, so the verdict
# does not depend on the machine's speed; CKPTLAB_SKIP_FUZZ=1 skips it; docs/fuzzing.md
# describes a longer campaign.
fuzz_runs="scenario_fuzzer=60000 trace_fuzzer=1000000 hardware_fuzzer=400000 model_fuzzer=400000"
if [ "${CKPTLAB_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzz smoke (clang, libFuzzer, ASan + UBSan) =="
  CKPTLAB_FUZZ_RUNS=${CKPTLAB_FUZZ_RUNS:-$fuzz_runs} "$root/scripts/fuzz.sh"
fi
