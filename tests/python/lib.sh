# Sourced by tests/python/run.sh and tests/schemathesis/run.sh, which CI runs after
# `cargo test --workspace`: the pinned Python tools in a venv of their own, and a
# throw-away orders-server (SQLite in a temporary directory, --demo data) on a free port
# of 127.0.0.1, stopped when the sourcing script exits.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# Under target/: ignored by git, kept between runs, never the system's site-packages.
VENV=${ORDERS_PYTHON_VENV:-$TARGET_DIR/python-venv}
REQUIREMENTS=$ROOT/tests/python/requirements.txt

# The demo logins that `orders-server --demo` creates.
DEMO_ADMIN_EMAIL=admin@example.com
DEMO_ADMIN_PASSWORD=admin-password
DEMO_CUSTOMER_EMAIL=customer@example.com
DEMO_CUSTOMER_PASSWORD=customer-password

# Creates the venv with requirements.txt installed (again only when that file changed),
# and puts its bin/ first on PATH.
python_venv() {
  if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt"; then
    echo "== creating the Python venv $VENV from tests/python/requirements.txt"
    rm -rf "$VENV"
    "${PYTHON:-python3}" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/requirements.txt"
  fi
  export PATH="$VENV/bin:$PATH"
  "$VENV/bin/python" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
}

# Builds and starts orders-server; sets BASE_URL and SERVER_PID, and stops it on exit.
start_server() {
  (cd "$ROOT" && cargo build --quiet --workspace --bin orders-server)
  SERVER_DIR=$(mktemp -d)
  trap stop_server EXIT
  "$TARGET_DIR/debug/orders-server" \
    --bind 127.0.0.1:0 \
    --database-url "sqlite://$SERVER_DIR/orders.db?mode=rwc" \
    --jwt-secret "client-checks-$RANDOM-$RANDOM" \
    --demo >"$SERVER_DIR/stdout" 2>"$SERVER_DIR/server.log" </dev/null &
  SERVER_PID=$!
  BASE_URL=
  for _ in $(seq 1 600); do
    BASE_URL=$(sed -n 's/^listening on //p' "$SERVER_DIR/stdout")
    [ -n "$BASE_URL" ] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "orders-server exited before listening; its log:" >&2
      cat "$SERVER_DIR/server.log" >&2
      return 1
    fi
    sleep 0.1
  done
  if [ -z "$BASE_URL" ]; then
    echo "orders-server did not say where it listens within 60 s" >&2
    return 1
  fi
  "$VENV/bin/python" - "$BASE_URL" <<'PY'
import sys, time, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(sys.argv[1] + "/ready", timeout=5) as response:
            if response.status == 200:
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("orders-server never answered GET /ready")
    time.sleep(0.1)
PY
  echo "== orders-server (pid $SERVER_PID) listens on $BASE_URL"
}

# Stops the server started by start_server (SIGTERM, then waits), printing the end of
# its log if the sourcing script failed.
stop_server() {
  local status=$?
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "${SERVER_DIR:-}/server.log" ]; then
    echo "== the last lines orders-server logged:" >&2
    tail -n 40 "$SERVER_DIR/server.log" >&2
  fi
  [ -n "${SERVER_DIR:-}" ] && rm -rf "$SERVER_DIR"
  return "$status"
}

# Prints an access token for the user $1 with password $2 (POST /v1/auth/token).
access_token() {
  "$VENV/bin/python" - "$BASE_URL" "$1" "$2" <<'PY'
import json, sys, urllib.parse, urllib.request
base_url, username, password = sys.argv[1:]
form = urllib.parse.urlencode({"grant_type": "password", "username": username, "password": password}).encode()
with urllib.request.urlopen(urllib.request.Request(base_url + "/v1/auth/token", data=form), timeout=30) as response:
    print(json.load(response)["access_token"])
PY
}
