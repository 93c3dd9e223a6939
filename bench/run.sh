#!/usr/bin/env bash
# Load comparison on this machine (release build, loopback only):
#   (a) wrk → loyalty service directly
#   (b) wrk → cid-gateway → loyalty
#   (c) wrk → nginx proxy_pass (keep-alive upstream pool) → loyalty
# for two scenarios: GET a loyalty account (reads the database) and GET the tier catalog
# (no database: the proxy's own cost shows most clearly). Prints req/s and p50/p99 per target
# (median of BENCH_ROUNDS runs) and the ratios b/a and b/c. A third scenario reads the
# analytics summary of a customer with BENCH_HISTORY (10,000) purchases and of one with 10;
# a fourth, offers, lists the offers of a customer with OFFERS_HISTORY (1,000) redemptions and
# of one with none. A fifth, events, posts a burst of EVENTS_BURST (1,000) domain events to
# notifications with two webhook subscribers and times until every notification and every
# webhook delivery has landed, counting losses and doubles.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-3}
SCENARIOS=${BENCH_SCENARIOS:-account catalog earn segment analytics offers}
SVC_PORT=18082 GW_PORT=18080 NGINX_PORT=18081 EXPRESS_PORT=18083 REGISTRY_PORT=18084 ANALYTICS_PORT=18085
SEGMENTATION_PORT=18086 OFFERS_PORT=18087 NOTIFICATIONS_PORT=18088 HOOK_PORT=18089 ALONE_PORT=18079
# Events in the burst of the events scenario.
EVENTS_BURST=${BENCH_EVENTS_BURST:-1000}
# Redemptions of the long-history customer in the offers scenario.
OFFERS_HISTORY=${BENCH_OFFERS_HISTORY:-1000}
# Purchases of the long-history customer in the analytics scenario.
HISTORY=${BENCH_HISTORY:-10000}
# PostgreSQL when one answers on 127.0.0.1 (then the Express stack the services replace is
# measured too), else the embedded SQLite default.
if [ -z "${BENCH_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1; then
  BENCH_DATABASE_URL="postgres://postgres@127.0.0.1/cid_bench_$$_{service}?sslmode=disable"
  DROP_DB="cid_bench_$$_loyalty cid_bench_$$_customers cid_bench_$$_analytics cid_bench_$$_segmentation cid_bench_$$_offers cid_bench_$$_notifications"
fi

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian packages"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

cargo build -q --release -p cid -p cid-customers -p cid-loyalty -p cid-analytics -p cid-gateway \
  -p cid-segmentation -p cid-offers -p cid-notifications -p cid-referral -p cid-rewards \
  -p cid-support -p cid-support-chat -p cid-security
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  if [ -n "${DROP_DB:-}" ]; then
    for db in $DROP_DB; do
      psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
}
trap cleanup EXIT

export CID_ENV=local CID__LOG__ACCESS_LOG=false CID__LOG__LEVEL=warn CID__LOG__FORMAT=json
default_url='sqlite://{data_dir}/{service}.db'
export CID__DATA_DIR="$work" CID__DATABASE__URL="${BENCH_DATABASE_URL:-$default_url}"
export CID__SERVICES__LOYALTY__PORT=$SVC_PORT CID__GATEWAY__PORT=$GW_PORT
export CID__SERVICES__CUSTOMERS__PORT=$REGISTRY_PORT CID__SERVICES__ANALYTICS__PORT=$ANALYTICS_PORT
export CID__SERVICES__SEGMENTATION__PORT=$SEGMENTATION_PORT CID__SERVICES__OFFERS__PORT=$OFFERS_PORT
export CID__SERVICES__NOTIFICATIONS__PORT=$NOTIFICATIONS_PORT

wait_for() { for _ in $(seq 1 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "not up: $1"; exit 1; }

# Resident memory (MiB) of processes and their children (nginx's workers).
rss_mib() {
  local kb=0 pid
  for pid in "$@" $(for p in "$@"; do pgrep -P "$p"; done); do
    [ -r /proc/"$pid"/status ] && kb=$((kb + $(awk '/^VmRSS/ {print $2}' /proc/"$pid"/status)))
  done
  awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }'
}
declare -A IDLE_RSS=() PROC_PID=()
# Starts a release binary and records its memory once it answers, before any load.
start() { # name binary port
  target/release/"$2" & pids+=($!)
  PROC_PID[$1]=$!
  wait_for "http://127.0.0.1:$3/health"
  sleep 0.5
  IDLE_RSS[$1]=$(rss_mib "${PROC_PID[$1]}")
}

# Loyalty resolves the customer of every write through the registry; segmentation asks
# analytics on every read (the cross-service scenario).
start customers cid-customers "$REGISTRY_PORT"
start analytics cid-analytics "$ANALYTICS_PORT"
ANALYTICS_PID=${PROC_PID[analytics]}
start loyalty cid-loyalty "$SVC_PORT"
SVC_PID=${PROC_PID[loyalty]}
start segmentation cid-segmentation "$SEGMENTATION_PORT"
SEGMENTATION_PID=${PROC_PID[segmentation]}
# Every write emits a domain event: notifications takes them (the events scenario adds
# webhook subscribers on this machine).
export CID__NOTIFICATIONS__ALLOW_PRIVATE_WEBHOOKS=true
start notifications cid-notifications "$NOTIFICATIONS_PORT"
start gateway cid-gateway "$GW_PORT"
GW_PID=${PROC_PID[gateway]}

cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream loyalty { server 127.0.0.1:$SVC_PORT; keepalive 128; }
  upstream segmentation { server 127.0.0.1:$SEGMENTATION_PORT; keepalive 128; }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host \$host;
  proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
  proxy_set_header X-Request-Id \$request_id;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { proxy_pass http://loyalty; }
    location /api/customer-id/segmentation/ { proxy_pass http://segmentation; }
  }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;' & pids+=($!)
NGINX_PID=$!
PROC_PID[nginx]=$NGINX_PID
wait_for "http://127.0.0.1:$NGINX_PORT/health"
IDLE_RSS[nginx]=$(rss_mib "$NGINX_PID")

TOKEN=$(target/release/cid token --sub bench-service --role service --ttl 86400)
EXPRESS=""
if [[ "${BENCH_DATABASE_URL:-}" == postgres* ]] && command -v npm >/dev/null 2>&1; then
  cp bench/express/package.json bench/express/server.js "$work/"
  if (cd "$work" && npm install --silent --no-audit --no-fund >/dev/null 2>&1); then
    DATABASE_URL=${BENCH_DATABASE_URL//\{service\}/loyalty} JWT_SECRET=$(awk -F'"' '/^jwt_secret/ {print $2}' config/base.toml) \
      PORT=$EXPRESS_PORT node "$work/server.js" & pids+=($!)
    EXPRESS=express:$EXPRESS_PORT:$!
    for _ in $(seq 1 100); do
      [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EXPRESS_PORT/api/customer-id/loyalty/x")" != 000 ] && break
      sleep 0.1
    done
  else
    echo "npm install failed: skipping the Express comparison" >&2
  fi
fi
BENCH_ID=$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"userId\": \"bench-$$\", \"userType\": \"buyer\"}" \
  "http://127.0.0.1:$REGISTRY_PORT/api/customer-id/customers" | sed 's/.*"customerId":"\([^"]*\)".*/\1/')
for i in 1 2 3 4 5; do
  curl -sS --fail-with-body -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"purchaseAmount\": $((i * 100)), \"orderId\": \"BENCH-$$-$i\"}" \
    "http://127.0.0.1:$SVC_PORT/api/customer-id/loyalty/$BENCH_ID/points" >/dev/null
done

# The earn scenario's customers: writes for one customer queue on that customer's account
# row, so the load is spread as a shop's would be.
WRITERS=()
if [[ " $SCENARIOS " == *" earn "* ]]; then
  for i in $(seq 1 "${BENCH_WRITERS:-64}"); do
    WRITERS+=("$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d "{\"userId\": \"bench-$$-w$i\", \"userType\": \"buyer\"}" \
      "http://127.0.0.1:$REGISTRY_PORT/api/customer-id/customers" | sed 's/.*"customerId":"\([^"]*\)".*/\1/')")
  done
fi

# wrk latency → milliseconds
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }

HZ=$(getconf CLK_TCK)
# CPU time (ticks) used so far by processes and their children (e.g. nginx's workers); the
# process-wide counters include threads that have already exited.
ticks() {
  local total=0 pid
  for pid in "$@" $(for p in "$@"; do pgrep -P "$p"; done); do
    [ -r /proc/"$pid"/stat ] && total=$((total + $(awk '{print $14 + $15}' /proc/"$pid"/stat)))
  done
  echo "$total"
}

# Busy ticks of the whole machine so far (every process: wrk, the proxy, the services, the
# database): what a request through a path costs in all.
busy() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }

run_wrk() { # url pid [wrk script and its arguments] → "rps p50 p99 cpu_us_per_request machine_us_per_request"
  local url=$1 pid=$2 out before after requests busy_before busy_after
  shift 2
  local args=("$url")
  [ $# -gt 0 ] && args=(-s "$1" "$url" -- "${@:2}")
  before=$(ticks "$pid")
  busy_before=$(busy)
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "${args[@]}")
  busy_after=$(busy)
  after=$(ticks "$pid")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  local non2xx
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  if [ -n "$non2xx" ]; then echo "warning: $non2xx non-2xx answers from $url" >&2; fi
  echo "$rps $p50 $p99 $(awk -v t=$((after - before)) -v m=$((busy_after - busy_before)) -v r="$requests" -v hz="$HZ" \
    'BEGIN { printf "%.1f %.1f", t * 1e6 / hz / r, m * 1e6 / hz / r }')"
}

# The gateway's counters of how it reached the services, all groups:
# "batched resent pauses h2c-streams h2c-resent".
pipelining() {
  curl -s "http://127.0.0.1:$GW_PORT/metrics" | awk '
    /^cid_gateway_upstream_batched_total/ { b += $2 } /^cid_gateway_upstream_resent_total/ { r += $2 }
    /^cid_gateway_upstream_pipeline_pauses_total/ { p += $2 }
    /^cid_gateway_upstream_h2c_streams_total/ { h += $2 } /^cid_gateway_upstream_h2c_resent_total/ { hr += $2 }
    END { print b + 0, r + 0, p + 0, h + 0, hr + 0 }'
}

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

printf '\nwrk -t%s -c%s -d%ss, median of %s rounds, %s cores, database %s\n' "$THREADS" "$CONNECTIONS" "$DURATION" "$ROUNDS" "$(nproc)" "${CID__DATABASE__URL%%:*}"
# earn: a purchase's points with an Idempotency-Key (a new key and order each request, the
# customers taking turns);
# segment: segmentation's read, which asks analytics for the customer's figures every time.
declare -A PATHS=([account]=/api/customer-id/loyalty/$BENCH_ID [catalog]=/api/customer-id/loyalty/tiers/all
  [earn]=/api/customer-id/loyalty/$BENCH_ID/points [segment]=/api/customer-id/segmentation/$BENCH_ID)
for name in $SCENARIOS; do
  [ -n "${PATHS[$name]:-}" ] || continue
  path=${PATHS[$name]}
  declare -A rps=() p50=() p99=() cpu=() machine=()
  direct="direct:$SVC_PORT:$SVC_PID"
  [ "$name" = segment ] && direct="direct:$SEGMENTATION_PORT:$SEGMENTATION_PID"
  targets="$direct gateway:$GW_PORT:$GW_PID nginx:$NGINX_PORT:$NGINX_PID"
  if [ "$name" = account ] && [ -n "$EXPRESS" ]; then targets="$targets $EXPRESS"; fi
  # Rounds interleave the targets so that drift on this shared machine hits all alike.
  declare -A runs=()
  piped_before=$(pipelining)
  for round in $(seq 1 "$ROUNDS"); do
    # Even rounds run the targets in reverse (A B, B A, …): a machine speeding up or slowing
    # down over a round would otherwise favour whichever target always runs first.
    order=$targets
    ((round % 2 == 0)) && order=$(tr ' ' '\n' <<<"$targets" | tac | tr '\n' ' ')
    for target in $order; do
      IFS=: read -r t port pid <<<"$target"
      script=()
      [ "$name" = earn ] && script=(bench/earn.lua "$$-$t-$round" "${WRITERS[@]}")
      runs[$t]+="$(run_wrk "http://127.0.0.1:$port$path" "$pid" "${script[@]}")"$'\n'
    done
  done
  for target in $targets; do
    t=${target%%:*}
    rps[$t]=$(awk 'NF {print $1}' <<<"${runs[$t]}" | median)
    p50[$t]=$(awk 'NF {print $2}' <<<"${runs[$t]}" | median)
    p99[$t]=$(awk 'NF {print $3}' <<<"${runs[$t]}" | median)
    cpu[$t]=$(awk 'NF {print $4}' <<<"${runs[$t]}" | median)
    machine[$t]=$(awk 'NF {print $5}' <<<"${runs[$t]}" | median)
  done
  # Each round's gateway/nginx ratio: the two ran seconds apart, so the machine's drift
  # between rounds (±20 % here) cancels in the pair; their median and range.
  paired=$(paste <(awk 'NF {print $1, $3}' <<<"${runs[gateway]}") <(awk 'NF {print $1, $3}' <<<"${runs[nginx]}") |
    awk '{print $1 / $3, $2 / $4}')
  paired_rps=$(awk '{print $1}' <<<"$paired" | sort -g | awk '{a[NR] = $1} END {printf "%.2f (%.2f–%.2f)", a[int((NR + 1) / 2)], a[1], a[NR]}')
  paired_p99=$(awk '{print $2}' <<<"$paired" | sort -g | awk '{a[NR] = $1} END {printf "%.2f (%.2f–%.2f)", a[int((NR + 1) / 2)], a[1], a[NR]}')
  unset runs
  printf '\nscenario %-8s %-10s %12s %10s %10s %14s %18s\n' "$name" target "req/s" "p50 ms" "p99 ms" "CPU us/req" "machine us/req"
  for t in direct gateway nginx express; do
    [ -n "${rps[$t]:-}" ] || continue
    printf '                  %-10s %12s %10s %10s %14s %18s\n' "$t" "${rps[$t]}" "${p50[$t]}" "${p99[$t]}" "${cpu[$t]}" "${machine[$t]}"
  done
  if [ -n "${rps[express]:-}" ]; then
    awk -v d="${rps[direct]}" -v e="${rps[express]}" 'BEGIN { printf "                  service/express %.2f\n", d/e }'
  fi
  awk -v g="${rps[gateway]}" -v d="${rps[direct]}" -v n="${rps[nginx]}" -v gp="${p99[gateway]}" -v np="${p99[nginx]}" \
    'BEGIN { printf "                  gateway/direct %.2f   gateway/nginx %.2f   p99 gateway/nginx %.2f\n", g/d, g/n, gp/np }'
  awk -v g="${cpu[gateway]}" -v n="${cpu[nginx]}" \
    'BEGIN { printf "                  proxy CPU per request gateway/nginx %.2f (the process itself, upstream excluded)\n", g/n }'
  awk -v g="${machine[gateway]}" -v n="${machine[nginx]}" \
    'BEGIN { printf "                  machine CPU per request gateway/nginx %.2f (wrk, proxy, services, database)\n", g/n }'
  echo "                  round by round: gateway/nginx $paired_rps   p99 gateway/nginx $paired_p99"
  awk -v b="$piped_before" -v a="$(pipelining)" 'BEGIN { split(b, x); split(a, y)
    printf "                  gateway: %d h2c streams (%d sent again over HTTP/1.1); pipelining: %d requests batched, %d sent again, %d pauses\n", y[4] - x[4], y[5] - x[5], y[1] - x[1], y[2] - x[2], y[3] - x[3] }'
  unset rps p50 p99 cpu machine
done

# Analytics: the summary of a customer with $HISTORY purchases against one with 10. Figures
# are kept on write, so the two must read alike (the issue's bar: ratio ≤ 1.5).
if [[ " $SCENARIOS " == *" analytics "* ]]; then
  register() {
    curl -sS --fail-with-body -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d "{\"userId\": \"bench-$$-$1\", \"userType\": \"buyer\"}" \
      "http://127.0.0.1:$REGISTRY_PORT/api/customer-id/customers" | sed 's/.*"customerId":"\([^"]*\)".*/\1/'
  }
  SHORT_ID=$(register short) LONG_ID=$(register long)
  python3 - "$ANALYTICS_PORT" "$TOKEN" "$SHORT_ID" 10 "$LONG_ID" "$HISTORY" <<'PY'
import http.client, json, sys, datetime
port, token = int(sys.argv[1]), sys.argv[2]
pairs = [(sys.argv[3], int(sys.argv[4])), (sys.argv[5], int(sys.argv[6]))]
conn = http.client.HTTPConnection("127.0.0.1", port)
now = datetime.datetime.now(datetime.timezone.utc)
for customer, n in pairs:
    # Every 90 minutes up to an hour ago: the 90-day windows hold as many as they can.
    start = now - datetime.timedelta(minutes=90 * n + 60)
    for i in range(n):
        at = (start + datetime.timedelta(minutes=i * 90)).isoformat()
        body = json.dumps({"orderId": f"o-{i}", "amount": 10 + i % 90, "currency": "SAR",
                           "category": f"c{i % 12}", "purchasedAt": at})
        conn.request("POST", f"/api/customer-id/analytics/{customer}/purchases", body,
                     {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = conn.getresponse(); r.read()
        if r.status != 201:
            sys.exit(f"purchase {i} of {customer}: {r.status}")
PY
  # The summary, and the activity segmentation classifies by (its 90-day windows included).
  for view in summary activity; do
    suffix=""; [ "$view" = activity ] && suffix=/activity
    declare -A a_runs=()
    for _ in $(seq 1 "$ROUNDS"); do
      for who in short long; do
        id=$SHORT_ID; [ "$who" = long ] && id=$LONG_ID
        a_runs[$who]+="$(run_wrk "http://127.0.0.1:$ANALYTICS_PORT/api/customer-id/analytics/$id$suffix" "$ANALYTICS_PID")"$'\n'
      done
    done
    printf '\nscenario %-8s %-10s %12s %10s %10s %14s\n' "analytics $view" history "req/s" "p50 ms" "p99 ms" "CPU us/req"
    for who in short long; do
      n=10; [ "$who" = long ] && n=$HISTORY
      printf '                  %-10s %12s %10s %10s %14s\n' "$n" \
        "$(awk 'NF {print $1}' <<<"${a_runs[$who]}" | median)" "$(awk 'NF {print $2}' <<<"${a_runs[$who]}" | median)" \
        "$(awk 'NF {print $3}' <<<"${a_runs[$who]}" | median)" "$(awk 'NF {print $4}' <<<"${a_runs[$who]}" | median)"
    done
    awk -v s="$(awk 'NF {print $1}' <<<"${a_runs[short]}" | median)" -v l="$(awk 'NF {print $1}' <<<"${a_runs[long]}" | median)" \
      -v n="$HISTORY" 'BEGIN { printf "                  throughput 10 / %d purchases: %.2f (bar: <= 1.5)\n", n, s/l }'
    unset a_runs
  done
fi

# Offers: a customer's list with 20 open offers (for anyone, for segments, for tiers), for a
# customer with $OFFERS_HISTORY redemptions and one with none. The use counts are one row per
# offer and customer, so the two must read alike (bar: ratio <= 1.5).
if [[ " $SCENARIOS " == *" offers "* ]]; then
  start offers cid-offers "$OFFERS_PORT"
  OFFERS_PID=${PROC_PID[offers]}
  ADMIN=$(target/release/cid token --sub bench-admin --role admin --ttl 86400)
  register() {
    curl -sS --fail-with-body -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d "{\"userId\": \"bench-$$-$1\", \"userType\": \"buyer\"}" \
      "http://127.0.0.1:$REGISTRY_PORT/api/customer-id/customers" | sed 's/.*"customerId":"\([^"]*\)".*/\1/'
  }
  NEW_ID=$(register offers-new) USED_ID=$(register offers-used)
  python3 - "$OFFERS_PORT" "$TOKEN" "$ADMIN" "$USED_ID" "$OFFERS_HISTORY" <<'PY'
import http.client, json, sys, datetime
port, token, admin, used, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
conn = http.client.HTTPConnection("127.0.0.1", port)
now = datetime.datetime.now(datetime.timezone.utc)
def post(path, body, who):
    conn.request("POST", path, json.dumps(body), {"Authorization": "Bearer " + who, "Content-Type": "application/json"})
    r = conn.getresponse(); data = r.read()
    if r.status != 201:
        sys.exit(f"{path}: {r.status} {data[:200]}")
    return json.loads(data)["data"]
targets = [{}, {"segments": ["occasional", "frequent"]}, {"tiers": ["bronze", "silver"]}, {"segments": ["vip"]}]
ids = []
for i in range(20):
    ids.append(post("/api/customer-id/offers", {
        "title": {"en": f"Offer {i}", "ar": f"عرض {i}"}, "description": {"en": "Bench", "ar": "قياس"},
        "category": f"c{i % 5}", "discountType": "fixed", "value": 1,
        "validFrom": (now - datetime.timedelta(days=1)).isoformat(),
        "validUntil": (now + datetime.timedelta(days=30 + i)).isoformat(),
        "targeting": targets[i % 4], "perCustomerLimit": max(n, 1)}, admin)["offerId"])
for i in range(n):
    post(f"/api/customer-id/offers/{used}/apply", {"offerId": ids[0], "orderAmount": 10}, token)
PY
  declare -A o_runs=()
  for _ in $(seq 1 "$ROUNDS"); do
    for who in new used; do
      id=$NEW_ID; [ "$who" = used ] && id=$USED_ID
      o_runs[$who]+="$(run_wrk "http://127.0.0.1:$OFFERS_PORT/api/customer-id/offers/$id" "$OFFERS_PID")"$'\n'
    done
  done
  printf '\nscenario %-8s %-10s %12s %10s %10s %14s\n' "offers list" redemptions "req/s" "p50 ms" "p99 ms" "CPU us/req"
  for who in new used; do
    n=0; [ "$who" = used ] && n=$OFFERS_HISTORY
    printf '                  %-10s %12s %10s %10s %14s\n' "$n" \
      "$(awk 'NF {print $1}' <<<"${o_runs[$who]}" | median)" "$(awk 'NF {print $2}' <<<"${o_runs[$who]}" | median)" \
      "$(awk 'NF {print $3}' <<<"${o_runs[$who]}" | median)" "$(awk 'NF {print $4}' <<<"${o_runs[$who]}" | median)"
  done
  awk -v s="$(awk 'NF {print $1}' <<<"${o_runs[new]}" | median)" -v l="$(awk 'NF {print $1}' <<<"${o_runs[used]}" | median)" \
    -v n="$OFFERS_HISTORY" 'BEGIN { printf "                  throughput 0 / %d redemptions: %.2f (bar: <= 1.5)\n", n, s/l }'
fi

# Events: a burst of $EVENTS_BURST loyalty.points_earned events (16 senders at once) to
# notifications, with two webhook subscribers for every type. Times how long until the burst
# was accepted, until every customer message is in the feed, and until both subscribers hold
# every event; then posts the first 100 again and checks nothing is notified or forwarded twice.
if [[ " $SCENARIOS " == *" events "* ]]; then
  ADMIN=$(target/release/cid token --sub bench-admin --role admin --ttl 86400)
  CUSTOMER=$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d "{\"userId\": \"bench-$$-events\", \"userType\": \"buyer\", \"locale\": \"ar\"}" \
      "http://127.0.0.1:$REGISTRY_PORT/api/customer-id/customers" | sed 's/.*"customerId":"\([^"]*\)".*/\1/')
  ME=$(target/release/cid token --sub "$CUSTOMER" --role customer --ttl 86400)
  python3 - "$NOTIFICATIONS_PORT" "$HOOK_PORT" "$TOKEN" "$ADMIN" "$ME" "$CUSTOMER" "$EVENTS_BURST" <<'PY'
import http.client, http.server, json, sys, threading, time, uuid, collections
from concurrent.futures import ThreadPoolExecutor
port, hook_port, token, admin, me, customer, n = sys.argv[1:8]
port, hook_port, n = int(port), int(hook_port), int(n)
seen = collections.defaultdict(collections.Counter)
lock = threading.Lock()
class Hook(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with lock:
            seen[self.path][json.loads(body)["id"]] += 1
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", hook_port), Hook)
threading.Thread(target=server.serve_forever, daemon=True).start()
local = threading.local()
def call(method, path, body, who):
    if not hasattr(local, "c"):
        local.c = http.client.HTTPConnection("127.0.0.1", port)
    local.c.request(method, path, json.dumps(body) if body is not None else None,
                    {"Authorization": "Bearer " + who, "Content-Type": "application/json"})
    r = local.c.getresponse(); data = r.read()
    return r.status, json.loads(data) if data else None
for name in ("a", "b"):
    st, _ = call("POST", "/api/customer-id/notifications/webhooks",
                 {"url": f"http://127.0.0.1:{hook_port}/{name}", "eventTypes": ["*"]}, admin)
    assert st == 201, st
events = [{"id": str(uuid.uuid4()), "type": "loyalty.points_earned", "occurredAt": "2026-11-30T10:00:00Z",
           "customerId": customer, "data": {"points": i + 1, "balance": i + 1}, "requestId": None} for i in range(n)]
def send(e):
    st, _ = call("POST", "/api/customer-id/notifications/events", e, token)
    assert st == 202, st
t0 = time.monotonic()
with ThreadPoolExecutor(16) as pool:
    list(pool.map(send, events))
accepted = time.monotonic() - t0
def unread():
    return call("GET", f"/api/customer-id/notifications/{customer}/unread-count", None, me)[1]["data"]["unread"]
feed_at = hooks_at = None
while time.monotonic() - t0 < 120 and (feed_at is None or hooks_at is None):
    if feed_at is None and unread() >= n:
        feed_at = time.monotonic() - t0
    with lock:
        done = all(sum(1 for e in events if seen[p][e["id"]]) >= n for p in ("/a", "/b"))
    if hooks_at is None and done:
        hooks_at = time.monotonic() - t0
    time.sleep(0.05)
with ThreadPoolExecutor(16) as pool:
    list(pool.map(send, events[:100]))
time.sleep(2)
ours = [e["id"] for e in events]
with lock:
    # Other services' events (a customer registered) reach the subscribers too: count ours.
    lost = sum(1 for p in ("/a", "/b") for i in ours if seen[p][i] == 0)
    doubled = sum(seen[p][i] - 1 for p in ("/a", "/b") for i in ours if seen[p][i] > 1)
print(f"\nscenario events: {n} events, 16 senders, 2 webhook subscribers")
print(f"                  accepted in {accepted:.2f} s ({n / accepted:.0f} events/s)")
print(f"                  all {n} in the feed after {feed_at:.2f} s" if feed_at else "                  feed incomplete after 120 s")
print(f"                  all {2 * n} webhook deliveries after {hooks_at:.2f} s" if hooks_at else "                  webhooks incomplete after 120 s")
print(f"                  after 100 repeats: feed {unread()} (bar: {n}), lost {lost}, doubled {doubled} (bar: 0, 0)")
PY
fi

# Memory: each process once it answered (idle) and after the scenarios above (loaded). The
# bar for a service is 15 MiB idle.
printf '\nmemory (resident MiB)  %-14s %8s %8s\n' process idle loaded
for name in customers loyalty analytics segmentation offers notifications gateway nginx; do
  [ -n "${PROC_PID[$name]:-}" ] || continue
  printf '                       %-14s %8s %8s\n' "$name" "${IDLE_RSS[$name]}" "$(rss_mib "${PROC_PID[$name]}")"
done

# Every service alone on the embedded SQLite default, as a new user starts one: resident MiB
# 2 s after it answered (its jobs have run once), the bar being 15.
alone=()
for name in customers loyalty referral rewards analytics segmentation offers notifications \
  support support-chat security; do
  mkdir -p "$work/alone-$name"
  env CID__DATA_DIR="$work/alone-$name" CID__DATABASE__URL="sqlite://{data_dir}/{service}.db" \
    "CID__SERVICES__$(echo "$name" | tr a-z- A-Z_)__PORT=$ALONE_PORT" \
    target/release/cid-"$name" > "$work/alone-$name/log" 2>&1 &
  pid=$! && pids+=($!)
  wait_for "http://127.0.0.1:$ALONE_PORT/health"
  sleep 2
  alone+=("$name $(rss_mib "$pid")")
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
printf '\nmemory, each service alone on SQLite, idle (resident MiB; bar 15)\n'
printf '%s\n' "${alone[@]}" | awk '{ printf "                       %-14s %8s%s\n", $1, $2, ($2 > 15 ? "  over the bar" : "") }'
