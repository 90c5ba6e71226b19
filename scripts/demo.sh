#!/usr/bin/env bash
# One command for a fresh Debian machine: installs what is missing, builds, runs the default
# scenario (DeepSeek-V3 on 1,024 x 8 H100 for a simulated week), printing the comparison table,
# and writes its report (report.html, self-contained, and report.md with the plots beside it).
# Arguments go to `ckptlab run` (e.g. --replications 8, or --out DIR: the report follows it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" build -DCKPTLAB_BUILD_TESTS=OFF -DCKPTLAB_BUILD_BENCH=OFF >/dev/null
cd "$root"
results=results/default
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  case "${args[i]}" in
    --out | -o) results=${args[i + 1]:-$results} ;;
    --out=*) results=${args[i]#--out=} ;;
  esac
done
./build/cli/ckptlab run scenarios/default.yaml --force "$@"
echo
./build/cli/ckptlab report "$results"
case "$results" in /*) where=$results ;; *) where=$root/$results ;; esac
echo "report of the default scenario: $where/report.html (one file, plots included; open it in a" \
  "browser) and $where/report.md"
