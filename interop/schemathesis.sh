#!/usr/bin/env bash
# Drives the API from its own description (/api/openapi.json) with schemathesis, once with a
# token for each kind of account: no request may cause a server error, and no operation that
# declares authentication may answer without it. Usage: schemathesis.sh BASE_URL DB_URL PYTHON_VENV
set -euo pipefail
base=$1 db=$2 venv=$3
cd "$(dirname "$0")/.."
status=0
for username in demo-keyworker demo-clinician demo-manager demo-person demo-supporter demo-commissioner demo-admin; do
  token=$(./target/debug/carethread token create --db "$db" --username "$username" | tail -1)
  log=$(mktemp)
  if "$venv/bin/schemathesis" run "$base/api/openapi.json" --url "$base" -H "Authorization: Bearer $token" \
      -c not_a_server_error,ignored_auth -n 20 --seed 1 >"$log" 2>&1; then
    echo "schemathesis as $username: $(grep -E '^ *[0-9]+ generated' "$log" | xargs)"
  else
    echo "schemathesis as $username: FAILED"; tail -60 "$log"; status=1
  fi
  rm -f "$log"
done
exit $status
