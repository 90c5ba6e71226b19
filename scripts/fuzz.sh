#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) in build-fuzz/ and runs each
# for a bounded time. Exits 1 when any target found a crash, a sanitizer report, an uncaught
# exception, a timeout or an out-of-memory; the inputs are kept in build-fuzz/artifacts/<target>/
# (copy them to tests/data/fuzz-regressions/<target>/ once understood: ctest replays them).
#
#   scripts/fuzz.sh [target...]        default: every target in fuzz/
#   CKPTLAB_FUZZ_SECONDS=600 scripts/fuzz.sh scenario_fuzzer   a longer run (docs/fuzzing.md)
#
# Environment: CKPTLAB_FUZZ_SECONDS (per target, default 60), CKPTLAB_FUZZ_BUILD (build
# directory, default build-fuzz), CKPTLAB_FUZZ_FLAGS (extra libFuzzer flags, e.g. -seed=1).
# CKPTLAB_FUZZ_RUNS=N instead runs N inputs per target in one process with a fixed seed
# (CKPTLAB_FUZZ_SEED, default 1): the same tree then fuzzes the same inputs on every machine,
# so CI's verdict does not depend on how fast the machine was (scripts/test.sh does this).
# "target=N target=N ..." gives each target its own count (the readers differ 100-fold in speed).
# The corpus grows in build-fuzz/corpus/<target>/ and is reused by the next run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CKPTLAB_FUZZ_BUILD:-$root/build-fuzz}
seconds=${CKPTLAB_FUZZ_SECONDS:-60}
jobs=$(nproc 2>/dev/null || echo 2)
all_targets=(scenario_fuzzer trace_fuzzer hardware_fuzzer model_fuzzer)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (scripts/setup.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi

echo "== build fuzz targets (clang, libFuzzer, ASan + UBSan) =="
mkdir -p "$build"
# Only core and the fuzz targets: the CLI, SimGrid, CUDA, tests and benchmarks are not fuzzed.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DCKPTLAB_FUZZ=ON -DCKPTLAB_BUILD_TESTS=OFF \
  -DCKPTLAB_BUILD_BENCH=OFF -DCKPTLAB_WITH_SIM=OFF -DCKPTLAB_WITH_CUDA=OFF \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

# Seeds per target, one directory a line: the shipped files of its format and the bad-input
# catalog. The real traces are long; their first 200 lines carry every feature of the format and
# keep mutations fast.
seeds_for() {
  case "$1" in
    scenario_fuzzer) printf '%s\n' "$root/scenarios" "$root/tests/data/bad" ;;
    trace_fuzzer)
      local heads="$build/seeds/trace_fuzzer"
      mkdir -p "$heads"
      for f in "$root"/data/traces/*.csv; do head -n 200 "$f" >"$heads/$(basename "$f")"; done
      printf '%s\n' "$heads" "$root/tests/data/bad/include/traces" ;;
    hardware_fuzzer) printf '%s\n' "$root/scenarios/hardware" "$root/tests/data/bad/include" ;;
    model_fuzzer) printf '%s\n' "$root/models" "$root/tests/data/bad/include" ;;
    *) echo "fuzz: unknown target $1 (known: ${all_targets[*]})" >&2; exit 1 ;;
  esac
}

status=0
summary=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t" artifacts="$build/artifacts/$t" log="$build/$t.log"
  mkdir -p "$corpus" "$artifacts"
  mapfile -t seeds < <(seeds_for "$t")
  # Findings of this run are the artifacts written after this stamp (libFuzzer rewrites a known
  # input's file when it fails again, so a bug that is still there counts every time).
  touch "$build/$t.stamp"
  dict=()
  [ -f "$root/fuzz/$t.dict" ] && dict=(-dict="$root/fuzz/$t.dict")
  # Fork mode with -ignore_*: a finding does not end the run, so one known bug cannot hide the
  # others in the time budget; every failing input still lands in $artifacts (inputs of the
  # seed corpus that already fail are written there first, before any fuzzing).
  runs=${CKPTLAB_FUZZ_RUNS:-}
  if [[ "$runs" == *=* ]]; then
    runs=$(tr ' ' '\n' <<<"$runs" | sed -n "s/^$t=//p")
    [ -n "$runs" ] || { echo "fuzz: CKPTLAB_FUZZ_RUNS gives no count for $t" >&2; exit 1; }
  fi
  if [ -n "$runs" ]; then
    mode=(-runs="$runs" -seed="${CKPTLAB_FUZZ_SEED:-1}")
    echo "== fuzz $t: $runs inputs, seed ${CKPTLAB_FUZZ_SEED:-1} =="
  else
    mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$seconds")
    echo "== fuzz $t for ${seconds}s =="
  fi
  # shellcheck disable=SC2086  # CKPTLAB_FUZZ_FLAGS is a list of flags
  "$build/fuzz/$t" "${mode[@]}" -timeout=30 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -artifact_prefix="$artifacts/" "${dict[@]}" ${CKPTLAB_FUZZ_FLAGS:-} \
    "$corpus" "${seeds[@]}" >"$log" 2>&1 || { echo "fuzz: $t exited $? (log: $log)" >&2; status=1; }
  # The last status line ("#N: cov: ..." in fork mode, "#N DONE cov: ..." otherwise) carries
  # the number of executions.
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
  mapfile -t new < <(find "$artifacts" -type f -newer "$build/$t.stamp" | sort)
  found=${#new[@]}
  summary+=("$t: ${execs:-0} executions, corpus $(find "$corpus" -type f | wc -l) inputs, $found failing inputs")
  if [ "$found" -gt 0 ]; then
    status=1
    echo "fuzz: $t: $found failing inputs (log: $log); reproduce with $build/fuzz/$t <file>:" >&2
    printf '  %s\n' "${new[@]}" >&2
  fi
done
echo "== fuzz summary =="
printf '  %s\n' "${summary[@]}"
exit "$status"
