#!/usr/bin/env bash
# tests/sandbox/record-fixtures.sh — record MariaDB 10.11 server output into
# tests/fixtures/mariadb1011_*.txt from a running loopback sandbox, for the
# unit tests of the SQL flavor parsing. Restores the sandbox afterwards.
#
#   record-fixtures.sh [--dir DIR]     (DIR as for sandbox.sh)
#
# Uses replica host 1; output is the `mariadb` client's, verbatim.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SB=$HERE/sandbox.sh
OUT=$(cd "$HERE/../fixtures" && pwd)
DIR=${MHA_SANDBOX_DIR:-/tmp/mha-sandbox}
[[ ${1:-} == --dir ]] && DIR=$2

eval "$("$SB" env --dir "$DIR")"
read -r -a SOCKS <<<"$MHA_SANDBOX_SOCKETS"
M=(timeout 30 mariadb --no-defaults -uroot --socket="${SOCKS[1]}")

slave_field() {
  "${M[@]}" -e 'SHOW SLAVE STATUS\G' | awk -v f="$1" '{ k = $1; sub(/:$/, "", k) } k == f { sub(/^[^:]*: ?/, ""); print; exit }'
}
wait_io() {  # VALUE|regex, at most 20 s
  local k
  for ((k = 0; k < 200; k++)); do
    [[ $(slave_field Slave_IO_Running) =~ ^($1)$ ]] && return 0
    sleep 0.1
  done
  echo "timed out waiting for Slave_IO_Running=$1" >&2
  return 1
}
wait_err() {  # wait for a non-zero Last_IO_Errno, at most 20 s
  local k
  for ((k = 0; k < 200; k++)); do
    [[ $(slave_field Last_IO_Errno) != 0 ]] && return 0
    sleep 0.1
  done
  echo "timed out waiting for an IO error" >&2
  return 1
}

# a little traffic so that positions are not trivial
"$SB" sql 0 "CREATE TABLE IF NOT EXISTS mha_test.fixture (id INT PRIMARY KEY AUTO_INCREMENT, v INT); INSERT INTO mha_test.fixture (v) VALUES (1), (2)" --dir "$DIR"
pos=$("$SB" sql 0 'SELECT @@gtid_binlog_pos' --dir "$DIR")
"${M[@]}" -N -B -e "SELECT MASTER_GTID_WAIT('$pos', 20)" >/dev/null
wait_io Yes

"${M[@]}" -e 'SHOW SLAVE STATUS\G' >"$OUT/mariadb1011_show_slave_status.txt"
"${M[@]}" -N -B -e 'SELECT VERSION()' >"$OUT/mariadb1011_version.txt"
"${M[@]}" -e 'SELECT @@gtid_binlog_pos, @@gtid_slave_pos, @@gtid_current_pos\G' >"$OUT/mariadb1011_gtid_vars.txt"

# stopped replica
"${M[@]}" -e 'STOP SLAVE'
"${M[@]}" -e 'SHOW SLAVE STATUS\G' >"$OUT/mariadb1011_show_slave_status_stopped.txt"

# IO thread failing: wrong password
"${M[@]}" -e "CHANGE MASTER TO MASTER_PASSWORD='wrong-password'; START SLAVE"
wait_err
"${M[@]}" -e 'SHOW SLAVE STATUS\G' >"$OUT/mariadb1011_show_slave_status_io_error.txt"

# restore
"${M[@]}" -e "STOP SLAVE; CHANGE MASTER TO MASTER_PASSWORD='replpass'; START SLAVE"
wait_io Yes

# master killed: the replica's IO thread reconnects in vain
"$SB" kill 0 KILL --dir "$DIR"
wait_err
"${M[@]}" -e 'SHOW SLAVE STATUS\G' >"$OUT/mariadb1011_show_slave_status_master_down.txt"
"$SB" start-server 0 --dir "$DIR"
wait_io Yes
pos=$("$SB" sql 0 'SELECT @@gtid_binlog_pos' --dir "$DIR")
"${M[@]}" -N -B -e "SELECT MASTER_GTID_WAIT('$pos', 20)" >/dev/null
"$SB" status --dir "$DIR"
ls -l "$OUT"/mariadb1011_*
