#!/usr/bin/env bash
# Builds and runs the unit tests under sanitizers, each kind in a build
# directory of its own (never ./build):
#   scripts/sanitize.sh asan   every unit test under ASan + UBSan (build-asan/)
#   scripts/sanitize.sh tsan   the event loop, worker pool and control server
#                              tests (mha_loop_tests), then DaemonApp and
#                              ClusterMonitor over the fakes (mha_app_tests:
#                              about 70 s more to build cold on 2 cores,
#                              5 s to run) under TSan (build-tsan/)
# Only the test binaries are built. Extra arguments go to each test binary (a
# Catch2 test name or "[tag]"). Exits non-zero on a failed test or on any
# sanitizer report: reports stop the program (-fno-sanitize-recover=all).
# GCC, the project's compiler: its sanitizers symbolize stacks themselves.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:-}
case "$kind" in
  asan) sanitize="address;undefined" targets=(mha_unit_tests) ;;
  tsan) sanitize="thread" targets=(mha_loop_tests mha_app_tests) ;;
  *) echo "usage: $0 asan|tsan [test-name-or-tag ...]" >&2; exit 2 ;;
esac
shift
dir="$root/build-$kind"
start=$(date +%s)

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# -O1 and line tables only: sanitizer stacks keep file:line, and the build
# (the larger part of this script's time) stays short.
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" \
  -DMHA_SANITIZE="$sanitize" "${launcher[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}"
built=$(date +%s)

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
for target in "${targets[@]}"; do "$dir/$target" "$@"; done
echo "sanitize.sh $kind: built in $(( built - start )) s, tests ran in $(( $(date +%s) - built )) s"
