#!/usr/bin/env bash
# Configures and builds mhad into ./build (Release with debug info).
# Warnings are errors (MHA_WERROR=ON) unless MHA_WERROR=OFF is given.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$root/build" -DMHA_WERROR="${MHA_WERROR:-ON}" >/dev/null
cmake --build "$root/build" -j "$jobs"
