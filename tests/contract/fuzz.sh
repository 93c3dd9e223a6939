#!/usr/bin/env bash
# The contract fuzzer: schemathesis sends generated requests, valid and invalid, to every
# operation of the merged OpenAPI document through the gateway of a fresh `cid up`, once with a
# service token, once with an admin's and once with a customer's. It fails on any server error,
# any response outside the document (status, content type, schema), and any invalid request
# that was accepted. `make fuzz`; FUZZ_SECS sets each run's time budget (default 60).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECS:-60}
tools=target/tools
cargo build -q -p cid
cid=target/debug/cid
out=target/fuzz
rm -rf "$out" && mkdir -p "$out"

# Its own data and ports (10000 above the usual ones), so a `make run` beside it is left alone;
# rate limits off, since the fuzzer is one caller sending thousands of requests a minute.
export CID__DATA_DIR=$out/data CID__GATEWAY__RATE_LIMIT__ENABLED=false CID__LOG__LEVEL=warn
export CID__GATEWAY__PORT=18080
for s in $(python3 -c 'import tomllib; print(" ".join(tomllib.load(open("config/base.toml","rb"))["services"]))'); do
  port=$(python3 -c "import tomllib; print(tomllib.load(open('config/base.toml','rb'))['services']['$s']['port'] + 10000)")
  key=$(echo "$s" | tr 'a-z-' 'A-Z_')
  export "CID__SERVICES__${key}__PORT=$port" "CID__SERVICES__${key}__URL=http://127.0.0.1:$port"
done
base=http://127.0.0.1:18080
"$cid" up > "$out/cid.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fsS "$base/ready" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$out/cid.log"; exit 1; }
  sleep 0.5
done
curl -fsS "$base/ready" >/dev/null

service=$("$cid" token --sub fuzz --role service --ttl 3600)
admin=$("$cid" token --sub fuzz-admin --role admin --ttl 3600)
# A customer of its own, so that the customer's runs reach past the ownership check.
customer_id=$(curl -fsS -X POST "$base/api/customer-id/customers" -H "Authorization: Bearer $service" \
  -H 'Content-Type: application/json' \
  -d '{"userId":"fuzz-1","userType":"buyer","name":"Fuzz Customer","birthDate":"1990-02-28"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["customerId"])')
customer=$("$cid" token --sub "$customer_id" --role customer --ttl 3600)

status=0
for who in service admin customer; do
  token=${!who}
  echo "== schemathesis as $who ($secs s)"
  # One worker: with two, Hypothesis' lambda-source cache raced on Python 3.11 and stopped an
  # operation's run with an internal error (the tool's, not the API's).
  "$tools/bin/schemathesis" --config-file tests/contract/schemathesis.toml run proto-docs/openapi/merged.json --url "$base" \
    -H "Authorization: Bearer $token" --max-time "$secs" --workers 1 \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
    --suppress-health-check all --warnings off \
    --report junit --report-dir "$out/$who" > "$out/$who.log" 2>&1 || status=1
  sed -n '/= SUMMARY =/,$p' "$out/$who.log"
  [ $status -eq 0 ] || { sed -n '/= FAILURES =/,/= SUMMARY =/p' "$out/$who.log" | head -200; }
done
if grep -q '"status":500\|panicked' "$out/cid.log"; then
  echo "server errors in the log:"; grep '"status":500\|panicked' "$out/cid.log" | head -20; status=1
fi
exit $status
