#!/usr/bin/env bash
# `cmake --install` with DESTDIR and --prefix: every file lands where an
# operator and systemd look for it, and a second install keeps a config the
# operator edited. Usage: verify_install.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: verify_install.sh BUILD_DIR}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
DESTDIR=$dest cmake --install "$build" --prefix /usr >/dev/null
missing=0
for f in usr/sbin/mhad usr/bin/mhactl usr/lib/systemd/system/mhad.service usr/lib/sysusers.d/mhad.conf \
         usr/lib/tmpfiles.d/mhad.conf usr/share/bash-completion/completions/mhactl \
         etc/mhad/mhad.toml etc/mhad/clusters.d/app1.toml \
         usr/share/man/man8/mhad.8 usr/share/man/man1/mhactl.1 usr/share/man/man5/mhad.toml.5; do
  [[ -e $dest/$f ]] || { echo "verify_install: $f was not installed" >&2; missing=1; }
done
[[ -x $dest/usr/sbin/mhad ]] || { echo "verify_install: mhad is not executable" >&2; missing=1; }
((missing == 0)) || exit 1
echo "# edited by the operator" >>"$dest/etc/mhad/mhad.toml"
DESTDIR=$dest cmake --install "$build" --prefix /usr >/dev/null
grep -q '^# edited by the operator$' "$dest/etc/mhad/mhad.toml" ||
  { echo "verify_install: a second install overwrote /etc/mhad/mhad.toml" >&2; exit 1; }
# The installed man pages are the ones man finds by name.
for page in mhad.8 mhactl.1 mhad.toml.5; do
  name=${page%.*}
  MANPATH=$dest/usr/share/man man -w "$name" >/dev/null 2>&1 ||
    { echo "verify_install: man cannot find $name in $dest/usr/share/man" >&2; exit 1; }
done
# The completion is valid bash.
bash -n "$dest/usr/share/bash-completion/completions/mhactl"
echo "verify_install: ok"
