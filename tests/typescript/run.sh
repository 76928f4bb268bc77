#!/usr/bin/env bash
# The TypeScript client (openapi/typescript-client): installs its pinned npm packages with
# `npm ci`, then runs its `npm test` (generates the client from openapi/openapi.json with
# openapi-typescript, compiles with tsc, runs the compiled tests with `node --test`) against
# a real orders-server started with --demo. Exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/../python/lib.sh"

PACKAGE=$ROOT/openapi/typescript-client

echo "== npm ci (openapi/typescript-client)"
(cd "$PACKAGE" && npm ci --no-audit --no-fund)

# start_server waits for GET /ready with "$VENV/bin/python", using only the standard
# library: without the venv of tests/python/run.sh, a bare one (no pip, no download) does.
if [ ! -x "$VENV/bin/python" ]; then
  VENV=$TARGET_DIR/python-bare-venv
  [ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv --without-pip "$VENV"
fi

start_server
echo "== npm test (openapi/typescript-client, ORDERS_URL=$BASE_URL)"
(cd "$PACKAGE" && ORDERS_URL=$BASE_URL npm test)
