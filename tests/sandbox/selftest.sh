#!/usr/bin/env bash
# tests/sandbox/selftest.sh — exercise sandbox.sh for real.
#
#   selftest.sh [--mode loopback|netns] [--dir DIR]
#
# Starts a sandbox from scratch, checks status/env/sql/ssh/replication of an
# application write, kills the master with SIGKILL and restarts it, checks
# that start and stop are idempotent, and leaves nothing running (stop
# --purge). Prints "N passed, N failed" at the end; exit 1 on any failure.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SB=$HERE/sandbox.sh
MODE=loopback
DIR=/tmp/mha-sandbox-selftest
while (($#)); do
  case $1 in
    --mode) MODE=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    *) echo "usage: $0 [--mode loopback|netns] [--dir DIR]" >&2; exit 2 ;;
  esac
done

pass=0 fail=0
ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$*"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }
check() {  # DESCRIPTION CMD...
  local d=$1; shift
  if "$@"; then ok "$d"; else bad "$d"; fi
}
sb() { "$SB" "$@" --dir "$DIR"; }

cleanup() { sb stop --purge >/dev/null 2>&1 || true; }
trap cleanup EXIT

sb stop --purge >/dev/null 2>&1 || true

# --- start from scratch, timed
t0=$(date +%s.%N)
if envout=$(sb start --mode "$MODE"); then ok "start --mode $MODE"; else bad "start --mode $MODE"; echo "$pass passed, $fail failed"; exit 1; fi
t1=$(date +%s.%N)
echo "start from scratch took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
eval "$envout"
check "env has MHA_SANDBOX_HOSTS" test -n "${MHA_SANDBOX_HOSTS:-}"
check "env matches start output" test "$(sb env)" = "$envout"
read -r -a HOSTS <<<"$MHA_SANDBOX_HOSTS"
N=$((${#HOSTS[@]} - 1))

# --- recorded pids
PIDS=()
record_pids() { local f; for f in "$DIR"/host*/pid.mariadbd "$DIR"/host*/pid.sshd; do PIDS+=("$(cat "$f")"); done; }
record_pids

status_out=$(sb status)
echo "$status_out"
check "status shows $((N + 1)) hosts" test "$(grep -c ' alive ' <<<"$status_out")" = $((N + 1))
check "status: host 0 is master" grep -q '^0 .* master writable' <<<"$status_out"

slave_field() {  # I FIELD -> value from SHOW SLAVE STATUS\G
  timeout 20 mariadb --no-defaults --socket="$DIR/host$1/mysql.sock" -uroot -e 'SHOW SLAVE STATUS\G' |
    awk -v f="$2" '{ k = $1; sub(/:$/, "", k) } k == f { sub(/^[^:]*: ?/, ""); print; exit }'
}

# --- sql on each host, roles
check "host 0 writable" test "$(sb sql 0 'SELECT @@read_only')" = 0
for ((i = 1; i <= N; i++)); do
  check "host $i read_only" test "$(sb sql "$i" 'SELECT @@read_only')" = 1
  check "host $i IO thread running" test "$(slave_field "$i" Slave_IO_Running)" = Yes
  check "host $i SQL thread running" test "$(slave_field "$i" Slave_SQL_Running)" = Yes
  check "host $i replicates from the master" test "$(slave_field "$i" Master_Host)" = "$MHA_SANDBOX_MASTER"
done
mpos=$(sb sql 0 'SELECT @@gtid_binlog_pos')
for ((i = 1; i <= N; i++)); do
  check "host $i has no errant GTIDs (binlog pos = master's $mpos)" test "$(sb sql "$i" 'SELECT @@gtid_binlog_pos')" = "$mpos"
done

# --- application write over TCP reaches every replica
app() { timeout 20 mariadb --no-defaults -h "$1" -P 3306 -u app -papppass --connect-timeout=5 -N -B mha_test -e "$2"; }
check "app creates a table on the master" app "$MHA_SANDBOX_MASTER" "CREATE TABLE IF NOT EXISTS selftest (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40))"
token="row-$$-$RANDOM"
check "app inserts on the master" app "$MHA_SANDBOX_MASTER" "INSERT INTO selftest (v) VALUES ('$token')"
pos=$(sb sql 0 'SELECT @@gtid_binlog_pos')
for ((i = 1; i <= N; i++)); do
  sb sql "$i" "SELECT MASTER_GTID_WAIT('$pos', 10)" >/dev/null
  check "row visible on replica $i" test "$(sb sql "$i" "SELECT COUNT(*) FROM mha_test.selftest WHERE v='$token'")" = 1
  check "app cannot write on replica $i" bash -c "! timeout 20 mariadb --no-defaults -h ${HOSTS[$i]} -u app -papppass -N -B mha_test -e \"INSERT INTO selftest (v) VALUES ('x')\" 2>/dev/null"
done
check "semi-sync ON on the master" test "$(sb sql 0 "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'" | cut -f2)" = ON
check "mha user can connect over TCP" timeout 20 mariadb --no-defaults -h "$MHA_SANDBOX_MASTER" -u mha -pmhapass -N -B -e 'SELECT 1'

# --- ssh to every host
for h in "${HOSTS[@]}"; do
  check "ssh root@$h -p $MHA_SANDBOX_SSH_PORT" timeout 20 ssh -i "$MHA_SANDBOX_SSH_KEY" -p "$MHA_SANDBOX_SSH_PORT" \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR root@"$h" true
done
if [[ $MODE == netns ]]; then
  read -r -a NSS <<<"$MHA_SANDBOX_NETNS"
  check "host 0 has eth0 with its address in its namespace" bash -c "ip -n ${NSS[0]} -4 -o addr show dev eth0 | grep -q ' ${HOSTS[0]}/24 '"
  # VIP on the master's namespace answers mysql (mariadbd binds 0.0.0.0)
  vip=${MHA_SANDBOX_VIP%/*}
  ip -n "${NSS[0]}" addr add "$MHA_SANDBOX_VIP" dev "$MHA_SANDBOX_VIP_INTERFACE"
  check "mysql answers on the VIP $vip" app "$vip" "SELECT COUNT(*) FROM selftest"
  ip -n "${NSS[0]}" addr del "$MHA_SANDBOX_VIP" dev "$MHA_SANDBOX_VIP_INTERFACE"
  check "ssh on host 1 sees its own namespace" bash -c "timeout 20 ssh -i $MHA_SANDBOX_SSH_KEY -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR root@${HOSTS[1]} 'ip -4 -o addr show dev eth0' | grep -q ${HOSTS[1]}/24"
fi

# --- gen-config
cfg=$DIR/mhad-config
check "gen-config" sb gen-config "$cfg" --ping-interval 1s
check "password file mode 0600 and no newline" bash -c "test \"\$(stat -c %a $cfg/mha.password)\" = 600 && test \"\$(cat $cfg/mha.password; echo x)\" = mhapassx"
check "cluster config lists every server" test "$(grep -c '^\[\[server\]\]' "$cfg/clusters.d/sandbox.toml")" = $((N + 1))

# --- kill the master with SIGKILL, restart it
oldpid=$(cat "$DIR/host0/pid.mariadbd")
check "kill 0 (SIGKILL)" sb kill 0
sleep 0.5
check "master pid $oldpid gone" bash -c "! kill -0 $oldpid 2>/dev/null || grep -q '^State:.*Z' /proc/$oldpid/status"
check "status shows host 0 dead" bash -c "'$SB' status --dir '$DIR' | grep -q '^0 .* dead'"
io_notices() {
  local k s
  for ((k = 0; k < 100; k++)); do
    s=$(slave_field 1 Slave_IO_Running)
    [[ $s == Connecting || $s == No ]] && return 0
    sleep 0.1
  done
  return 1
}
check "replica 1 IO thread notices the dead master" io_notices
check "start-server 0" sb start-server 0
record_pids
check "master has every row after restart" test "$(sb sql 0 "SELECT COUNT(*) FROM mha_test.selftest WHERE v='$token'")" = 1
token2="after-restart-$RANDOM"
check "app writes after restart" app "$MHA_SANDBOX_MASTER" "INSERT INTO selftest (v) VALUES ('$token2')"
pos=$(sb sql 0 'SELECT @@gtid_binlog_pos')
for ((i = 1; i <= N; i++)); do
  check "replica $i reconnects and gets the new row" test "$(sb sql "$i" "SELECT MASTER_GTID_WAIT('$pos', 20)")" = 0
done

# --- freeze / thaw
check "kill 0 STOP" sb kill 0 STOP
check "status shows frozen" bash -c "'$SB' status --dir '$DIR' | grep -q '^0 .*STOPPED'"
check "kill 0 CONT" sb kill 0 CONT

# --- idempotency
before=$(cat "$DIR"/host*/pid.*)
check "start again (running) exits 0" sb start --mode "$MODE"
check "start again keeps the same pids" test "$(cat "$DIR"/host*/pid.*)" = "$before"
check "sandbox still healthy" test "$(sb sql 1 'SELECT 1')" = 1
check "stop" sb stop
check "stop again" sb stop
for p in "${PIDS[@]}"; do
  check "pid $p gone after stop" bash -c "! kill -0 $p 2>/dev/null || grep -q '^State:.*Z' /proc/$p/status"
done
if [[ $MODE == netns ]]; then
  check "namespaces removed" bash -c "! ip netns list | grep -q '^mhasb-'"
  check "bridge removed" bash -c "! ip -o link show | grep -q 'mhasb.*-br'"
fi

# --- a half-started leftover is cleaned up: start, kill one sshd, start again
check "start after stop" sb start --mode "$MODE" >/dev/null
PIDS=(); record_pids
kill -KILL "$(cat "$DIR/host1/pid.sshd")"
sleep 0.3
check "start over a half-dead sandbox restarts it" sb start --mode "$MODE" >/dev/null
check "all alive after restart" bash -c "test \$('$SB' status --dir '$DIR' | grep -c ' alive .* alive ') = $((N + 1))"
for p in "${PIDS[@]}"; do
  check "old pid $p gone" bash -c "! kill -0 $p 2>/dev/null || grep -q '^State:.*Z' /proc/$p/status"
done
PIDS=(); record_pids
check "stop --purge" sb stop --purge
check "stop --purge again" sb stop --purge
check "dir removed" test ! -e "$DIR"
for p in "${PIDS[@]}"; do
  check "pid $p gone after purge" bash -c "! kill -0 $p 2>/dev/null || grep -q '^State:.*Z' /proc/$p/status"
done

trap - EXIT
echo "$pass passed, $fail failed"
((fail == 0))
