#!/usr/bin/env bash
# scripts/fuzz.sh SECONDS [TARGET ...]: builds the libFuzzer targets of
# tests/fuzz/ with ASan + UBSan (Clang, build-fuzz/) and runs each for
# SECONDS, one after the other, starting from its seed corpus
# tests/fuzz/corpus/TARGET/ (read only; what a run finds is kept in
# build-fuzz/corpus/TARGET/ for the next run). Prints one line per target:
#   TARGET  runs  execs/s  result
# and exits non-zero when any target crashed, leaked, hung (10 s on one
# input), ran out of memory or made a sanitizer report; the input that did
# it is saved under build-fuzz/artifacts/TARGET/ and the log is kept.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-}
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 SECONDS [TARGET ...]   (targets: $(ls "$root/tests/fuzz/corpus" | tr '\n' ' '))" >&2
  exit 2
fi
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then mapfile -t targets < <(ls "$root/tests/fuzz/corpus"); fi
dir="$root/build-fuzz"

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
CC=clang CXX=clang++ cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" \
  -DMHA_SANITIZE="address;undefined" -DMHA_FUZZ=ON "${launcher[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

# Config key names as a libFuzzer dictionary, from the every-key fixture, so
# that mutations spell keys the loader knows.
grep -oE '^[a-z_]+ =' "$root/tests/fixtures/effective_config_every_key.toml" | sort -u |
  sed -E 's/^([a-z_]+) =$/"\1"/' > "$dir/config.dict"

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && command -v llvm-symbolizer-14 >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer-14)
fi

failed=0
printf '%-16s %12s %10s  %s\n' target runs execs/s result
for t in "${targets[@]}"; do
  corpus="$dir/corpus/$t" artifacts="$dir/artifacts/$t" log="$dir/fuzz-$t.log"
  mkdir -p "$corpus" "$artifacts"
  dict=()
  if [ -f "$dir/$t.dict" ]; then dict=(-dict="$dir/$t.dict"); fi
  status=0
  "$dir/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dict[@]}" "$corpus" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ "$status" -eq 0 ]; then
    result=ok
  else
    failed=1
    what=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-zA-Z -]+|runtime error: .*|fuzz property failed: .*' "$log" || true)
    result="FAILED (exit $status${what:+: $what}); log $log, input in $artifacts/"
  fi
  printf '%-16s %12s %10s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "$result"
done
exit "$failed"
