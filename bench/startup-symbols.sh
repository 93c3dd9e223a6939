#!/usr/bin/env bash
# Writes deploy/startup-symbols.txt: every function that a release service (and the gateway)
# runs from start until it is idle, as valgrind's callgrind saw it, with the hash cut off its
# name. deploy/cc-startup-first puts these functions first in the code of every release binary.
# Run it after a change that moves much of what runs at start (a new crate, a toolchain):
#   bash bench/startup-symbols.sh        # about a minute after the release build
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null 2>&1 || {
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind
}
services=(customers loyalty referral rewards analytics segmentation offers notifications support
  support-chat security)
cargo build -q --release -p cid-gateway $(printf -- '-p cid-%s ' "${services[@]}")

work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export CID_ENV=local CID__LOG__LEVEL=warn CID__DATA_DIR="$work"
port=18199

for name in "${services[@]}" gateway; do
  if [ "$name" = gateway ]; then key=CID__GATEWAY__PORT; else
    key="CID__SERVICES__$(echo "$name" | tr a-z- A-Z_)__PORT"
  fi
  env "$key=$port" valgrind --tool=callgrind --demangle=no \
    --callgrind-out-file="$work/$name.cg" "target/release/cid-$name" > "$work/$name.log" 2>&1 &
  pid=$!
  up=
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && { up=1; break; }
    sleep 0.2
  done
  [ -n "$up" ] || { echo "cid-$name did not answer under valgrind:"; cat "$work/$name.log"; exit 1; }
  # What it does while idle (its jobs' first runs) counts as start too.
  sleep 3
  callgrind_control -d "$pid" >/dev/null 2>&1
  for _ in $(seq 1 50); do [ -s "$work/$name.cg.1" ] && break; sleep 0.2; done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=
  # Callgrind names a function in full the first time (`fn=(id) name`), by id afterwards.
  grep -ohE '^c?fn=\([0-9]+\) .*' "$work/$name.cg.1" | sed -E 's/^c?fn=\([0-9]+\) //' \
    > "$work/$name.fns"
  echo "cid-$name: $(wc -l < "$work/$name.fns") functions" >&2
done

# Only the binaries' own symbols (not libc's); Rust's without LTO's suffixes and the legacy
# hash, C's (SQLite, mimalloc; no hash, stable suffixes such as `.isra.0`) as they are.
for name in "${services[@]}" gateway; do
  nm --defined-only --format=just-symbols "target/release/cid-$name"
done | sort -u > "$work/defined"
sed -E 's/@.*//' "$work"/*.fns | sort -u | comm -12 - "$work/defined" \
  | sed -E '/^_(ZN|R)/ { s/\.llvm\.[0-9]+$//; s/\.[0-9]+$//; s/17h[0-9a-f]+E$/17h/; }' | sort -u \
  > deploy/startup-symbols.txt
echo "deploy/startup-symbols.txt: $(wc -l < deploy/startup-symbols.txt) names" >&2
