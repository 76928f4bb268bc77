#!/usr/bin/env bash
# The replicated deployment on one machine, for development, tests, and as the reference
# for a real one (docs/deployment.md):
#
#   etcd (one node)  <-  three Patroni-managed PostgreSQL 15 nodes, synchronous_mode on
#   HAProxy  :PRIMARY  -> the Patroni leader     (Patroni's REST check GET /primary)
#            :REPLICA  -> the streaming replicas (GET /replica), the leader if none is up
#            :ORDERS   -> two orders-server processes (GET /health), X-Forwarded-For added
#
# Usage: deploy/local-cluster.sh up | down | status | kill-primary | switchover
#
#   up            starts whatever is not running (all of it, the first time; a node that
#                 kill-primary took down, after), waits until the service answers through
#                 HAProxy, and prints ORDERS_URL=, PRIMARY_URL=, REPLICA_URL=,
#                 CLUSTER_DIR= and SERVER_URLS= (each server, not through HAProxy) lines
#   down          stops everything it started; nothing is left running
#   status        the Patroni members, HAProxy's view of each server, the servers' /ready
#   kill-primary  what losing the leader's machine does: SIGKILL to the leader's Patroni and
#                 postmaster (killing the postmaster alone makes Patroni restart it in place);
#                 prints KILLED=<node> and KILLED_AT=<unix time, ms>
#   switchover    a planned switchover through Patroni's REST API; prints SWITCHOVER_FROM=
#                 and SWITCHOVER_AT=
#
# Settings (environment):
#   CLUSTER_DIR   where everything lives: configs, data, logs, pid files (default: a fresh
#                 temporary directory, printed by `up`; give the same one to later commands)
#   BIN_DIR       where orders-server and ordersctl are (default: target/release)
#   ORDERS_SERVER_ARGS  more flags for both servers (e.g. --log-format json)
#   READ_ROUTING  1: the servers serve catalogue reads from REPLICA_URL
#                 (--replica-database-url); default 0
#
# Ports are picked free when the cluster is first made and kept in CLUSTER_DIR/cluster.env.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
command=${1:-}

# Patroni's timing (docs/deployment.md, "Tuning"): a dead leader's key expires within TTL
# seconds, members wake every LOOP_WAIT seconds, and give up on etcd or PostgreSQL after
# RETRY_TIMEOUT. Patroni needs LOOP_WAIT + 2 * RETRY_TIMEOUT <= TTL.
TTL=10
LOOP_WAIT=2
RETRY_TIMEOUT=4
NODES=(node1 node2 node3)
SERVERS=(orders1 orders2)
# The address HAProxy connects to the servers from, and the only one they trust to name
# the client in X-Forwarded-For. Anything else on the loopback (127.0.0.1) is a client.
PROXY_SOURCE=127.0.0.2

die() { echo "local-cluster: $*" >&2; exit 1; }
log() { echo "local-cluster: $*" >&2; }

# --- installing -------------------------------------------------------------------------

# Installs, with apt-get, the Debian packages whose programs are missing.
install_missing_packages() {
  local missing=()
  command -v patroni > /dev/null || missing+=(patroni)
  command -v etcd > /dev/null || missing+=(etcd-server)
  command -v haproxy > /dev/null || missing+=(haproxy)
  command -v curl > /dev/null || missing+=(curl)
  command -v psql > /dev/null || missing+=(postgresql-client-15)
  [ -x "$(pg_bin)/initdb" ] || missing+=(postgresql-15)
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" > /dev/null \
    || { apt-get update -qq && apt-get install -y -qq "${missing[@]}" > /dev/null; }
}

pg_bin() {
  local dir
  dir=$(pg_config --bindir 2> /dev/null || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; else echo /usr/lib/postgresql/15/bin; fi
}

# --- state ------------------------------------------------------------------------------

load_state() {
  [ -n "${CLUSTER_DIR:-}" ] || die "CLUSTER_DIR is not set: give the directory \`up\` printed"
  [ -f "$CLUSTER_DIR/cluster.env" ] || die "no cluster in $CLUSTER_DIR (run \`up\` first)"
  # shellcheck source=/dev/null
  . "$CLUSTER_DIR/cluster.env"
}

# Free TCP ports on 127.0.0.1, all held open until every one is picked.
free_ports() {
  python3 - "$1" << 'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# Writes CLUSTER_DIR/cluster.env: ports and secrets, picked once.
new_state() {
  local ports
  read -r -a ports <<< "$(free_ports 14)"
  umask 077
  cat > "$CLUSTER_DIR/cluster.env" << ENV
ETCD_CLIENT_PORT=${ports[0]}
ETCD_PEER_PORT=${ports[1]}
PG_PORTS=(${ports[2]} ${ports[3]} ${ports[4]})
API_PORTS=(${ports[5]} ${ports[6]} ${ports[7]})
PRIMARY_PORT=${ports[8]}
REPLICA_PORT=${ports[9]}
ORDERS_PORT=${ports[10]}
SERVER_PORTS=(${ports[11]} ${ports[12]})
STATS_PORT=${ports[13]}
SUPERUSER_PASSWORD=$(secret)
REPLICATION_PASSWORD=$(secret)
ORDERS_PASSWORD=$(secret)
JWT_SECRET=$(secret)
ENV
  umask 022
}

primary_url() { echo "postgres://orders:$ORDERS_PASSWORD@127.0.0.1:$PRIMARY_PORT/orders"; }
replica_url() { echo "postgres://orders:$ORDERS_PASSWORD@127.0.0.1:$REPLICA_PORT/orders"; }

# --- processes --------------------------------------------------------------------------

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2> /dev/null; }

# Runs a program as the `postgres` user when we are root (PostgreSQL refuses root), in
# the background, its output appended to $1, its pid written to $2.
spawn_as_postgres() {
  local out=$1 pidfile=$2
  shift 2
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid postgres --regid postgres --init-groups --reset-env "$@" >> "$out" 2>&1 &
  else
    "$@" >> "$out" 2>&1 &
  fi
  echo $! > "$pidfile"
}

wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" > /dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what did not happen within ${seconds}s (logs in $CLUSTER_DIR)"
    sleep 0.2
  done
}

http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true; }

# --- etcd -------------------------------------------------------------------------------

start_etcd() {
  alive "$CLUSTER_DIR/etcd/etcd.pid" && return
  mkdir -p "$CLUSTER_DIR/etcd"
  etcd --name etcd0 --data-dir "$CLUSTER_DIR/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "etcd0=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state new >> "$CLUSTER_DIR/etcd/etcd.log" 2>&1 &
  echo $! > "$CLUSTER_DIR/etcd/etcd.pid"
  wait_for "etcd answering" 30 curl -sf --max-time 1 "http://127.0.0.1:$ETCD_CLIENT_PORT/health"
}

# --- Patroni and PostgreSQL -------------------------------------------------------------

write_patroni_config() {
  local i=$1 name=${NODES[$1]} dir=$CLUSTER_DIR/${NODES[$1]}
  mkdir -p "$dir/log"
  cat > "$dir/patroni.yml" << YAML
scope: orders
name: $name
log:
  level: INFO
restapi:
  listen: 127.0.0.1:${API_PORTS[$i]}
  connect_address: 127.0.0.1:${API_PORTS[$i]}
etcd3:
  hosts: 127.0.0.1:$ETCD_CLIENT_PORT
bootstrap:
  dcs:
    ttl: $TTL
    loop_wait: $LOOP_WAIT
    retry_timeout: $RETRY_TIMEOUT
    # A replica more than 1 MiB behind is never promoted.
    maximum_lag_on_failover: 1048576
    # Every commit waits until the synchronous standby has it on disk, and only that
    # standby may be promoted: no acknowledged commit is lost in a failover.
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_connections: 100
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        # A standby whose primary went away tries its next one every second (default 5 s).
        wal_retrieve_retry_interval: 1s
  initdb:
    - encoding: UTF8
    - data-checksums
postgresql:
  listen: 127.0.0.1:${PG_PORTS[$i]}
  connect_address: 127.0.0.1:${PG_PORTS[$i]}
  data_dir: $dir/data
  bin_dir: $(pg_bin)
  pgpass: $dir/pgpass
  use_unix_socket: true
  authentication:
    superuser:
      username: postgres
      password: $SUPERUSER_PASSWORD
    replication:
      username: replicator
      password: $REPLICATION_PASSWORD
  parameters:
    unix_socket_directories: $dir
    logging_collector: "on"
    log_directory: $dir/log
    # Dead clients are noticed within about 30 s, and a query whose client went away stops.
    tcp_keepalives_idle: 10
    tcp_keepalives_interval: 5
    tcp_keepalives_count: 4
    client_connection_check_interval: 5s
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
  # A node that comes back after losing the leadership rewinds; if it cannot, it is
  # cloned again from the leader.
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
watchdog:
  mode: "off"
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
YAML
}

start_node() {
  local i=$1 dir=$CLUSTER_DIR/${NODES[$1]}
  alive "$dir/patroni.pid" && return
  [ -f "$dir/patroni.yml" ] || write_patroni_config "$i"
  # A postmaster left without its Patroni (as after a crash of Patroni alone) is Patroni's
  # to adopt; one whose pid file is stale is not running.
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; fi
  spawn_as_postgres "$dir/patroni.log" "$dir/patroni.pid" patroni "$dir/patroni.yml"
}

# The name of the node whose Patroni says it is the primary, if any.
leader() {
  local i
  for i in "${!NODES[@]}"; do
    if [ "$(http_status "http://127.0.0.1:${API_PORTS[$i]}/primary")" = 200 ]; then
      echo "${NODES[$i]}"
      return 0
    fi
  done
  return 1
}

index_of() {
  local i
  for i in "${!NODES[@]}"; do [ "${NODES[$i]}" = "$1" ] && { echo "$i"; return 0; }; done
  return 1
}

# Whether the cluster has a leader and a synchronous standby streaming from it.
has_sync_standby() {
  local cluster
  cluster=$(curl -sf --max-time 2 "http://127.0.0.1:${API_PORTS[$(index_of "$(leader)")]}/cluster") || return 1
  python3 -c '
import json, sys
members = json.load(sys.stdin)["members"]
sys.exit(0 if any(m["role"] == "sync_standby" and m["state"] in ("running", "streaming") for m in members) else 1)
' <<< "$cluster"
}

# Whether every node's Patroni answers and its PostgreSQL runs as leader or replica.
all_nodes_running() {
  local i
  for i in "${!NODES[@]}"; do
    [ "$(http_status "http://127.0.0.1:${API_PORTS[$i]}/health")" = 200 ] || return 1
  done
}

psql_primary() {
  PGPASSWORD=$SUPERUSER_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres "$@"
}

# The application's role and database, once, on the leader (through HAProxy).
create_database() {
  [ -f "$CLUSTER_DIR/database-created" ] && return
  psql_primary -d postgres -c "CREATE ROLE orders LOGIN PASSWORD '$ORDERS_PASSWORD'" \
    -c "CREATE DATABASE orders OWNER orders"
  touch "$CLUSTER_DIR/database-created"
}

# --- HAProxy ----------------------------------------------------------------------------

# An HAProxy section named $1 on port $2 forwarding to the nodes whose Patroni answers
# 200 to OPTIONS $3. A node is checked every second, every 250 ms while its state
# changes, every 500 ms while down; two failed checks take it out and close its sessions
# at once, one good check puts it in.
postgres_proxy() {
  local i
  cat << CFG
listen $1
    mode tcp
    bind 127.0.0.1:$2
    timeout client 30m
    timeout server 30m
    option httpchk OPTIONS $3
    http-check expect status 200
    default-server inter 1s fastinter 250ms downinter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
CFG
  for i in "${!NODES[@]}"; do
    echo "    server ${NODES[$i]} 127.0.0.1:${PG_PORTS[$i]} maxconn 90 check port ${API_PORTS[$i]}"
  done
}

write_haproxy_config() {
  local i cfg=$CLUSTER_DIR/haproxy/haproxy.cfg
  mkdir -p "$CLUSTER_DIR/haproxy"
  {
    cat << CFG
global
    maxconn 2000
    pidfile $CLUSTER_DIR/haproxy/haproxy.pid

defaults
    retries 2
    timeout connect 1s
    timeout check 1s

# Writes (and reads that must see them): the Patroni leader, and nothing else.
CFG
    postgres_proxy primary "$PRIMARY_PORT" /primary
    cat << CFG

# Catalogue reads: the streaming replicas, round robin (HAProxy's default); the leader
# only while no replica is up.
CFG
    postgres_proxy replicas "$REPLICA_PORT" /replica
    for i in "${!NODES[@]}"; do
      echo "    server ${NODES[$i]}-as-primary 127.0.0.1:${PG_PORTS[$i]} backup track primary/${NODES[$i]}"
    done
    cat << CFG

# The service: two stateless servers. HAProxy names the client in X-Forwarded-For and
# connects from $PROXY_SOURCE, the one address the servers trust to do so. A request is
# sent again only when it never reached a server (connection refused).
frontend orders
    mode http
    bind 127.0.0.1:$ORDERS_PORT
    timeout client 30s
    timeout http-request 10s
    timeout http-keep-alive 10s
    option forwardfor
    default_backend servers

backend servers
    mode http
    balance roundrobin
    timeout server 30s
    option redispatch
    retry-on conn-failure
    source $PROXY_SOURCE
    option httpchk GET /health
    http-check expect status 200
    default-server inter 1s fall 2 rise 1
CFG
    for i in "${!SERVERS[@]}"; do
      echo "    server ${SERVERS[$i]} 127.0.0.1:${SERVER_PORTS[$i]} check"
    done
    cat << CFG

listen stats
    mode http
    bind 127.0.0.1:$STATS_PORT
    stats enable
    stats uri /
CFG
  } > "$cfg"
  haproxy -c -q -f "$cfg" || die "HAProxy refuses its configuration ($cfg)"
}

start_haproxy() {
  alive "$CLUSTER_DIR/haproxy/haproxy.pid" && return
  [ -f "$CLUSTER_DIR/haproxy/haproxy.cfg" ] || write_haproxy_config
  haproxy -D -f "$CLUSTER_DIR/haproxy/haproxy.cfg" >> "$CLUSTER_DIR/haproxy/haproxy.log" 2>&1
}

# --- the servers ------------------------------------------------------------------------

start_server() {
  local i=$1 dir=$CLUSTER_DIR/${SERVERS[$1]}
  alive "$dir/server.pid" && return
  mkdir -p "$dir"
  local args=(--database-url "$(primary_url)" --bind "127.0.0.1:${SERVER_PORTS[$i]}"
    --jwt-secret "$JWT_SECRET" --trusted-proxies "$PROXY_SOURCE")
  [ "${READ_ROUTING:-0}" = 1 ] && args+=(--replica-database-url "$(replica_url)")
  # shellcheck disable=SC2086 # ORDERS_SERVER_ARGS is a list of flags
  (cd "$dir" && exec "$BIN_DIR/orders-server" "${args[@]}" ${ORDERS_SERVER_ARGS:-} >> server.log 2>&1) &
  echo $! > "$dir/server.pid"
}

# --- commands ---------------------------------------------------------------------------

up() {
  install_missing_packages
  BIN_DIR=$(cd "${BIN_DIR:-$repo/target/release}" 2> /dev/null && pwd) \
    || die "no BIN_DIR ${BIN_DIR:-$repo/target/release}: build with cargo build --release -p orders-server -p ordersctl"
  [ -x "$BIN_DIR/orders-server" ] || die "no orders-server in $BIN_DIR"
  if [ -z "${CLUSTER_DIR:-}" ]; then
    CLUSTER_DIR=$(mktemp -d -t orders-cluster-XXXXXX)
  fi
  mkdir -p "$CLUSTER_DIR"
  CLUSTER_DIR=$(cd "$CLUSTER_DIR" && pwd)
  # The postgres user walks to its nodes' directories.
  chmod 755 "$CLUSTER_DIR"
  [ -f "$CLUSTER_DIR/cluster.env" ] || new_state
  load_state

  start_etcd
  local i
  for i in "${!NODES[@]}"; do start_node "$i"; done
  start_haproxy
  wait_for "a Patroni leader" 120 leader
  wait_for "the leader reachable through HAProxy" 30 psql_primary -d postgres -c "SELECT 1"
  create_database
  wait_for "every node running" 180 all_nodes_running
  wait_for "a synchronous standby" 60 has_sync_standby
  for i in "${!SERVERS[@]}"; do start_server "$i"; done
  wait_for "both servers ready" 60 servers_ready
  echo "CLUSTER_DIR=$CLUSTER_DIR"
  echo "ORDERS_URL=http://127.0.0.1:$ORDERS_PORT"
  echo "PRIMARY_URL=$(primary_url)"
  echo "REPLICA_URL=$(replica_url)"
  echo "SERVER_URLS=http://127.0.0.1:${SERVER_PORTS[0]},http://127.0.0.1:${SERVER_PORTS[1]}"
}

servers_ready() {
  local i
  for i in "${!SERVERS[@]}"; do
    [ "$(http_status "http://127.0.0.1:${SERVER_PORTS[$i]}/ready")" = 200 ] || return 1
  done
  [ "$(http_status "http://127.0.0.1:$ORDERS_PORT/ready")" = 200 ]
}

# Sends SIGTERM to the process in $1, waits up to $2 seconds, then SIGKILL.
stop_pidfile() {
  local pidfile=$1 seconds=$2 pid
  alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2> /dev/null || true
  local deadline=$((SECONDS + seconds))
  while kill -0 "$pid" 2> /dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  kill -KILL "$pid" 2> /dev/null || true
  rm -f "$pidfile"
}

# The postmaster's pid, from the first line of its data directory's postmaster.pid.
postmaster_pid() {
  local file=$CLUSTER_DIR/$1/data/postmaster.pid
  [ -f "$file" ] && head -n 1 "$file"
}

down() {
  load_state
  local i name pid
  # No more requests, then the servers finish the ones they have.
  stop_pidfile "$CLUSTER_DIR/haproxy/haproxy.pid" 5
  for i in "${!SERVERS[@]}"; do stop_pidfile "$CLUSTER_DIR/${SERVERS[$i]}/server.pid" 35; done
  # Patroni stops its PostgreSQL on SIGTERM; one it left behind is stopped here.
  for name in "${NODES[@]}"; do stop_pidfile "$CLUSTER_DIR/$name/patroni.pid" 30; done
  for name in "${NODES[@]}"; do
    pid=$(postmaster_pid "$name" || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null; then
      kill -QUIT "$pid" 2> /dev/null || true
      sleep 1
      kill -KILL "$pid" 2> /dev/null || true
    fi
  done
  stop_pidfile "$CLUSTER_DIR/etcd/etcd.pid" 10
  # Whatever else runs from this directory (a backend outliving its postmaster).
  for pid in $(leftovers); do kill -KILL "$pid" 2> /dev/null || true; done
  sleep 0.5
  [ -z "$(leftovers)" ] || die "still running from $CLUSTER_DIR: $(leftovers)"
  log "stopped; $CLUSTER_DIR is left for its logs (rm -rf it when done)"
}

# Pids of the processes whose command line names CLUSTER_DIR or that run in it (as
# PostgreSQL's backends do, in their data directory).
leftovers() {
  local proc pid
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [ "$pid" = $$ ] && continue
    if { tr '\0' ' ' < "$proc/cmdline"; } 2> /dev/null | grep -qF -- "$CLUSTER_DIR/" \
      || [[ "$(readlink "$proc/cwd" 2> /dev/null)" == "$CLUSTER_DIR"/node*/data* ]]; then
      echo "$pid"
    fi
  done
}

status() {
  load_state
  local i
  patronictl -c "$CLUSTER_DIR/${NODES[0]}/patroni.yml" list 2> /dev/null || echo "(patronictl cannot reach etcd)"
  echo "HAProxy (proxy, server, status):"
  curl -sf --max-time 2 "http://127.0.0.1:$STATS_PORT/;csv" \
    | awk -F, '$2 != "FRONTEND" && $2 != "BACKEND" && NR > 1 {print "  " $1 " " $2 " " $18}' \
    || echo "  (HAProxy is not running)"
  for i in "${!SERVERS[@]}"; do
    echo "${SERVERS[$i]} /ready: $(http_status "http://127.0.0.1:${SERVER_PORTS[$i]}/ready")"
  done
  echo "through HAProxy /ready: $(http_status "http://127.0.0.1:$ORDERS_PORT/ready")"
}

now_ms() { date +%s%3N; }

kill_primary() {
  load_state
  local name pid patroni_pid
  name=$(leader) || die "no leader to kill"
  patroni_pid=$(cat "$CLUSTER_DIR/$name/patroni.pid")
  pid=$(postmaster_pid "$name") || die "no postmaster pid for $name"
  # Patroni first, so that it cannot restart the postmaster in between.
  kill -KILL "$patroni_pid" "$pid"
  echo "KILLED=$name"
  echo "KILLED_AT=$(now_ms)"
}

switchover() {
  load_state
  local name answer at
  name=$(leader) || die "no leader to switch over from"
  has_sync_standby || die "no synchronous standby to switch over to"
  at=$(now_ms)
  # Patroni answers once the new leader has taken over (or the switchover failed).
  answer=$(curl -s --max-time 30 -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d "{\"leader\": \"$name\"}" "http://127.0.0.1:${API_PORTS[$(index_of "$name")]}/switchover")
  [ "$(tail -n 1 <<< "$answer")" = 200 ] || die "Patroni refused the switchover: $answer"
  echo "SWITCHOVER_FROM=$name"
  echo "SWITCHOVER_AT=$at"
}

case "$command" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill-primary) kill_primary ;;
  switchover) switchover ;;
  *) die "usage: $0 up | down | status | kill-primary | switchover" ;;
esac
