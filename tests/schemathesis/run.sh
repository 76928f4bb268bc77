#!/usr/bin/env bash
# Schemathesis against a live orders-server, for every operation of the committed spec
# and every check (tests/schemathesis/schemathesis.toml): no 5xx, every status, header,
# content type and body as the spec says, invalid requests refused and valid ones
# accepted. It runs twice, with a customer's token and then with an admin's, each
# bounded by --max-examples (SCHEMATHESIS_MAX_EXAMPLES, default 100) and a time limit.
# Exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/../python/lib.sh"

MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-100}
# Longest a run may take before it counts as failed (each has taken under a minute).
RUN_LIMIT_SECONDS=${SCHEMATHESIS_RUN_LIMIT_SECONDS:-600}

python_venv
start_server
# Schemathesis and Hypothesis keep their caches in the working directory: keep them under
# target/ (ignored by git), with the JUnit reports.
REPORTS=$TARGET_DIR/schemathesis
mkdir -p "$REPORTS"
cd "$REPORTS"

# One worker: with two, Hypothesis describes strategies with ast.parse from two threads at
# once, which CPython 3.11.7 (this machine's) can fail with "SystemError: AST constructor
# recursion depth mismatch" (CPython gh-106905), a crash of the tool, not a finding.
run_as() {
  local who=$1 token=$2
  echo "== schemathesis as the $who ($MAX_EXAMPLES examples per operation)"
  ORDERS_TOKEN=$token timeout --signal=INT "$RUN_LIMIT_SECONDS" \
    schemathesis --config-file "$ROOT/tests/schemathesis/schemathesis.toml" run "$ROOT/openapi/openapi.json" \
    --url "$BASE_URL" \
    --checks all \
    --max-examples "$MAX_EXAMPLES" \
    --seed "${SCHEMATHESIS_SEED:-20261125}" \
    --workers 1 \
    --request-timeout 30 \
    --report junit --report-junit-path "$REPORTS/$who.xml"
}

# Both tokens are taken before either run: the customer run's failed logins reach the
# per-address limit, after which a login from this address is answered 429.
customer_token=$(access_token "$DEMO_CUSTOMER_EMAIL" "$DEMO_CUSTOMER_PASSWORD")
admin_token=$(access_token "$DEMO_ADMIN_EMAIL" "$DEMO_ADMIN_PASSWORD")
run_as customer "$customer_token"
# Last, because its stateful phase may well demote the admin through PATCH /v1/users/{id}.
run_as admin "$admin_token"
echo "schemathesis: 2 passed, 0 failed"
