#!/usr/bin/env bash
# `mhactl import-mha` on the MHA configs of the two seed guides, as printed
# there (tests/fixtures/mha/README.md): the TOML it writes is accepted by
# `mhad --check-config`, no password reaches stdout or stderr, and the guide's
# first app1.cnf, whose master is "192.1683.74", is refused naming that line
# with nothing on stdout.
# Usage: verify_import_mha.sh MHACTL MHAD FIXTURE_DIR
set -euo pipefail
mhactl=${1:?usage: verify_import_mha.sh MHACTL MHAD FIXTURE_DIR}
mhad=${2:?}
fixtures=${3:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "verify_import_mha: $*" >&2; exit 1; }

mkdir "$tmp/clusters.d"
: >"$tmp/mhad.toml"
for app in seed000/app1.cnf seed001/mainBusiness.cnf; do
  name=$(basename "$app" .cnf)
  "$mhactl" import-mha "$fixtures/$app" --default /dev/null >"$tmp/$name.toml" 2>"$tmp/$name.err" ||
    { cat "$tmp/$name.err" >&2; fail "import-mha refused $app"; }
  ! grep -q 123456 "$tmp/$name.toml" "$tmp/$name.err" || fail "a password of $app reached the output"
  grep -q "^host = \"192.168" "$tmp/$name.toml" || fail "no server host in the TOML of $app"
  # The password files the warnings ask for, created where the TOML points, in the temp dir.
  sed "s|\"/etc/mhad/|\"$tmp/|" "$tmp/$name.toml" >"$tmp/clusters.d/$name.toml"
  for f in $(sed -n "s|^.*password_file = \"\\($tmp/[^\"]*\\)\".*|\\1|p" "$tmp/clusters.d/$name.toml"); do
    install -m 600 /dev/null "$f" && echo secret >"$f"
  done
done
"$mhad" --check-config --config "$tmp/mhad.toml" >"$tmp/effective.toml" 2>"$tmp/check.err" ||
  { cat "$tmp/check.err" >&2; fail "mhad --check-config refused the imported TOML"; }
grep -q '^\[cluster.app1\]' "$tmp/effective.toml" || fail "cluster app1 missing in mhad's effective config"
grep -q '^\[cluster.mainBusiness\]' "$tmp/effective.toml" || fail "cluster mainBusiness missing in mhad's effective config"
grep -q '^ping_interval = "1s"' "$tmp/effective.toml" || fail "ping_interval=1 did not become \"1s\""

guide="$fixtures/seed000/guide/app1.cnf"
if "$mhactl" import-mha "$guide" --default /dev/null >"$tmp/guide.toml" 2>"$tmp/guide.err"; then
  fail "import-mha accepted the malformed hostname 192.1683.74"
fi
[[ ! -s $tmp/guide.toml ]] || fail "a refused import wrote to stdout"
grep -q "app1.cnf:19: hostname: .*\"192.1683.74\"" "$tmp/guide.err" || { cat "$tmp/guide.err" >&2; fail "the error does not name line 19 and the value"; }
! grep -q 123456 "$tmp/guide.err" || fail "a password of the guide reached stderr"
echo "verify_import_mha: ok"
