#!/bin/sh
# Checks a systemd unit with `systemd-analyze verify`, treating every line it
# prints about the unit (warnings included) as a failure.
#
#   tests/verify_systemd_unit.sh UNIT_FILE MHAD_BINARY
#
# verify insists that ExecStart's binary exists, and /usr/sbin/mhad is not
# installed on a build machine: the unit is checked as a copy whose ExecStart
# runs MHAD_BINARY (the one just built) with the same arguments.
# Exit: 0 clean, 1 problems (printed), 2 bad arguments, 77 no systemd-analyze
# (CTest's SKIP_RETURN_CODE). Works without systemd as PID 1.
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 UNIT_FILE MHAD_BINARY" >&2
    exit 2
fi
unit=$1
binary=$2

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd-analyze not found, skipping the unit check"
    exit 77
fi
if [ ! -f "$unit" ]; then
    echo "$0: unit file '$unit' not found" >&2
    exit 2
fi
case $binary in
    /*) ;;
    *) binary=$(pwd)/$binary ;;
esac
if [ ! -x "$binary" ]; then
    echo "$0: '$binary' is not an executable file" >&2
    exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
name=$(basename "$unit")
copy=$tmp/$name

# Replace ExecStart's program (after any of systemd's prefix characters
# -@:+!), keep its arguments. awk, not sed, and the path quoted for systemd
# (\ " % escaped), so that a build directory with spaces or % works; systemd
# itself refuses an executable whose path holds a backslash or a quote.
BINARY=$binary awk '
    BEGIN {
        path = ENVIRON["BINARY"]
        gsub(/\\/, "\\\\", path)
        gsub(/"/, "\\\"", path)
        gsub(/%/, "%%", path)
        path = "\"" path "\""
    }
    /^ExecStart=/ {
        rest = substr($0, length("ExecStart=") + 1)
        match(rest, /^[-@:+!]*/)
        prefix = substr(rest, 1, RLENGTH)
        rest = substr(rest, RLENGTH + 1)
        sub(/^[^ \t]+/, "", rest)
        print "ExecStart=" prefix path rest
        next
    }
    { print }
' "$unit" >"$copy"

if ! grep -q '^ExecStart=' "$copy"; then
    echo "$0: '$unit' has no ExecStart=" >&2
    exit 1
fi

# --man=no: the man pages are not installed where this runs.
# Other units (network-online.target, ...) may draw remarks about themselves;
# only lines naming this unit count.
set +e
output=$(cd "$tmp" && systemd-analyze verify --man=no "$copy" 2>&1)
status=$?
set -e
problems=$(printf '%s\n' "$output" | grep -F -e "$name" -e "$tmp" || true)

if [ -n "$problems" ] || [ $status -ne 0 ]; then
    echo "systemd-analyze verify $unit (exit $status):"
    printf '%s\n' "$output"
    exit 1
fi
echo "$unit: systemd-analyze verify is clean"
exit 0
