#!/usr/bin/env bash
# tests/sandbox/sandbox.sh — start and stop a real local MariaDB replication
# topology (1 master + N replicas, GTID, semi-sync) with one sshd per host,
# for mhad's integration tests and benchmarks.
#
# Two modes:
#   loopback  host i listens on 127.0.0.(11+i): mariadbd on :3306, sshd on
#             :$MHA_SANDBOX_SSH_PORT (default 2222; port 22 is usually taken
#             by a wildcard listener).
#   netns     one network namespace per host, joined by a bridge in the root
#             namespace (10.231.0.1/24, no uplink); host i is 10.231.0.(11+i)
#             on an interface named eth0 in its namespace; mariadbd binds
#             0.0.0.0:3306 (so it also answers on a VIP added later), sshd
#             listens on :22 of the host's address.
#
# With --tls every mariadbd serves TLS only (require_secure_transport=ON):
# a CA and one server certificate naming every host address (and the VIP)
# under DIR/tls/, replicas replicate with MASTER_SSL_VERIFY_SERVER_CERT=1,
# and mha and repl must present a client certificate (REQUIRE X509).
#
# Rules this script keeps: processes are stopped by the PIDs it recorded
# (never by name); only loopback addresses or addresses inside namespaces it
# created are used; every wait is bounded and fails with a clear message.
#
# Run `sandbox.sh help` for the command line. Progress goes to stderr; the
# stdout of `start` and `env` is a list of `export` lines to eval.

set -euo pipefail

readonly PROG=${0##*/}
readonly DEFAULT_DIR=${MHA_SANDBOX_DIR:-/tmp/mha-sandbox}
readonly MYSQL_PORT=3306
readonly LOOPBACK_PREFIX=127.0.0.
readonly NETNS_PREFIX=10.231.0.
readonly NETNS_BRIDGE_ADDR=10.231.0.1
readonly NETNS_VIP=10.231.0.100/24
readonly NETNS_IFACE=eth0
readonly HOST_BASE=11          # host i gets PREFIX.(HOST_BASE+i)
readonly MAX_REPLICAS=20
# Timeouts (seconds); generous because CI machines can be slow.
readonly T_SERVER_START=${MHA_SANDBOX_START_TIMEOUT:-90}
readonly T_REPL=${MHA_SANDBOX_REPL_TIMEOUT:-60}
readonly T_SSH=${MHA_SANDBOX_SSH_TIMEOUT:-30}
readonly T_STOP=${MHA_SANDBOX_STOP_TIMEOUT:-30}
readonly T_SQL=${MHA_SANDBOX_SQL_TIMEOUT:-60}

MARIADBD=${MHA_SANDBOX_MARIADBD:-/usr/sbin/mariadbd}
ETCD=${MHA_SANDBOX_ETCD:-/usr/bin/etcd}
# The 3-member etcd (etcd-start): member i serves clients on
# 127.0.0.1:(ETCD_CLIENT_BASE+i) and its peers on 127.0.0.1:(ETCD_PEER_BASE+i).
readonly ETCD_MEMBERS=3
readonly ETCD_CLIENT_BASE=${MHA_SANDBOX_ETCD_CLIENT_PORT:-23791}
readonly ETCD_PEER_BASE=${MHA_SANDBOX_ETCD_PEER_PORT:-23891}
SSHD=${MHA_SANDBOX_SSHD:-/usr/sbin/sshd}

log() { printf '[sandbox] %s\n' "$*" >&2; }
die() { printf '[sandbox] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
T0=""
# With MHA_SANDBOX_VERBOSE=1, log how far into `start` each phase begins.
phase() {
  [[ ${MHA_SANDBOX_VERBOSE:-0} == 1 && -n $T0 ]] || return 0
  log "$(awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%6.2f s", b - a }')  $*"
}

usage() {
  cat <<'EOF'
usage: sandbox.sh COMMAND [options]

  start [--replicas N] [--dir DIR] [--mode loopback|netns] [--tls]
        start 1 master + N replicas (default 2) with one sshd per host;
        prints `export` lines (as `env`) on stdout. Idempotent: a running
        sandbox is left alone, a half-started one is stopped and redone.
        --tls: TLS-only servers; certificates in DIR/tls (ca.pem,
        server.pem, client.pem/client.key for mha and repl).
  stop [--dir DIR] [--purge]
        stop every recorded process, remove namespaces/bridge/veths;
        --purge also removes DIR. Safe to repeat.
  status [--dir DIR]        one line per host
  env [--dir DIR]           `export MHA_SANDBOX_...` lines to eval
  sql I "STATEMENT" [--dir DIR]
        run SQL as root on host I through its unix socket (-N -B output)
  kill I [SIGNAL] [--dir DIR]
        send SIGNAL (default KILL) to host I's mariadbd (e.g. STOP, CONT)
  start-server I [--dir DIR]
        restart host I's mariadbd on its existing datadir
  etcd-start [--tls] [--auth] [--dir DIR]
        start a 3-member etcd cluster on loopback (clients on 127.0.0.1:23791,
        23792, 23793; data in DIR/etcd/mI); prints
        `export MHA_SANDBOX_ETCD_ENDPOINTS=...`. Idempotent. `stop` stops it.
        --tls: clients over https only, client certificates required (CA,
        client certificate and key in DIR/etcd/tls, printed as
        MHA_SANDBOX_ETCD_CA/_CERT/_KEY); --auth: authentication on, user
        `mhad` read-write on /mhad/ (MHA_SANDBOX_ETCD_USER, _PASSWORD_FILE)
  etcd-stop [--dir DIR]     stop the etcd members only (data kept)
  etcd-kill I [SIGNAL] [--dir DIR]
        send SIGNAL (default KILL) to etcd member I (0-2); etcd-start
        restarts the members that are down on their data
  gen-config OUTDIR [--ping-interval 1s] [--no-auto-failover]
             [--ssl-mode MODE] [--ssl-ca PATH] [--dir DIR]
        write OUTDIR/mhad.toml, OUTDIR/clusters.d/sandbox.toml and the
        password files for this sandbox; for a --tls sandbox with
        ssl_mode = "verify_identity" (or MODE) and its CA (or PATH)

DIR defaults to $MHA_SANDBOX_DIR, else /tmp/mha-sandbox.
Environment: MHA_SANDBOX_SSH_PORT (loopback sshd port, default 2222),
MHA_SANDBOX_MAX_CONNECTIONS (default 500), MHA_SANDBOX_KEEP_ON_FAILURE=1
(leave a failed start running for debugging), MHA_SANDBOX_*_TIMEOUT.
Host 0 is the master, hosts 1..N the replicas.
EOF
}

# ---------------------------------------------------------------- helpers

abspath() {  # the directory need not exist
  local d=$1
  [[ $d == /* ]] || d="$PWD/$d"
  # normalise // and trailing /, without resolving symlinks
  d=$(printf '%s' "$d" | sed -e 's#//*#/#g' -e 's#/$##')
  printf '%s' "${d:-/}"
}

# Wait until "$@" succeeds, at most $1 seconds; $2 describes the wait.
wait_for() {
  local timeout=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  while true; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if (( $(date +%s) >= deadline )); then
      log "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep 0.1
  done
}

# A PID is "ours" only while it is alive, not a zombie, runs the expected
# binary, and its command line contains the expected config path. This
# guards against PID reuse: we never signal a process that is not ours.
pid_is() {  # PID EXE_PATH CMDLINE_SUBSTRING
  local pid=$1 exe=$2 pat=$3 st cmd
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/stat ]] || return 1
  st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $st != Z && $st != X ]] || return 1
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$pat"* ]]
}

# Launch a daemon in the background: $! is its own PID afterwards.
# Every inherited descriptor above 2 is closed (our lock on fd 9, a caller's
# pipes) so the daemon holds nothing of ours; setsid gives it its own
# session, so a Ctrl-C in the caller's terminal does not reach it. The
# script runs without job control, so setsid and `ip netns exec` exec in
# place rather than fork, and the PID stays the daemon's.
spawn() {  # LOGFILE CMD...
  local logf=$1; shift
  (
    local f fd
    for f in "/proc/$BASHPID/fd/"*; do
      fd=${f##*/}
      if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid "$@" </dev/null >>"$logf" 2>&1
  ) &
}

read_pid() { [[ -s $1 ]] && head -n1 "$1" || true; }

hostdir() { printf '%s/host%s' "$DIR" "$1"; }
sock() { printf '%s/host%s/mysql.sock' "$DIR" "$1"; }
addr_of() {
  if [[ $MODE == netns ]]; then printf '%s%s' "$NETNS_PREFIX" $((HOST_BASE + $1))
  else printf '%s%s' "$LOOPBACK_PREFIX" $((HOST_BASE + $1)); fi
}
ns_of() { printf 'mhasb-%s-h%s' "$SBID" "$1"; }        # namespace name
veth_of() { printf 'mhasb%s-v%s' "$SBID" "$1"; }       # root-side veth (<=15)
peer_of() { printf 'mhasb%s-p%s' "$SBID" "$1"; }       # ns side before rename
bridge_name() { printf 'mhasb%s-br' "$SBID"; }         # 14 chars

mariadbd_alive() { pid_is "$(read_pid "$(hostdir "$1")/pid.mariadbd")" "$MARIADBD" "--defaults-file=$(hostdir "$1")/my.cnf"; }
sshd_alive() { pid_is "$(read_pid "$(hostdir "$1")/pid.sshd")" "$SSHD" "$(hostdir "$1")/sshd_config"; }

# Run in host I's namespace (netns mode) or directly (loopback).
in_host() {
  local i=$1; shift
  if [[ $MODE == netns ]]; then ip netns exec "$(ns_of "$i")" "$@"; else "$@"; fi
}

# SQL as root over host I's unix socket.
sqlq() {  # I STATEMENT
  timeout "$T_SQL" mariadb --no-defaults --protocol=socket --socket="$(sock "$1")" \
    -uroot --connect-timeout=5 -N -B -e "$2"
}

sql_ok() { sqlq "$1" "SELECT 1" >/dev/null 2>&1; }

slave_field() {  # I FIELD  -> value from SHOW SLAVE STATUS
  timeout "$T_SQL" mariadb --no-defaults --protocol=socket --socket="$(sock "$1")" \
    -uroot --connect-timeout=5 -e 'SHOW SLAVE STATUS\G' 2>/dev/null |
    awk -v f="$2" '{ k=$1; sub(/:$/, "", k) } k == f { sub(/^[^:]*: ?/, ""); print; exit }'
}

# ---------------------------------------------------------------- state

load_state() {  # sets MODE REPLICAS SSH_PORT SBID TLS ; returns 1 if no sandbox
  local f=$DIR/sandbox.state
  [[ -f $f ]] || return 1
  MODE=$(sed -n 's/^mode=//p' "$f")
  REPLICAS=$(sed -n 's/^replicas=//p' "$f")
  SSH_PORT=$(sed -n 's/^ssh_port=//p' "$f")
  SBID=$(sed -n 's/^id=//p' "$f")
  TLS=$(sed -n 's/^tls=//p' "$f"); TLS=${TLS:-0}
  [[ $MODE == loopback || $MODE == netns ]] || die "corrupt state file $f"
  [[ $REPLICAS =~ ^[0-9]+$ && $SSH_PORT =~ ^[0-9]+$ ]] || die "corrupt state file $f"
  return 0
}

require_state() {
  load_state || die "no sandbox in $DIR (run: $PROG start --dir $DIR)"
}

all_alive() {
  local i
  for ((i = 0; i <= REPLICAS; i++)); do
    mariadbd_alive "$i" && sshd_alive "$i" || return 1
  done
}

nhosts() { echo $((REPLICAS + 1)); }

# ---------------------------------------------------------------- stop

# Stop every process recorded under DIR: SIGTERM (+SIGCONT so a frozen
# server can act on it), bounded wait, then SIGKILL for those PIDs only.
stop_processes() {
  local -a pids=() rec
  local f pid exe pat i h
  for h in "$DIR"/host*; do
    [[ -d $h ]] || continue
    for f in "$h"/pid.mariadbd "$h"/pid.sshd; do
      pid=$(read_pid "$f"); [[ -n $pid ]] || continue
      if [[ $f == *mariadbd ]]; then exe=$MARIADBD pat="--defaults-file=$h/my.cnf"
      else exe=$SSHD pat="$h/sshd_config"; fi
      if pid_is "$pid" "$exe" "$pat"; then
        pids+=("$pid:$exe:$pat")
        if [[ $f == *sshd ]]; then
          # sessions sshd forked for clients (and what they run) die with it
          for i in $(descendants "$pid"); do pids+=("$i:-:-"); done
        fi
      fi
    done
  done
  ((${#pids[@]})) || return 0
  log "stopping ${#pids[@]} process(es)"
  for rec in "${pids[@]}"; do kill -TERM "${rec%%:*}" 2>/dev/null || true; kill -CONT "${rec%%:*}" 2>/dev/null || true; done
  local deadline=$(( $(date +%s) + T_STOP )) left
  while true; do
    left=()
    for rec in "${pids[@]}"; do
      IFS=: read -r pid exe pat <<<"$rec"
      if [[ $exe == - ]]; then
        if still_child "$pid"; then left+=("$rec"); fi
      elif pid_is "$pid" "$exe" "$pat"; then
        left+=("$rec")
      fi
    done
    ((${#left[@]})) || break
    if (( $(date +%s) >= deadline )); then
      log "still alive after ${T_STOP}s, sending SIGKILL: ${left[*]%%:*}"
      for rec in "${left[@]}"; do kill -KILL "${rec%%:*}" 2>/dev/null || true; done
      sleep 0.5
      break
    fi
    sleep 0.1
  done
  for rec in "${pids[@]}"; do
    IFS=: read -r pid exe pat <<<"$rec"
    if [[ $exe != - ]] && pid_is "$pid" "$exe" "$pat"; then log "WARNING: pid $pid survived SIGKILL"; fi
  done
}

descendants() {  # PID -> all descendant PIDs (snapshot)
  ps -eo pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END { for (p in parent) { q = p; n = 0
            while (q in parent && q != root && q > 1 && n++ < 64) q = parent[q]
            if (q == root && p != root) print p } }'
}

still_child() {  # alive and not a zombie
  local st
  [[ -r /proc/$1/stat ]] || return 1
  st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

# Remove the namespaces, veths and bridge recorded in DIR/netns.list.
remove_netns() {
  local f=$DIR/netns.list kind name
  [[ -f $f ]] || return 0
  while read -r kind name; do
    case $kind in
      veth)   if ip link show "$name" >/dev/null 2>&1; then
                ip link del "$name" 2>/dev/null || log "WARNING: cannot delete veth $name"
              fi ;;
    esac
  done <"$f"
  while read -r kind name; do
    case $kind in
      ns)     if ip netns list | awk '{print $1}' | grep -qx -- "$name"; then
                ip netns del "$name" 2>/dev/null || log "WARNING: cannot delete namespace $name"
              fi ;;
    esac
  done <"$f"
  while read -r kind name; do
    case $kind in
      bridge) if ip link show "$name" >/dev/null 2>&1; then
                ip link del "$name" 2>/dev/null || log "WARNING: cannot delete bridge $name"
              fi ;;
    esac
  done <"$f"
  rm -f "$f"
}

do_stop() {  # PURGE(0/1)
  local purge=$1
  if [[ ! -d $DIR ]]; then log "nothing in $DIR"; return 0; fi
  if [[ ! -f $DIR/.mha-sandbox ]]; then
    [[ -z $(ls -A "$DIR" 2>/dev/null) ]] && { [[ $purge == 1 ]] && rmdir "$DIR"; return 0; }
    die "$DIR is not a sandbox directory (no .mha-sandbox marker); not touching it"
  fi
  stop_processes
  stop_etcd
  remove_netns
  rm -f "$DIR/started" "$DIR"/host*/pid.mariadbd "$DIR"/host*/pid.sshd
  if [[ $purge == 1 ]]; then
    rm -rf -- "$DIR"
    log "stopped and removed $DIR"
  else
    log "stopped (files kept in $DIR; --purge removes them)"
  fi
}

# ---------------------------------------------------------------- start

port_taken() {  # ADDR PORT -> 0 if a listener holds ADDR:PORT or a wildcard
  local a=$1 p=$2
  ss -Hltn 2>/dev/null | awk -v a="$a" -v p="$p" '
    { l = $4 } l == a ":" p || l == "0.0.0.0:" p || l == "*:" p { found = 1 }
    END { exit !found }'
}

preflight() {
  local b i a
  for b in "$MARIADBD" "$SSHD"; do [[ -x $b ]] || die "$b not found (install mariadb-server / openssh-server)"; done
  for b in mariadb mariadb-install-db ssh ssh-keygen ss timeout setsid flock; do
    command -v "$b" >/dev/null || die "'$b' not found in PATH"
  done
  id mysql >/dev/null 2>&1 || die "system user 'mysql' is missing (install mariadb-server)"
  [[ $(id -u) == 0 ]] || die "must run as root (mariadbd runs as user mysql, sshd needs root)"
  [[ $DIR != *[\"\\\ ]* ]] || die "DIR must not contain quotes, backslashes or spaces: $DIR"
  if [[ $MODE == loopback ]]; then
    for ((i = 0; i <= REPLICAS; i++)); do
      a=$(addr_of "$i")
      if port_taken "$a" "$MYSQL_PORT"; then
        die "port $MYSQL_PORT on $a is already taken (ss -ltnp shows who); is another sandbox or mariadb running?"
      fi
      if port_taken "$a" "$SSH_PORT"; then
        die "port $SSH_PORT on $a is already taken; set MHA_SANDBOX_SSH_PORT to a free port"
      fi
    done
  else
    command -v ip >/dev/null || die "'ip' (iproute2) not found"
    if [[ -n $(ip -4 -o addr show to "${NETNS_PREFIX}0/24" 2>/dev/null) ]]; then
      die "${NETNS_PREFIX}0/24 is already in use here ($(ip -4 -o addr show to "${NETNS_PREFIX}0/24" | awk '{print $2}' | tr '\n' ' ')); another netns sandbox running? (only one netns sandbox at a time)"
    fi
  fi
}

setup_ssh_keys() {
  local d=$DIR/ssh
  mkdir -p "$d"; chmod 700 "$d"
  [[ -f $d/host_ed25519_key ]] || ssh-keygen -q -t ed25519 -N '' -C mha-sandbox-host -f "$d/host_ed25519_key"
  [[ -f $d/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C mha-sandbox-client -f "$d/id_ed25519"
  chmod 600 "$d/host_ed25519_key" "$d/id_ed25519"
  cp "$d/id_ed25519.pub" "$d/authorized_keys"
  chmod 600 "$d/authorized_keys"
  [[ -d /run/sshd ]] || mkdir -m 0755 /run/sshd   # sshd's privilege separation dir
}

# A CA, one server certificate whose subjectAltName holds every address a
# client may connect to (each host's, the netns VIP, 127.0.0.1, localhost),
# and one client certificate (mha and repl are created REQUIRE X509). EC
# keys: fast to make. Made anew on each start (the addresses depend on the
# mode); readable by mysql (mariadbd) and root (mhad, the tests). ca.key
# stays, so that a test can issue another certificate; each host serves its
# own copy of the server certificate (hostI/tls-server.{pem,key}), so that
# a test can replace one host's and `FLUSH SSL` there.
setup_tls() {
  local d=$DIR/tls i san="DNS:localhost,IP:127.0.0.1"
  rm -rf -- "$d"; mkdir -p "$d"
  for ((i = 0; i <= REPLICAS; i++)); do san+=",IP:$(addr_of "$i")"; done
  [[ $MODE == netns ]] && san+=",IP:${NETNS_VIP%/*}"
  make_certs "$d" "$san"
  chown -R mysql:mysql "$d"
  chmod 755 "$d"; chmod 644 "$d"/*.pem; chmod 600 "$d"/*.key
}

# In directory D: ca.{pem,key}, server.{pem,key} for the subjectAltName
# list SAN with extendedKeyUsage SERVER_EKU (default serverAuth),
# client.{pem,key} with subject CLIENT_SUBJECT (default CN "mha-sandbox
# client").
make_certs() {  # D SAN [SERVER_EKU [CLIENT_SUBJECT]]
  local d=$1 san=$2 server_eku=${3:-serverAuth} client_subject=${4:-/CN=mha-sandbox client}
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  {
    openssl req -x509 "${ec[@]}" -days 3650 -subj "/CN=mha-sandbox CA" -keyout "$d/ca.key" -out "$d/ca.pem" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
    openssl req "${ec[@]}" -subj "/CN=mha-sandbox server" -keyout "$d/server.key" -out "$d/server.csr" &&
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
      -out "$d/server.pem" -extfile <(printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=%s\n' "$san" "$server_eku") &&
    openssl req "${ec[@]}" -subj "$client_subject" -keyout "$d/client.key" -out "$d/client.csr" &&
    openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
      -out "$d/client.pem" -extfile <(printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n')
  } >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; die "openssl could not make the sandbox certificates"; }
  rm -f -- "$d"/*.csr "$d"/*.srl
}

netns_record() { printf '%s %s\n' "$1" "$2" >>"$DIR/netns.list"; }

setup_netns() {
  local br i ns v p
  br=$(bridge_name)
  ip link add "$br" type bridge 2>/dev/null ||
    die "cannot create bridge $br (ip link add ... type bridge failed: no CAP_NET_ADMIN? run as root outside a restricted container)"
  netns_record bridge "$br"
  ip addr add "$NETNS_BRIDGE_ADDR/24" dev "$br"
  ip link set "$br" up
  for ((i = 0; i <= REPLICAS; i++)); do
    ns=$(ns_of "$i") v=$(veth_of "$i") p=$(peer_of "$i")
    ip netns add "$ns" 2>/dev/null || die "cannot create network namespace $ns (ip netns add failed: permission?)"
    netns_record ns "$ns"
    ip link add "$v" type veth peer name "$p"
    netns_record veth "$v"
    ip link set "$v" master "$br"
    ip link set "$v" up
    ip link set "$p" netns "$ns"
    ip -n "$ns" link set "$p" name "$NETNS_IFACE"
    ip -n "$ns" addr add "$(addr_of "$i")/24" dev "$NETNS_IFACE"
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$NETNS_IFACE" up
  done
}

write_mycnf() {  # I
  local i=$1 h bind ro
  h=$(hostdir "$i")
  if [[ $MODE == netns ]]; then bind=0.0.0.0; else bind=$(addr_of "$i"); fi
  if ((i == 0)); then ro=OFF; else ro=ON; fi
  cat >"$h/my.cnf" <<EOF
# generated by $PROG for sandbox host $i ($(addr_of "$i"))
[mysqld]
user                            = mysql
datadir                         = $h/data
tmpdir                          = $h/tmp
socket                          = $h/mysql.sock
pid-file                        = $h/mariadbd.pid
log-error                       = $h/mariadbd.err
bind-address                    = $bind
port                            = $MYSQL_PORT
report_host                     = $(addr_of "$i")
report_port                     = $MYSQL_PORT
server_id                       = $((i + 1))
log_bin                         = mariadb-bin
log_slave_updates               = ON
binlog_format                   = ROW
gtid_strict_mode                = ON
sync_binlog                     = 1
innodb_flush_log_at_trx_commit  = 1
relay_log                       = relay-bin
skip-name-resolve
read_only                       = $ro
max_connections                 = ${MHA_SANDBOX_MAX_CONNECTIONS:-500}
innodb_buffer_pool_size         = 32M
innodb_log_file_size            = 8M
performance_schema              = OFF
rpl_semi_sync_master_enabled    = ON
rpl_semi_sync_slave_enabled     = ON
rpl_semi_sync_master_wait_point = AFTER_SYNC
rpl_semi_sync_master_timeout    = 1000
slave_net_timeout               = 4
EOF
  if [[ $TLS == 1 ]]; then
    cp "$DIR/tls/server.pem" "$h/tls-server.pem"
    cp "$DIR/tls/server.key" "$h/tls-server.key"
    cat >>"$h/my.cnf" <<EOF
ssl_ca                          = $DIR/tls/ca.pem
ssl_cert                        = $h/tls-server.pem
ssl_key                         = $h/tls-server.key
require_secure_transport        = ON
EOF
  fi
}

# One mariadb-install-db into host0, copied to the other hosts (a datadir
# holds no per-server identity in MariaDB; server_id comes from my.cnf).
install_datadirs() {
  local i h0 h
  h0=$(hostdir 0)
  cat >"$DIR/install.cnf" <<EOF
[mysqld]
datadir                 = $h0/data
innodb_buffer_pool_size = 32M
innodb_log_file_size    = 8M
EOF
  if ! timeout 120 mariadb-install-db --defaults-file="$DIR/install.cnf" --user=mysql \
        --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
        >"$DIR/install.log" 2>&1; then
    tail -n 20 "$DIR/install.log" >&2
    die "mariadb-install-db failed (log: $DIR/install.log)"
  fi
  for ((i = 1; i <= REPLICAS; i++)); do
    h=$(hostdir "$i")
    cp -a "$h0/data" "$h/data"
  done
}

start_mariadbd() {  # I  (launch only; see wait_mariadbd)
  local i=$1 h pid
  h=$(hostdir "$i")
  rm -f "$h/pid.mariadbd"
  if [[ $MODE == netns ]]; then
    spawn "$h/mariadbd.out" ip netns exec "$(ns_of "$i")" "$MARIADBD" --defaults-file="$h/my.cnf"
  else
    spawn "$h/mariadbd.out" "$MARIADBD" --defaults-file="$h/my.cnf"
  fi
  pid=$!
  echo "$pid" >"$h/pid.mariadbd"
}

wait_mariadbd() {  # I
  local i=$1 h pid deadline
  h=$(hostdir "$i")
  pid=$(read_pid "$h/pid.mariadbd")
  deadline=$(( $(date +%s) + T_SERVER_START ))
  while ! sql_ok "$i"; do
    if ! still_child "$pid"; then
      log "mariadbd of host $i (pid $pid) exited during startup; last lines of $h/mariadbd.err and mariadbd.out:"
      tail -n 15 "$h/mariadbd.err" "$h/mariadbd.out" >&2 2>/dev/null || true
      return 1
    fi
    if (( $(date +%s) >= deadline )); then
      log "timed out after ${T_SERVER_START}s waiting for mariadbd of host $i to accept connections on $h/mysql.sock"
      tail -n 15 "$h/mariadbd.err" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.1
  done
  local own; own=$(read_pid "$h/mariadbd.pid")
  if [[ -n $own && $own != "$pid" ]]; then
    log "WARNING: host $i: mariadbd.pid says $own, launched pid $pid"
  fi
}

write_sshd_config() {  # I
  local i=$1 h
  h=$(hostdir "$i")
  # StrictModes no: sshd's StrictModes refuses an AuthorizedKeysFile whose
  # file or any parent directory is group/world-writable or not owned by
  # root/the user; the sandbox lives under /tmp (mode 1777) or a caller's
  # directory, so strict checking would reject every login.
  # UsePAM no: no PAM session (no systemd-logind, no password prompts).
  cat >"$h/sshd_config" <<EOF
# generated by $PROG for sandbox host $i
ListenAddress $(addr_of "$i"):$SSH_PORT
PidFile $h/sshd.pid
HostKey $DIR/ssh/host_ed25519_key
AuthorizedKeysFile $DIR/ssh/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp internal-sftp
LogLevel INFO
EOF
}

start_sshd() {  # I
  local i=$1 h
  h=$(hostdir "$i")
  rm -f "$h/pid.sshd"
  # -D: stay in the foreground, so $! is the listener's PID; -E: log file.
  if [[ $MODE == netns ]]; then
    spawn "$h/sshd.out" ip netns exec "$(ns_of "$i")" "$SSHD" -D -f "$h/sshd_config" -E "$h/sshd.log"
  else
    spawn "$h/sshd.out" "$SSHD" -D -f "$h/sshd_config" -E "$h/sshd.log"
  fi
  echo "$!" >"$h/pid.sshd"
}

ssh_check() {  # I
  timeout 10 ssh -i "$DIR/ssh/id_ed25519" -p "$SSH_PORT" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=5 \
    -o LogLevel=ERROR "root@$(addr_of "$1")" true </dev/null
}

wait_sshd() {  # I
  local i=$1 h deadline
  h=$(hostdir "$i")
  deadline=$(( $(date +%s) + T_SSH ))
  while ! ssh_check "$i" >/dev/null 2>&1; do
    if ! still_child "$(read_pid "$h/pid.sshd")"; then
      log "sshd of host $i exited; last lines of $h/sshd.log / sshd.out:"
      tail -n 10 "$h/sshd.log" "$h/sshd.out" >&2 2>/dev/null || true
      return 1
    fi
    if (( $(date +%s) >= deadline )); then
      log "timed out after ${T_SSH}s waiting for ssh root@$(addr_of "$i") -p $SSH_PORT; last lines of $h/sshd.log:"
      tail -n 10 "$h/sshd.log" >&2 2>/dev/null || true
      ssh_check "$i" || true
      return 1
    fi
    sleep 0.1
  done
}

master_addr() { addr_of 0; }

setup_replication() {
  local i pos rpos st io sql x509="" ssl=""
  if [[ $TLS == 1 ]]; then
    x509="REQUIRE X509"
    ssl=", MASTER_SSL=1, MASTER_SSL_CA='$DIR/tls/ca.pem', MASTER_SSL_CERT='$DIR/tls/client.pem',
  MASTER_SSL_KEY='$DIR/tls/client.key', MASTER_SSL_VERIFY_SERVER_CERT=1"
  fi
  for ((i = 1; i <= REPLICAS; i++)); do
    rpos=$(sqlq "$i" "SELECT @@gtid_binlog_pos")
    [[ -z $rpos ]] || die "replica host $i has binlogged transactions before replication started ($rpos)"
  done
  # Users are created on the master with the binlog on, so they replicate:
  # every server ends with the same GTIDs and no replica has errant ones.
  # Semi-sync is switched off meanwhile so the first commits do not wait
  # rpl_semi_sync_master_timeout for replicas that are not attached yet.
  sqlq 0 "SET GLOBAL rpl_semi_sync_master_enabled = OFF;
CREATE DATABASE mha_test;
CREATE USER 'repl'@'%' IDENTIFIED BY 'replpass' $x509;
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';
CREATE USER 'mha'@'%' IDENTIFIED BY 'mhapass' $x509;
GRANT ALL PRIVILEGES ON *.* TO 'mha'@'%' WITH GRANT OPTION;
CREATE USER 'app'@'%' IDENTIFIED BY 'apppass';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON mha_test.* TO 'app'@'%';
SET GLOBAL rpl_semi_sync_master_enabled = ON;" >/dev/null
  pos=$(sqlq 0 "SELECT @@gtid_binlog_pos")
  phase "users created on the master ($pos); attaching replicas"
  for ((i = 1; i <= REPLICAS; i++)); do
    sqlq "$i" "CHANGE MASTER TO MASTER_HOST='$(master_addr)', MASTER_PORT=$MYSQL_PORT,
  MASTER_USER='repl', MASTER_PASSWORD='replpass', MASTER_USE_GTID=slave_pos,
  MASTER_HEARTBEAT_PERIOD=1, MASTER_CONNECT_RETRY=1$ssl; START SLAVE;" >/dev/null
  done
  for ((i = 1; i <= REPLICAS; i++)); do
    st=$(sqlq "$i" "SELECT MASTER_GTID_WAIT('$pos', $T_REPL)")
    if [[ $st != 0 ]]; then
      timeout 10 mariadb --no-defaults --socket="$(sock "$i")" -uroot -e 'SHOW SLAVE STATUS\G' >&2 || true
      die "replica host $i did not reach the master's gtid_binlog_pos $pos within ${T_REPL}s"
    fi
    io=$(slave_field "$i" Slave_IO_Running) sql=$(slave_field "$i" Slave_SQL_Running)
    if [[ $io != Yes || $sql != Yes ]]; then
      wait_for "$T_REPL" "replica host $i IO and SQL threads running" repl_running "$i" ||
        die "replica host $i: Slave_IO_Running=$(slave_field "$i" Slave_IO_Running) Slave_SQL_Running=$(slave_field "$i" Slave_SQL_Running) Last_IO_Error=$(slave_field "$i" Last_IO_Error)"
    fi
    rpos=$(sqlq "$i" "SELECT @@gtid_binlog_pos")
    [[ $rpos == "$pos" ]] || die "replica host $i gtid_binlog_pos '$rpos' differs from the master's '$pos' (errant transactions?)"
  done
  phase "replicas caught up; waiting for semi-sync"
  # Bounded wait for every replica to be registered as a semi-sync client,
  # so the first test write already waits for an acknowledgement.
  wait_for 15 "master semi-sync clients = $REPLICAS and status ON" semisync_ready ||
    log "WARNING: semi-sync not fully active on the master: $(sqlq 0 "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'" | tr '\t\n' '= ' )"
}

repl_running() {
  [[ $(slave_field "$1" Slave_IO_Running) == Yes && $(slave_field "$1" Slave_SQL_Running) == Yes ]]
}

semisync_ready() {
  local out
  out=$(sqlq 0 "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_clients','Rpl_semi_sync_master_status')")
  grep -qx "Rpl_semi_sync_master_clients"$'\t'"$REPLICAS" <<<"$out" &&
    grep -qx "Rpl_semi_sync_master_status"$'\t'"ON" <<<"$out"
}

print_env() {
  local i hosts="" socks="" nss="" veths=""
  for ((i = 0; i <= REPLICAS; i++)); do
    hosts+="${hosts:+ }$(addr_of "$i")"
    socks+="${socks:+ }$(sock "$i")"
    if [[ $MODE == netns ]]; then nss+="${nss:+ }$(ns_of "$i")"; veths+="${veths:+ }$(veth_of "$i")"; fi
  done
  printf "export MHA_SANDBOX_DIR='%s'\n" "$DIR"
  printf "export MHA_SANDBOX_MODE='%s'\n" "$MODE"
  printf "export MHA_SANDBOX_HOSTS='%s'\n" "$hosts"
  printf "export MHA_SANDBOX_MASTER='%s'\n" "$(addr_of 0)"
  printf "export MHA_SANDBOX_PORT='%s'\n" "$MYSQL_PORT"
  printf "export MHA_SANDBOX_SSH_PORT='%s'\n" "$SSH_PORT"
  printf "export MHA_SANDBOX_SSH_USER='root'\n"
  printf "export MHA_SANDBOX_SSH_KEY='%s'\n" "$DIR/ssh/id_ed25519"
  printf "export MHA_SANDBOX_SOCKETS='%s'\n" "$socks"
  printf "export MHA_SANDBOX_REPLICAS='%s'\n" "$REPLICAS"
  if [[ $TLS == 1 ]]; then
    printf "export MHA_SANDBOX_TLS_CA='%s'\n" "$DIR/tls/ca.pem"
    printf "export MHA_SANDBOX_TLS_CERT='%s'\n" "$DIR/tls/client.pem"
    printf "export MHA_SANDBOX_TLS_KEY='%s'\n" "$DIR/tls/client.key"
  fi
  if [[ $MODE == netns ]]; then
    printf "export MHA_SANDBOX_NETNS='%s'\n" "$nss"
    printf "export MHA_SANDBOX_VETHS='%s'\n" "$veths"
    printf "export MHA_SANDBOX_BRIDGE='%s'\n" "$(bridge_name)"
    printf "export MHA_SANDBOX_MANAGER_ADDR='%s'\n" "$NETNS_BRIDGE_ADDR"
    printf "export MHA_SANDBOX_VIP='%s'\n" "$NETNS_VIP"
    printf "export MHA_SANDBOX_VIP_INTERFACE='%s'\n" "$NETNS_IFACE"
  fi
}

cmd_start() {
  local req_mode=loopback req_n=2 req_tls=0
  while (($#)); do
    case $1 in
      --replicas) req_n=${2:?--replicas needs a number}; shift 2 ;;
      --mode) req_mode=${2:?--mode needs loopback or netns}; shift 2 ;;
      --tls) req_tls=1; shift ;;
      *) die "start: unknown argument '$1'" ;;
    esac
  done
  [[ $req_n =~ ^[0-9]+$ ]] && ((req_n >= 1 && req_n <= MAX_REPLICAS)) || die "--replicas must be 1..$MAX_REPLICAS"
  [[ $req_mode == loopback || $req_mode == netns ]] || die "--mode must be loopback or netns"

  mkdir -p "$DIR"
  if [[ ! -f $DIR/.mha-sandbox && -n $(ls -A "$DIR") ]]; then
    die "$DIR exists, is not empty and is not a sandbox directory; choose another --dir"
  fi
  touch "$DIR/.mha-sandbox"
  exec 9>"$DIR/.lock"
  flock -w 120 9 || die "another $PROG is working on $DIR (lock $DIR/.lock held for 120 s)"

  if load_state; then
    if [[ -f $DIR/started ]] && all_alive; then
      local tls_text=""; [[ $TLS == 1 ]] && tls_text=", TLS"
      if [[ $MODE != "$req_mode" || $REPLICAS != "$req_n" || $TLS != "$req_tls" ]]; then
        die "a $MODE sandbox ($REPLICAS replicas$tls_text) is running in $DIR; stop it first ($PROG stop --dir $DIR)"
      fi
      log "sandbox already running in $DIR ($MODE, $REPLICAS replicas$tls_text)"
      print_env
      return 0
    fi
    log "found a stopped or half-started sandbox in $DIR: cleaning it up"
    do_stop 0
  fi

  local t0 i; t0=$(now); T0=$t0
  MODE=$req_mode REPLICAS=$req_n TLS=$req_tls
  if [[ $MODE == netns ]]; then SSH_PORT=22; else SSH_PORT=${MHA_SANDBOX_SSH_PORT:-2222}; fi
  [[ $SSH_PORT =~ ^[0-9]+$ ]] || die "MHA_SANDBOX_SSH_PORT must be a number"
  SBID=$(printf '%s' "$DIR" | sha1sum | cut -c1-6)
  preflight

  rm -rf -- "$DIR"/host* "$DIR/tls" "$DIR/started" "$DIR/netns.list" "$DIR/install.cnf" "$DIR/install.log"
  printf 'mode=%s\nreplicas=%s\nssh_port=%s\nid=%s\ntls=%s\n' "$MODE" "$REPLICAS" "$SSH_PORT" "$SBID" "$TLS" \
    >"$DIR/sandbox.state"
  chmod 755 "$DIR"

  # On failure: report, then stop what was started (unless asked to keep it).
  # shellcheck disable=SC2154  # rc is assigned inside the trap string
  trap 'rc=$?; trap - EXIT; if ((rc)); then log "start failed (exit $rc)"; if [[ ${MHA_SANDBOX_KEEP_ON_FAILURE:-0} == 1 ]]; then log "left as is for debugging: $PROG stop --dir $DIR"; else do_stop 0 || true; fi; fi; exit $rc' EXIT

  log "starting $MODE sandbox in $DIR: 1 master + $REPLICAS replicas$([[ $TLS == 1 ]] && echo ', TLS only')"
  phase "ssh keys"
  setup_ssh_keys
  if [[ $TLS == 1 ]]; then phase "TLS certificates"; setup_tls; fi
  if [[ $MODE == netns ]]; then phase "namespaces"; setup_netns; fi
  for ((i = 0; i <= REPLICAS; i++)); do
    mkdir -p "$(hostdir "$i")/tmp"
  done
  phase "mariadb-install-db"
  install_datadirs
  phase "configs"
  for ((i = 0; i <= REPLICAS; i++)); do
    write_mycnf "$i"
    write_sshd_config "$i"
    chown -R mysql:mysql "$(hostdir "$i")"
  done
  runuser -u mysql -- test -w "$(hostdir 0)" ||
    die "user mysql cannot reach $(hostdir 0): a parent directory of $DIR is not searchable by others; use another --dir"
  phase "launch mariadbd and sshd"
  for ((i = 0; i <= REPLICAS; i++)); do start_mariadbd "$i"; start_sshd "$i"; done
  phase "wait for mariadbd"
  for ((i = 0; i <= REPLICAS; i++)); do wait_mariadbd "$i" || die "mariadbd of host $i did not start"; done
  phase "wait for sshd"
  local -a waiters=()
  for ((i = 0; i <= REPLICAS; i++)); do wait_sshd "$i" & waiters+=("$!"); done
  for ((i = 0; i <= REPLICAS; i++)); do wait "${waiters[$i]}" || die "sshd of host $i did not start"; done
  phase "replication"
  setup_replication
  touch "$DIR/started"
  trap - EXIT
  log "sandbox started in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
  print_env
}

# ---------------------------------------------------------------- other commands

host_index() {  # validate I
  [[ $1 =~ ^[0-9]+$ ]] && (($1 <= REPLICAS)) || die "host index must be 0..$REPLICAS (0 = master), got '$1'"
}

cmd_status() {
  require_state
  local i m s role a ro io sq
  printf '%-5s %-13s %-18s %-14s %s\n' HOST ADDRESS MARIADBD SSHD ROLE
  for ((i = 0; i <= REPLICAS; i++)); do
    a=$(addr_of "$i")
    if mariadbd_alive "$i"; then
      m="$(read_pid "$(hostdir "$i")/pid.mariadbd") alive"
      if [[ $(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$(read_pid "$(hostdir "$i")/pid.mariadbd")/stat") == T ]]; then
        m="$(read_pid "$(hostdir "$i")/pid.mariadbd") STOPPED"; role="? (frozen)"
      elif ro=$(sqlq "$i" "SELECT @@read_only" 2>/dev/null); then
        io=$(slave_field "$i" Slave_IO_Running)
        if [[ -n $io ]]; then
          sq=$(slave_field "$i" Slave_SQL_Running)
          role="replica of $(slave_field "$i" Master_Host) io=$io sql=$sq"
        else
          role=master
        fi
        [[ $ro == 1 ]] && role+=" read_only" || role+=" writable"
      else
        role="? (no answer)"
      fi
    else
      m="$(read_pid "$(hostdir "$i")/pid.mariadbd") dead"; m=${m# }; role="- (down)"
    fi
    if sshd_alive "$i"; then s="$(read_pid "$(hostdir "$i")/pid.sshd") alive"; else s="dead"; fi
    printf '%-5s %-13s %-18s %-14s %s\n' "$i" "$a" "$m" "$s" "$role"
  done
}

cmd_sql() {
  require_state
  [[ $# == 2 ]] || die "usage: $PROG sql I \"STATEMENT\""
  host_index "$1"
  sqlq "$1" "$2"
}

cmd_kill() {
  require_state
  [[ $# == 1 || $# == 2 ]] || die "usage: $PROG kill I [SIGNAL]"
  host_index "$1"
  local sig=${2:-KILL} pid
  pid=$(read_pid "$(hostdir "$1")/pid.mariadbd")
  mariadbd_alive "$1" || die "mariadbd of host $1 is not running (recorded pid: ${pid:-none})"
  kill -s "${sig#SIG}" "$pid" || die "kill -s $sig $pid failed"
  log "sent SIG${sig#SIG} to mariadbd of host $1 (pid $pid)"
}

cmd_start_server() {
  require_state
  [[ $# == 1 ]] || die "usage: $PROG start-server I"
  host_index "$1"
  exec 9>"$DIR/.lock"
  flock -w 120 9 || die "another $PROG is working on $DIR"
  if mariadbd_alive "$1"; then
    log "mariadbd of host $1 is already running (pid $(read_pid "$(hostdir "$1")/pid.mariadbd"))"
    return 0
  fi
  [[ -d $(hostdir "$1")/data ]] || die "no datadir for host $1"
  if [[ $MODE == netns ]] && ! ip netns list | awk '{print $1}' | grep -qx -- "$(ns_of "$1")"; then
    die "namespace $(ns_of "$1") is gone; restart the sandbox"
  fi
  local t0; t0=$(now)
  start_mariadbd "$1"
  wait_mariadbd "$1" || die "mariadbd of host $1 did not start"
  log "mariadbd of host $1 started (pid $(read_pid "$(hostdir "$1")/pid.mariadbd")) in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
}

cmd_gen_config() {
  require_state
  local out="" ping=1s i name auto=true ssl_mode="" ssl_ca=""
  while (($#)); do
    case $1 in
      --ping-interval) ping=${2:?--ping-interval needs a duration}; shift 2 ;;
      --no-auto-failover) auto=false; shift ;;
      --ssl-mode) ssl_mode=${2:?--ssl-mode needs a mode}; shift 2 ;;
      --ssl-ca) ssl_ca=${2:?--ssl-ca needs a path}; shift 2 ;;
      -*) die "gen-config: unknown option '$1'" ;;
      *) [[ -z $out ]] || die "gen-config: one OUTDIR only"; out=$1; shift ;;
    esac
  done
  [[ -n $out ]] || die "usage: $PROG gen-config OUTDIR [--ping-interval 1s] [--no-auto-failover]"
  [[ $ping =~ ^[0-9]+(ms|s|m|h)$ ]] || die "--ping-interval must look like 1s, 500ms, 2m"
  [[ -z $ssl_mode || $ssl_mode =~ ^(disabled|preferred|required|verify_ca|verify_identity)$ ]] ||
    die "--ssl-mode must be disabled, preferred, required, verify_ca or verify_identity"
  [[ $ssl_ca != *[\"\\\ ]* ]] || die "--ssl-ca must not contain quotes, backslashes or spaces"
  if [[ $TLS == 1 ]]; then ssl_mode=${ssl_mode:-verify_identity}; ssl_ca=${ssl_ca:-$DIR/tls/ca.pem}; fi
  out=$(abspath "$out")
  [[ $out != *[\"\\\ ]* ]] || die "OUTDIR must not contain quotes, backslashes or spaces"
  mkdir -p "$out/clusters.d" "$out/state"
  ( umask 077
    printf '%s' mhapass >"$out/mha.password"
    printf '%s' replpass >"$out/repl.password" )
  chmod 600 "$out/mha.password" "$out/repl.password"
  # Every host's sshd has the sandbox's one host key: mhad checks it
  # (ssh_host_key_checking = "yes", its default) against this file.
  : >"$out/known_hosts"
  for ((i = 0; i <= REPLICAS; i++)); do
    if [[ $SSH_PORT == 22 ]]; then printf '%s ' "$(addr_of "$i")"; else printf '[%s]:%s ' "$(addr_of "$i")" "$SSH_PORT"; fi
    cut -d' ' -f1,2 "$DIR/ssh/host_ed25519_key.pub"
  done >>"$out/known_hosts"
  cat >"$out/mhad.toml" <<EOF
# generated by $PROG gen-config for the $MODE sandbox in $DIR
[daemon]
socket = "$out/mhad.sock"
state_dir = "$out/state"
socket_group = "root"
admin_group = "root"
EOF
  {
    cat <<EOF
# generated by $PROG gen-config for the $MODE sandbox in $DIR
user = "mha"
password_file = "$out/mha.password"
repl_user = "repl"
repl_password_file = "$out/repl.password"
ping_interval = "$ping"
auto_failover = $auto
ssh_user = "root"
ssh_key = "$DIR/ssh/id_ed25519"
ssh_known_hosts = "$out/known_hosts"
master_binlog_dir = ["$(hostdir 0)/data"]
EOF
    if [[ -n $ssl_mode ]]; then
      printf 'ssl_mode = "%s"\n' "$ssl_mode"
      [[ -z $ssl_ca ]] || printf 'ssl_ca = "%s"\n' "$ssl_ca"
      # the sandbox's users require a client certificate (REQUIRE X509)
      [[ $TLS != 1 ]] || printf 'ssl_cert = "%s"\nssl_key = "%s"\n' "$DIR/tls/client.pem" "$DIR/tls/client.key"
    fi
    if [[ $MODE == netns ]]; then
      cat <<EOF

[vip]
address = "$NETNS_VIP"
interface = "$NETNS_IFACE"
EOF
    fi
    for ((i = 0; i <= REPLICAS; i++)); do
      if ((i == 0)); then name=master; else name=slave$i; fi
      printf '\n[[server]]\nname = "%s"\nhost = "%s"\nport = %s\nssh_port = %s\n' \
        "$name" "$(addr_of "$i")" "$MYSQL_PORT" "$SSH_PORT"
      # each host keeps its binlogs in its own datadir (all hosts share one
      # filesystem in the sandbox), needed once a replica has become master
      printf 'master_binlog_dir = ["%s/data"]\n' "$(hostdir "$i")"
      if ((i == 1)); then printf 'candidate_master = true\ncheck_repl_delay = false\n'; fi
    done
  } >"$out/clusters.d/sandbox.toml"
  log "wrote $out/mhad.toml and $out/clusters.d/sandbox.toml"
}

# ---------------------------------------------------------------- etcd

# etcd-start --tls / --auth, kept in DIR/etcd/options for the members'
# restarts: ETCD_TLS=1 serves clients over https only, with client
# certificates required (DIR/etcd/tls); ETCD_AUTH=1 has etcd's
# authentication on, with a user `mhad` allowed read-write under /mhad/
# (password in DIR/etcd/mhad.password) and root (DIR/etcd/root.password).
ETCD_TLS=0
ETCD_AUTH=0
load_etcd_options() {
  local f=$DIR/etcd/options
  [[ -f $f ]] || return 0
  ETCD_TLS=$(sed -n 's/^tls=//p' "$f"); ETCD_TLS=${ETCD_TLS:-0}
  ETCD_AUTH=$(sed -n 's/^auth=//p' "$f"); ETCD_AUTH=${ETCD_AUTH:-0}
}
etcd_tls_dir() { printf '%s/etcd/tls' "$DIR"; }
etcd_scheme() { if ((ETCD_TLS)); then printf https; else printf http; fi; }
# curl's and etcdctl's TLS flags, none without --tls.
etcd_curl_tls() {
  ((ETCD_TLS)) || return 0
  local t; t=$(etcd_tls_dir)
  printf -- '--cacert\n%s\n--cert\n%s\n--key\n%s\n' "$t/ca.pem" "$t/client.pem" "$t/client.key"
}
etcdctl_as_root() {
  local t args=(--endpoints "$(etcd_endpoints)" --command-timeout 5s)
  t=$(etcd_tls_dir)
  ((ETCD_TLS)) && args+=(--cacert "$t/ca.pem" --cert "$t/client.pem" --key "$t/client.key")
  ETCDCTL_API=3 etcdctl "${args[@]}" "$@"
}

etcd_dir() { printf '%s/etcd/m%s' "$DIR" "$1"; }
etcd_client_url() { printf '%s://127.0.0.1:%s' "$(etcd_scheme)" $((ETCD_CLIENT_BASE + $1)); }
etcd_peer_url() { printf 'http://127.0.0.1:%s' $((ETCD_PEER_BASE + $1)); }
etcd_alive() { pid_is "$(read_pid "$(etcd_dir "$1")/pid")" "$ETCD" "--data-dir $(etcd_dir "$1")/data"; }
etcd_endpoints() {
  local i out=""
  for ((i = 0; i < ETCD_MEMBERS; i++)); do out+="${out:+,}$(etcd_client_url "$i")"; done
  printf '%s' "$out"
}
etcd_healthy() {
  local tls=(); mapfile -t tls < <(etcd_curl_tls)
  curl -fsS -m 1 "${tls[@]+"${tls[@]}"}" "$(etcd_client_url "$1")/health" 2>/dev/null | grep -q '"health":"true"'
}

start_etcd_member() {  # I
  local i=$1 d cluster="" j state=new
  d=$(etcd_dir "$i")
  etcd_alive "$i" && return 0
  [[ -d $d/data/member ]] && state=existing
  mkdir -p "$d"
  for ((j = 0; j < ETCD_MEMBERS; j++)); do cluster+="${cluster:+,}m$j=$(etcd_peer_url "$j")"; done
  local tls=() t; t=$(etcd_tls_dir)
  ((ETCD_TLS)) && tls=(--cert-file "$t/server.pem" --key-file "$t/server.key" --trusted-ca-file "$t/ca.pem"
                      --client-cert-auth)
  spawn "$d/etcd.log" "$ETCD" "${tls[@]+"${tls[@]}"}" --name "m$i" --data-dir "$d/data" \
    --listen-client-urls "$(etcd_client_url "$i")" --advertise-client-urls "$(etcd_client_url "$i")" \
    --listen-peer-urls "$(etcd_peer_url "$i")" --initial-advertise-peer-urls "$(etcd_peer_url "$i")" \
    --initial-cluster "$cluster" --initial-cluster-state "$state" --initial-cluster-token "mhasb-etcd-$$" \
    --log-level warn
  echo $! >"$d/pid"
}

cmd_etcd_start() {
  local want_tls=0 want_auth=0
  while (($#)); do
    case $1 in
      --tls) want_tls=1; shift ;;
      --auth) want_auth=1; shift ;;
      *) die "etcd-start: unknown argument '$1'" ;;
    esac
  done
  [[ -x $ETCD ]] || die "$ETCD not found (apt-get install etcd-server)"
  mkdir -p "$DIR"
  [[ -f $DIR/.mha-sandbox ]] || touch "$DIR/.mha-sandbox"
  load_etcd_options
  if [[ -f $DIR/etcd/options ]] && ((ETCD_TLS != want_tls || ETCD_AUTH != want_auth)); then
    die "the etcd in $DIR/etcd was made with tls=$ETCD_TLS auth=$ETCD_AUTH; stop it and remove $DIR/etcd first"
  fi
  if [[ ! -f $DIR/etcd/options ]]; then
    ETCD_TLS=$want_tls ETCD_AUTH=$want_auth
    mkdir -p "$DIR/etcd"
    # What etcd 3.4's JSON gateway (mhad's way in) needs with client
    # certificates required: the gateway presents the server's certificate
    # to etcd's own gRPC side (so clientAuth too), and it refuses a client
    # certificate that has a CommonName (CN-based auth is off for it since
    # CVE-2018-16886).
    ((ETCD_TLS)) && { mkdir -p "$(etcd_tls_dir)"; make_certs "$(etcd_tls_dir)" "DNS:localhost,IP:127.0.0.1" \
                        serverAuth,clientAuth "/O=mha-sandbox/OU=mhad client"; }
    printf 'tls=%s\nauth=%s\n' "$ETCD_TLS" "$ETCD_AUTH" >"$DIR/etcd/options"
  fi
  local i
  for ((i = 0; i < ETCD_MEMBERS; i++)); do
    if ! etcd_alive "$i" && port_taken 127.0.0.1 $((ETCD_CLIENT_BASE + i)); then
      die "127.0.0.1:$((ETCD_CLIENT_BASE + i)) is taken by another process"
    fi
    start_etcd_member "$i"
  done
  for ((i = 0; i < ETCD_MEMBERS; i++)); do
    wait_for "$T_SERVER_START" "etcd member $i healthy" etcd_healthy "$i" ||
      die "etcd member $i did not become healthy; see $(etcd_dir "$i")/etcd.log"
  done
  ((ETCD_AUTH)) && etcd_enable_auth
  log "etcd: $ETCD_MEMBERS members up ($(etcd_endpoints))"
  printf 'export MHA_SANDBOX_ETCD_ENDPOINTS=%s\n' "$(etcd_endpoints)"
  if ((ETCD_TLS)); then
    printf "export MHA_SANDBOX_ETCD_CA='%s'\n" "$(etcd_tls_dir)/ca.pem"
    printf "export MHA_SANDBOX_ETCD_CERT='%s'\n" "$(etcd_tls_dir)/client.pem"
    printf "export MHA_SANDBOX_ETCD_KEY='%s'\n" "$(etcd_tls_dir)/client.key"
  fi
  if ((ETCD_AUTH)); then
    printf "export MHA_SANDBOX_ETCD_USER=mhad\n"
    printf "export MHA_SANDBOX_ETCD_PASSWORD_FILE='%s'\n" "$DIR/etcd/mhad.password"
  fi
}

# Once per data dir: root, a role `mhad` with read-write on /mhad/, a user
# `mhad` with it, then authentication on (etcd 3.4 wants root with the
# root role first).
etcd_enable_auth() {
  [[ -f $DIR/etcd/auth-enabled ]] && return 0
  local root_pw mhad_pw
  root_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  mhad_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  (umask 077; printf '%s\n' "$root_pw" >"$DIR/etcd/root.password"; printf '%s\n' "$mhad_pw" >"$DIR/etcd/mhad.password")
  {
    etcdctl_as_root user add "root:$root_pw" &&
    etcdctl_as_root user grant-role root root &&
    etcdctl_as_root role add mhad &&
    etcdctl_as_root role grant-permission mhad --prefix=true readwrite /mhad/ &&
    etcdctl_as_root user add "mhad:$mhad_pw" &&
    etcdctl_as_root user grant-role mhad mhad &&
    etcdctl_as_root auth enable
  } >"$DIR/etcd/auth.log" 2>&1 || { cat "$DIR/etcd/auth.log" >&2; die "etcd: could not turn authentication on"; }
  touch "$DIR/etcd/auth-enabled"
  log "etcd: authentication on (user mhad, read-write on /mhad/)"
}

stop_etcd() {
  local i pid any=0
  for ((i = 0; i < ETCD_MEMBERS; i++)); do
    if etcd_alive "$i"; then kill -TERM "$(read_pid "$(etcd_dir "$i")/pid")" 2>/dev/null || true; any=1; fi
  done
  ((any)) || return 0
  log "stopping etcd"
  local deadline=$(( $(date +%s) + T_STOP ))
  for ((i = 0; i < ETCD_MEMBERS; i++)); do
    while etcd_alive "$i"; do
      if (( $(date +%s) >= deadline )); then
        pid=$(read_pid "$(etcd_dir "$i")/pid"); log "etcd member $i still alive, SIGKILL $pid"
        kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; break
      fi
      sleep 0.1
    done
    rm -f "$(etcd_dir "$i")/pid"
  done
}

cmd_etcd_kill() {
  local i=${1:?etcd-kill needs a member 0-$((ETCD_MEMBERS - 1))} sig=${2:-KILL}
  [[ $i =~ ^[0-9]+$ ]] && ((i < ETCD_MEMBERS)) || die "etcd-kill: member must be 0-$((ETCD_MEMBERS - 1))"
  etcd_alive "$i" || die "etcd member $i is not running"
  kill -"$sig" "$(read_pid "$(etcd_dir "$i")/pid")"
  log "sent SIG$sig to etcd member $i"
}

# ---------------------------------------------------------------- main

main() {
  (($#)) || { usage >&2; exit 2; }
  local cmd=$1; shift
  local -a rest=()
  local purge=0
  DIR=$DEFAULT_DIR
  while (($#)); do
    case $1 in
      --dir) DIR=${2:?--dir needs a path}; shift 2 ;;
      --dir=*) DIR=${1#--dir=}; shift ;;
      --purge) purge=1; shift ;;
      *) rest+=("$1"); shift ;;
    esac
  done
  DIR=$(abspath "$DIR")
  [[ $DIR != / && $DIR != /tmp && $DIR != "$HOME" ]] || die "refusing to use $DIR as sandbox directory"
  MODE=loopback REPLICAS=0 SSH_PORT=0 SBID="" TLS=0
  case $cmd in
    start) cmd_start "${rest[@]+"${rest[@]}"}" ;;
    stop)
      ((${#rest[@]} == 0)) || die "stop: unknown argument '${rest[0]}'"
      if [[ -d $DIR ]]; then
        [[ -f $DIR/.mha-sandbox ]] && { exec 9>"$DIR/.lock"; flock -w 120 9 || die "another $PROG is working on $DIR"; }
        load_state || true
      fi
      do_stop "$purge" ;;
    status) cmd_status ;;
    env) require_state; print_env ;;
    sql) cmd_sql "${rest[@]+"${rest[@]}"}" ;;
    kill) cmd_kill "${rest[@]+"${rest[@]}"}" ;;
    start-server) cmd_start_server "${rest[@]+"${rest[@]}"}" ;;
    gen-config) cmd_gen_config "${rest[@]+"${rest[@]}"}" ;;
    etcd-start) cmd_etcd_start "${rest[@]+"${rest[@]}"}" ;;
    etcd-stop) stop_etcd ;;
    etcd-kill) cmd_etcd_kill "${rest[@]+"${rest[@]}"}" ;;
    help|-h|--help) usage ;;
    *) usage >&2; die "unknown command '$cmd'" ;;
  esac
}

main "$@"
