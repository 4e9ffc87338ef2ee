#!/usr/bin/env bash
# README command (b): install every dependency, build, run every test (unit,
# systemd unit check, integration against a real MariaDB + sshd sandbox),
# then the sanitizer runs and the fuzz targets (scripts/sanitize.sh, fuzz.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
start=$(date +%s)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure --timeout 1800 "$@"
# Sanitizers, each in its own build directory: the unit tests under ASan+UBSan,
# the loop/pool/control-socket tests under TSan, every fuzz target for 30 s.
"$root/scripts/sanitize.sh" asan
"$root/scripts/sanitize.sh" tsan
"$root/scripts/fuzz.sh" 30
echo "test.sh: finished in $(( $(date +%s) - start )) s"
