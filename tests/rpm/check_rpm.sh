#!/usr/bin/env bash
# packaging/rpm/mhad.spec builds an installable RPM from the dist tarball,
# and the package holds what an operator needs: the binaries, the unit, its
# sysusers and tmpfiles files, the man pages, the completion, the config
# (as %config(noreplace)) and the docs, with sane requirements; and it
# installs into an empty root and verifies there.
#
# Reuses BUILD_DIR's binaries (--define mhad_prebuilt) to keep the run short,
# and uses rpmbuild --nodeps: the spec's BuildRequires name an RPM
# distribution's -devel packages, which Debian's rpm database never has.
# Usage: check_rpm.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=${1:?usage: check_rpm.sh SOURCE_DIR BUILD_DIR}
build=$(cd "${2:?usage: check_rpm.sh SOURCE_DIR BUILD_DIR}" && pwd)
command -v rpmbuild >/dev/null || { echo "check_rpm: rpmbuild not found; apt-get install rpm" >&2; exit 1; }
top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT

version=$(sed -n 's/^Version: *//p' "$src/packaging/rpm/mhad.spec")
cmake --build "$build" --target dist >/dev/null
tarball=$build/mhad-$version.tar.gz
[[ -s $tarball ]] || { echo "check_rpm: the dist target did not write $tarball" >&2; exit 1; }
# The tarball carries the spec, so `rpmbuild -ta` works on it as well.
# (grep on a variable: grep -q on tar's pipe would SIGPIPE tar under pipefail)
listing=$(tar -tzf "$tarball")
grep -qx "mhad-$version/packaging/rpm/mhad.spec" <<<"$listing" ||
  { echo "check_rpm: $tarball has no mhad-$version/packaging/rpm/mhad.spec" >&2; exit 1; }

mkdir -p "$top/SOURCES"
cp "$tarball" "$top/SOURCES/"
if ! rpmbuild --nodeps --define "_topdir $top" --define "mhad_prebuilt $build" \
      -bb "$src/packaging/rpm/mhad.spec" >"$top/rpmbuild.log" 2>&1; then
  cat "$top/rpmbuild.log" >&2
  echo "check_rpm: rpmbuild failed" >&2
  exit 1
fi
rpm=$(find "$top/RPMS" -name "mhad-$version-*.rpm" ! -name '*debug*' | head -1)
[[ -n $rpm ]] || { echo "check_rpm: no mhad-$version RPM in $top/RPMS" >&2; exit 1; }
echo "check_rpm: built $(basename "$rpm")"

failed=0
files=$(rpm -qlp "$rpm")
for f in /usr/sbin/mhad /usr/bin/mhactl /usr/lib/systemd/system/mhad.service \
         /usr/lib/sysusers.d/mhad.conf /usr/lib/tmpfiles.d/mhad.conf \
         /usr/share/bash-completion/completions/mhactl \
         /usr/share/man/man1/mhactl.1 /usr/share/man/man5/mhad.toml.5 /usr/share/man/man8/mhad.8 \
         /etc/mhad /etc/mhad/mhad.toml /etc/mhad/clusters.d/app1.toml \
         /usr/share/doc/mhad/README.md /usr/share/doc/mhad/operations.md; do
  # Man pages may be compressed by the distribution's brp scripts.
  grep -Eqx "$f(\.gz|\.bz2|\.xz|\.zst)?" <<<"$files" || { echo "check_rpm: the RPM does not contain $f" >&2; failed=1; }
done
# Nothing from the build tree or the tests slips in.
if grep -E 'testhooks|mha_unit_tests|mha_integration_tests|/bench' <<<"$files"; then
  echo "check_rpm: the RPM contains test or benchmark files (above)" >&2
  failed=1
fi

# Path, mode, owner, group and file flags (c = %config, n = noreplace).
attrs=$(rpm -qp --qf '[%{FILENAMES} %{FILEMODES:octal} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS:fflags}\n]' "$rpm")
expect_attrs() {  # PATH MODE OWNER GROUP FLAGS_REGEX
  grep -Eq "^$1 $2 $3 $4 $5\$" <<<"$attrs" ||
    { echo "check_rpm: expected '$1 $2 $3 $4 $5', found: $(grep "^$1 " <<<"$attrs")" >&2; failed=1; }
}
expect_attrs /etc/mhad 40750 root mhad ''
expect_attrs /etc/mhad/clusters.d 40750 root mhad ''
expect_attrs /etc/mhad/mhad.toml 100640 root mhad 'cn'
expect_attrs /etc/mhad/clusters.d/app1.toml 100640 root mhad 'cn'
expect_attrs /usr/sbin/mhad 100755 root root ''
expect_attrs /usr/bin/mhactl 100755 root root ''

requires=$(rpm -qp --requires "$rpm")
for r in 'systemd' 'shadow-utils' 'libmariadb\.so\.3' 'libssh\.so\.4' 'libsystemd\.so\.0' 'libfmt\.so'; do
  grep -Eq "^$r" <<<"$requires" || { echo "check_rpm: --requires does not list $r:"; echo "$requires"; failed=1; } >&2
done
# No requirement on anything the build alone needs.
if grep -Eq -- '-devel|cmake|catch2|scdoc' <<<"$requires"; then
  echo "check_rpm: --requires lists build-only packages:" >&2
  echo "$requires" >&2
  failed=1
fi
scripts=$(rpm -qp --scripts "$rpm")
for s in 'groupadd -r mhad' 'systemctl --no-reload preset mhad.service|systemd_post' 'try-restart mhad.service|systemd_postun'; do
  grep -Eq "$s" <<<"$scripts" || { echo "check_rpm: the scriptlets do not run '$s':"; echo "$scripts"; failed=1; } >&2
done
# It installs: into an empty root (--nodeps: that root has no libraries in
# rpm's database; --noscripts: no systemd there), with the group mhad in its
# /etc/group, every file verifies, and a reinstall keeps an edited config.
root=$top/root
mkdir -p "$root/etc"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nmhad:x:990:\n' >"$root/etc/group"
quiet() { grep -v -e 'should not be used directly' -e 'assuming you know' || true; }
rpm --root "$root" --initdb
rpm --root "$root" -i --nodeps --noscripts "$rpm" 2>&1 | quiet
rpm --root "$root" -V --nodeps mhad || { echo "check_rpm: the installed package does not verify (above)" >&2; failed=1; }
echo "# edited by the operator" >>"$root/etc/mhad/mhad.toml"
rpm --root "$root" -U --replacepkgs --nodeps --noscripts "$rpm" 2>&1 | quiet
grep -q '^# edited by the operator$' "$root/etc/mhad/mhad.toml" ||
  { echo "check_rpm: reinstalling the RPM overwrote an edited /etc/mhad/mhad.toml" >&2; failed=1; }

((failed == 0)) && echo "check_rpm: ok ($(wc -l <<<"$files") files)"
exit "$failed"
