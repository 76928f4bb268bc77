#!/usr/bin/env bash
# The Python client: checks the committed spec (JSON and YAML) with openapi-spec-validator,
# generates a client from it with openapi-python-client into a temporary directory (never
# committed), installs it into the venv, and runs smoke_test.py with pytest against a
# real orders-server. Exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

python_venv
SPEC=$ROOT/openapi/openapi.json

echo "== openapi-spec-validator openapi/openapi.json openapi/openapi.yaml"
openapi-spec-validator "$SPEC" "$ROOT/openapi/openapi.yaml"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "== openapi-python-client generate (into $WORK)"
(cd "$WORK" && openapi-python-client generate --path "$SPEC" --meta setup --output-path "$WORK/client" --fail-on-warning)
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall "$WORK/client"

start_server
trap 'stop_server; rm -rf "$WORK"' EXIT
echo "== pytest tests/python/smoke_test.py"
ORDERS_BASE_URL=$BASE_URL pytest -p no:cacheprovider -q "$ROOT/tests/python/smoke_test.py"
