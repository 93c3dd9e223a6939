#!/usr/bin/env bash
# Runs a command against a fresh `cid up`: its own data directory and ports (10000 above the
# usual ones, so a `make run` beside it is left alone), rate limits off (the checks are one
# caller sending thousands of requests a minute). The command gets CID_GATEWAY_URL and
# CID_BIN (the cid binary, for tokens); the system's log is target/contract/cid.log.
#   bash tests/contract/with-system.sh bash tests/contract/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p cid
export CID_BIN=$PWD/target/debug/cid
out=target/contract
rm -rf "$out/data" && mkdir -p "$out"

export CID__DATA_DIR=$out/data CID__GATEWAY__RATE_LIMIT__ENABLED=false
export CID__GATEWAY__PORT=18080
ports=(18080)
while read -r name port; do
  key=$(echo "$name" | tr 'a-z-' 'A-Z_')
  export "CID__SERVICES__${key}__PORT=$((port + 10000))" "CID__SERVICES__${key}__URL=http://127.0.0.1:$((port + 10000))"
  ports+=($((port + 10000)))
done < <(python3 -c 'import tomllib
for n, s in tomllib.load(open("config/base.toml", "rb"))["services"].items(): print(n, s["port"])')
export CID_GATEWAY_URL=http://127.0.0.1:18080

"$CID_BIN" up > "$out/cid.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fsS "$CID_GATEWAY_URL/ready" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$out/cid.log"; exit 1; }
  sleep 0.5
done
curl -fsS "$CID_GATEWAY_URL/ready" >/dev/null

status=0
"$@" || status=$?
# Whatever the command saw: no 5xx answered by the gateway or any service, no panic.
for port in "${ports[@]}"; do
  if curl -fsS "http://127.0.0.1:$port/metrics" | grep -E '^cid_[a-z_]*requests_total\{.*status="5[0-9]{2}"\} [1-9]'; then
    echo "server errors above (port $port); the system's log is $out/cid.log"; status=1
  fi
done
if grep -q 'panicked' "$out/cid.log"; then grep 'panicked' "$out/cid.log" | head -20; status=1; fi
exit $status
