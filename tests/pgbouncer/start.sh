#!/usr/bin/env bash
# Starts a PgBouncer of the tests' own in front of the PostgreSQL server on
# 127.0.0.1:5432, in transaction pooling mode with fewer server connections per
# database than the tests open (so that transactions really move between server
# connections), with its config, log and pid file in a fresh temporary directory.
# Prints the URL to reach `test` through it (the tests swap the database name), as
#   ORDERS_TEST_PGBOUNCER_URL=postgres://postgres@127.0.0.1:PORT/test
# Stop it with: kill "$(cat DIR/pgbouncer.pid)" (DIR is printed too).
set -euo pipefail

command -v pgbouncer > /dev/null || { echo "pgbouncer is not installed (apt-get install pgbouncer)" >&2; exit 1; }
dir=$(mktemp -d -t orders-pgbouncer-XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$dir/users.txt" <<USERS
"postgres" ""
USERS
cat > "$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 2000
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
# PgBouncer will not run as root.
if [ "$(id -u)" = 0 ]; then
  chown -R postgres:postgres "$dir"
  runuser -u postgres -- pgbouncer -d "$dir/pgbouncer.ini"
else
  pgbouncer -d "$dir/pgbouncer.ini"
fi
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 0.1
done
pg_isready -q -h 127.0.0.1 -p "$port" || { echo "pgbouncer did not start; its log:" >&2; cat "$dir/pgbouncer.log" >&2; exit 1; }
echo "PGBOUNCER_DIR=$dir"
echo "ORDERS_TEST_PGBOUNCER_URL=postgres://postgres@127.0.0.1:$port/test"
