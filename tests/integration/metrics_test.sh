#!/usr/bin/env bash
# `otaflow demo --http` scraped by the real Prometheus server (Debian's /usr/bin/prometheus):
# the endpoint's text passes `promtool check metrics`, /healthz answers, and Prometheus,
# scraping every second, holds the campaign's `done` count of 2000 cards in its TSDB, read
# back over its HTTP API. Skipped (exit 77) when prometheus or promtool is not installed.
# Usage: metrics_test.sh OTAFLOW_BINARY
set -euo pipefail

OTAFLOW=${1:?usage: metrics_test.sh OTAFLOW_BINARY}
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}
CARDS=2000
for tool in "$PROMETHEUS" "$PROMTOOL"; do
  if [[ ! -x $tool ]]; then
    echo "metrics_test: SKIP: $tool not installed (apt-get install prometheus)"
    exit 77
  fi
done
command -v curl >/dev/null || { echo "metrics_test: curl is needed" >&2; exit 1; }
command -v python3 >/dev/null || { echo "metrics_test: python3 is needed" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/otaflow-metrics-XXXXXX")
DEMO_PID=""
PROM_PID=""
cleanup() {
  local rc=$?
  set +e
  # The demo lingers 60 s after its run: ended here once the test has what it needs.
  for pid in $PROM_PID $DEMO_PID; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
fail() {
  echo "metrics_test: FAIL: $*" >&2
  echo "--- demo stderr (tail)" >&2
  tail -20 "$WORK/demo.err" >&2 || true
  echo "--- prometheus log (tail)" >&2
  tail -20 "$WORK/prometheus.log" >&2 || true
  exit 1
}

# A free TCP port on loopback for Prometheus' own web listener.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# 1. The demo on any free port; it prints the address. It lingers so the last values are read.
"$OTAFLOW" demo --cards "$CARDS" --http 127.0.0.1:0 --http-linger 60 --json \
  >"$WORK/demo.out" 2>"$WORK/demo.err" &
DEMO_PID=$!
ADDR=""
for _ in $(seq 1 300); do
  ADDR=$(grep -o 'dashboard on http://[0-9.]*:[0-9]*' "$WORK/demo.err" | head -1 | sed 's|.*http://||' || true)
  [[ -n $ADDR ]] && break
  kill -0 "$DEMO_PID" 2>/dev/null || fail "the demo ended before printing its HTTP address"
  sleep 0.1
done
[[ -n $ADDR ]] || fail "no HTTP address printed within 30 s"
echo "metrics_test: demo endpoint on $ADDR"

[[ $(curl -sf "http://$ADDR/healthz") == '{"status":"alive"}' ]] || fail "/healthz"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/no-such-page")
[[ $code == 404 ]] || fail "an unknown path answered $code, not 404"

# 2. Prometheus scraping it every second, with its own TSDB in the temporary directory.
PROM_PORT=$(free_port)
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: otaflow
    static_configs:
      - targets: ["$ADDR"]
YML
"$PROMTOOL" check config "$WORK/prometheus.yml" >/dev/null || fail "promtool rejects the config"
"$PROMETHEUS" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!

# 3. The run ends (the JSON summary is printed before the linger).
for _ in $(seq 1 1200); do
  [[ -s $WORK/demo.out ]] && break
  kill -0 "$DEMO_PID" 2>/dev/null || fail "the demo ended without a summary"
  sleep 0.1
done
[[ -s $WORK/demo.out ]] || fail "the demo did not finish within 120 s"
python3 - "$WORK/demo.out" "$CARDS" <<'PY' || fail "the demo's summary"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["done"] == int(sys.argv[2]), s
PY

# 4. The final exposition passes promtool (its lint included) and holds the counts.
curl -sf "http://$ADDR/metrics" >"$WORK/metrics.txt" || fail "GET /metrics"
"$PROMTOOL" check metrics <"$WORK/metrics.txt" || fail "promtool check metrics: $(cat "$WORK/metrics.txt" | head -5)"
grep -q "^otaflow_campaign_cards{campaign=\"demo-fplmn\",variant=\"default\",state=\"done\"} $CARDS\$" \
  "$WORK/metrics.txt" || fail "/metrics lacks done = $CARDS"
grep -q '^otaflow_por_status_total{campaign="demo-fplmn",status="00"} '"$CARDS"'$' \
  "$WORK/metrics.txt" || fail "/metrics lacks PoR 00 = $CARDS"
grep -q '^otaflow_por_latency_seconds_count '"$CARDS"'$' "$WORK/metrics.txt" \
  || fail "/metrics: latency histogram count is not $CARDS"

# 5. Prometheus has scraped the final value: ask its HTTP API until it says 2000.
QUERY='otaflow_campaign_cards{campaign="demo-fplmn",state="done"}'
value=""
for _ in $(seq 1 60); do
  body=$(curl -sfG "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$QUERY" || true)
  value=$(printf '%s' "$body" | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")')
  [[ $value == "$CARDS" ]] && break
  sleep 1
done
[[ $value == "$CARDS" ]] || fail "Prometheus answered '$value' for $QUERY, not $CARDS, within 60 s"
body=$(curl -sfG "http://127.0.0.1:$PROM_PORT/api/v1/query" \
  --data-urlencode 'query=sum(otaflow_smpp_submits_total)')
submits=$(printf '%s' "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
(( submits >= CARDS )) || fail "Prometheus: sum(otaflow_smpp_submits_total) = $submits < $CARDS"
up=$(curl -sfG "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode 'query=up{job="otaflow"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
[[ $up == 1 ]] || fail "Prometheus sees the target down (up = $up)"

echo "metrics_test: OK: Prometheus read done = $value, submits = $submits; promtool passed"
