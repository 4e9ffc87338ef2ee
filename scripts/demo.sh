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
echo "== mhad configuration ($conf/clusters.d/sandbox.toml), as mhad sees it:"
"$root/build/mhad" --check-config --config "$conf/mhad.toml" | sed -n '/^# cluster/,$p'

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

echo
echo "== killing the master's mariadbd with SIGKILL"
"$sandbox" kill 0 KILL
sleep 3
echo "== mhactl status after the kill"
"$mhactl" status || true
echo
echo "mhad has detected the dead master (health master_down, replicas' IO threads"
echo "connecting). Automatic failover is the next step of the roadmap (issue 4):"
echo "this build monitors and reports only."
echo
echo "== what mhad logged"
cat "$conf/mhad.log"
if [ $keep -eq 1 ]; then
  echo
  echo "left running: mhad (pid $mhad_pid), sandbox in $MHA_SANDBOX_DIR"
  echo "try: MHAD_SOCKET=$MHAD_SOCKET $mhactl status"
  echo "stop: kill $mhad_pid; $sandbox stop --dir $MHA_SANDBOX_DIR --purge"
fi
