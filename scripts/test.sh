#!/usr/bin/env bash
# README command (b): install every dependency, build, run every test (unit,
# systemd unit check, integration against a real MariaDB + sshd sandbox).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
start=$(date +%s)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure --timeout 1800 "$@"
echo "test.sh: finished in $(( $(date +%s) - start )) s"
