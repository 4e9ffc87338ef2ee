#!/usr/bin/env bash
# README command (a): install, build, start a local sandbox cluster (3 real
# MariaDB 10.11 servers + sshd on 127.0.0.11-13), start mhad on a config
# generated for it, show `mhactl status`, kill the master's mariadbd and show
# what mhad sees. Stops everything it started at the end (--keep leaves the
# sandbox and mhad running so you can try mhactl yourself).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keep=0
[ "${1:-}" = "--keep" ] && keep=1

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"

export MHA_SANDBOX_DIR=${MHA_SANDBOX_DIR:-/tmp/mha-demo}
sandbox="$root/tests/sandbox/sandbox.sh"
conf="$MHA_SANDBOX_DIR/mhad"
mhactl="$root/build/mhactl"
mhad_pid=""

cleanup() {
  if [ -n "$mhad_pid" ] && kill -0 "$mhad_pid" 2>/dev/null; then
    kill -TERM "$mhad_pid"
    wait "$mhad_pid" 2>/dev/null || true
  fi
  "$sandbox" stop --dir "$MHA_SANDBOX_DIR" --purge >/dev/null || true
}
[ $keep -eq 0 ] && trap cleanup EXIT

echo "== starting the sandbox: 1 master + 2 replicas, GTID, semi-sync, sshd per host"
"$sandbox" start --dir "$MHA_SANDBOX_DIR"
"$sandbox" gen-config "$conf" --ping-interval 1s >/dev/null
echo "== mhad configuration ($conf/clusters.d/sandbox.toml):"
cat "$conf/clusters.d/sandbox.toml"

echo "== starting mhad (log: $conf/mhad.log)"
"$root/build/mhad" --config "$conf/mhad.toml" >"$conf/mhad.log" 2>&1 &
mhad_pid=$!
export MHAD_SOCKET="$conf/mhad.sock"
for _ in $(seq 1 50); do
  "$mhactl" status >/dev/null 2>&1 && break
  sleep 0.2
done
sleep 2.5   # let every server be checked twice
echo
echo "== mhactl status"
"$mhactl" status

sleep 4     # the kept SSH session to the master's host is open by now

echo
echo "== writing 50 rows through the master as the application user"
for i in $(seq 1 50); do
  MYSQL_PWD=apppass mariadb -h 127.0.0.11 -u app mha_test -e "CREATE TABLE IF NOT EXISTS demo (id INT PRIMARY KEY); INSERT INTO demo VALUES ($i)" 2>/dev/null
done
echo "== killing the master's mariadbd with SIGKILL"
"$sandbox" kill 0 KILL
for _ in $(seq 1 50); do
  grep -q 'EVENT=failover_report' "$conf/mhad.log" && break
  sleep 0.2
done
sleep 1
echo
echo "== the failover report (from mhad's log; under systemd: journalctl -u mhad EVENT=failover_report)"
sed -n '/----- Failover Report -----/,/RESULT=/p' "$conf/mhad.log"
echo
echo "== mhactl status after the failover"
"$mhactl" status || true
echo
echo "== rows on the new master (127.0.0.12): $(MYSQL_PWD=apppass mariadb -h 127.0.0.12 -u app mha_test -N -e 'SELECT COUNT(*) FROM demo' 2>/dev/null) of 50"
echo
echo "== what mhad logged"
grep -v 'debug' "$conf/mhad.log" | cut -c1-220
if [ $keep -eq 1 ]; then
  echo
  echo "left running: mhad (pid $mhad_pid), sandbox in $MHA_SANDBOX_DIR"
  echo "try: MHAD_SOCKET=$MHAD_SOCKET $mhactl status"
  echo "stop: kill $mhad_pid; $sandbox stop --dir $MHA_SANDBOX_DIR --purge"
fi
