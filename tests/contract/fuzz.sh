#!/usr/bin/env bash
# The contract fuzzer: schemathesis sends generated requests, valid and invalid, to every
# operation of the merged OpenAPI document through the gateway, once with a service token,
# once with an admin's and once with a customer's. It fails on any server error, any response
# outside the document (status, content type, schema), and any invalid request that was
# accepted. Run by `make fuzz` inside tests/contract/with-system.sh; FUZZ_SECS sets each
# run's time budget (default 60), FUZZ_SEED a seed (CI fixes one, so that its runs repeat;
# without one every run explores anew and prints its seed).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECS:-60}
seed=()
[ -z "${FUZZ_SEED:-}" ] || seed=(--seed "$FUZZ_SEED")
base=${CID_GATEWAY_URL:?run inside tests/contract/with-system.sh}
out=target/contract/fuzz
rm -rf "$out" && mkdir -p "$out"

service=$("$CID_BIN" token --sub fuzz --role service --ttl 3600)
admin=$("$CID_BIN" token --sub fuzz-admin --role admin --ttl 3600)
# A customer of its own, so that the customer's runs reach past the ownership check.
customer_id=$(curl -fsS -X POST "$base/api/customer-id/customers" -H "Authorization: Bearer $service" \
  -H 'Content-Type: application/json' \
  -d '{"userId":"fuzz-1","userType":"buyer","name":"Fuzz Customer","birthDate":"1990-02-28"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["customerId"])')
customer=$("$CID_BIN" token --sub "$customer_id" --role customer --ttl 3600)

status=0
for who in service admin customer; do
  token=${!who}
  echo "== schemathesis as $who ($secs s)"
  # One worker: with two, Hypothesis' lambda-source cache raced on Python 3.11 and stopped an
  # operation's run with an internal error (the tool's, not the API's).
  run=0
  target/tools/bin/schemathesis --config-file tests/contract/schemathesis.toml run \
    proto-docs/openapi/merged.json --url "$base" \
    -H "Authorization: Bearer $token" --max-time "$secs" --workers 1 "${seed[@]}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
    --suppress-health-check all --warnings off \
    --report junit --report-dir "$out/$who" > "$out/$who.log" 2>&1 || run=1
  sed -n '/= SUMMARY =/,$p' "$out/$who.log"
  if [ $run -ne 0 ]; then
    status=1
    sed -n '/= FAILURES =/,/= SUMMARY =/p; /= ERRORS =/,/= SUMMARY =/p' "$out/$who.log" | cut -c1-2000 | head -300
  fi
done
exit $status
