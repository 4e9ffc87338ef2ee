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
  libsystemd-dev libfmt-dev catch2)
# Servers and tools the sandbox and the integration tests use.
test_pkgs=(mariadb-server mariadb-client openssh-server openssh-client
  iproute2 procps systemd iptables
  python3  # tests/check_include_folders.py
  iputils-arping  # gratuitous ARP when the built-in VIP moves (netns tests)
  openssl  # the sandbox's TLS certificates (sandbox.sh start --tls)
  mha4mysql-manager)  # MHA::DBHelper (not in -node), for the MHA master_ip_failover script test

missing=()
for p in "${build_pkgs[@]}" "${test_pkgs[@]}"; do
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
