#!/usr/bin/env bash
# Installs every build and test dependency of mhad from Debian's archive.
# Idempotent: packages already present are left alone. Run as root.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: must run as root (apt-get install), try: sudo $0" >&2
  exit 1
fi

build_pkgs=(build-essential cmake pkg-config
  libmariadb-dev libssh-dev libtomlplusplus-dev nlohmann-json3-dev
  libsystemd-dev libfmt-dev catch2
  prometheus-cpp-dev  # [daemon] metrics_listen: /metrics with the pull exposer
  libcurl4-openssl-dev  # [daemon] coordination = "etcd": etcd's v3 JSON gateway over HTTP(S)
  scdoc  # docs/man/*.scd -> roff man pages
  git)   # the dist target: git archive of HEAD for the RPM
# Tools the packaging and documentation tests use.
doc_pkgs=(rpm  # rpmbuild and rpm -qp: tests/rpm/check_rpm.sh
  man-db groff-base)  # man -l: tests/docs/check_man_render.sh
# Servers and tools the sandbox and the integration tests use.
test_pkgs=(mariadb-server mariadb-client openssh-server openssh-client
  iproute2 procps systemd iptables
  python3  # tests/check_include_folders.py, tests/control_socket_test.py
  passwd util-linux  # tests/control_socket_test.py: useradd/groupadd, setpriv
  iputils-arping  # gratuitous ARP when the built-in VIP moves (netns tests)
  openssl  # the sandbox's TLS certificates (sandbox.sh start --tls)
  curl  # sandbox.sh: etcd members' health
  socat  # etcd tests: forwarders that cut one mhad off from the databases or from etcd
  etcd-server etcd-client  # coordination = "etcd": the sandbox's 3-member etcd (sandbox.sh etcd-start)
  mha4mysql-manager)  # MHA::DBHelper (not in -node), for the MHA master_ip_failover script test
# Sanitizer and fuzz builds (scripts/sanitize.sh uses GCC's; scripts/fuzz.sh
# Clang's libFuzzer and runtimes, llvm-symbolizer-14 for readable stacks).
fuzz_pkgs=(clang libclang-rt-14-dev llvm-14)

missing=()
for p in "${build_pkgs[@]}" "${test_pkgs[@]}" "${doc_pkgs[@]}" "${fuzz_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all packages present"
  exit 0
fi

# Without systemd as PID 1 the packages' own services would start through
# invoke-rc.d; policy-rc.d exit 101 stops that so the distribution's mariadb
# never takes port 3306 away from the sandbox. Only created if missing.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
