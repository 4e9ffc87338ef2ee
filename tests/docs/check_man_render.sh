#!/usr/bin/env bash
# Each man page renders with `man -l` (man-db, as a user reads it) without a
# single warning from groff, all warning categories on (--warnings=w, i.e.
# groff -ww), and has the sections a reader looks for.
# Usage: check_man_render.sh MAN_DIR PAGE...
set -euo pipefail
dir=${1:?usage: check_man_render.sh MAN_DIR PAGE...}
shift
command -v man >/dev/null || { echo "check_man_render: man not found; apt-get install man-db" >&2; exit 1; }
failed=0
for page in "$@"; do
  file=$dir/$page
  if [[ ! -s $file ]]; then
    echo "check_man_render: $file was not built (is scdoc installed? apt-get install scdoc, then re-run cmake)" >&2
    failed=1
    continue
  fi
  err=$(mktemp)
  out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings=w -E UTF-8 -l "$file" 2>"$err") || {
    echo "check_man_render: man -l $file failed" >&2
    failed=1
  }
  if [[ -s $err ]]; then
    echo "check_man_render: $page renders with warnings:" >&2
    cat "$err" >&2
    failed=1
  fi
  rm -f "$err"
  for section in NAME SYNOPSIS DESCRIPTION FILES "SEE ALSO"; do
    grep -q "^$section\$" <<<"$out" || { echo "check_man_render: $page has no $section section" >&2; failed=1; }
  done
  echo "check_man_render: $page: $(wc -l <<<"$out") lines"
done
exit "$failed"
