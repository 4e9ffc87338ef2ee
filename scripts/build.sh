#!/usr/bin/env bash
# Configures and builds mhad into ./build (Release with debug info).
# MHA_WERROR=ON turns warnings into errors (CI sets it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$root/build" -DMHA_WERROR="${MHA_WERROR:-OFF}" >/dev/null
cmake --build "$root/build" -j "$jobs"
