#!/usr/bin/env bash
# One command for a fresh Debian machine: installs what is missing, builds, and runs the default
# scenario (DeepSeek-V3 on 1,024 x 8 H100 for a simulated week), printing the comparison table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" build -DCKPTLAB_BUILD_TESTS=OFF -DCKPTLAB_BUILD_BENCH=OFF >/dev/null
cd "$root"
exec ./build/cli/ckptlab run scenarios/default.yaml --force "$@"
