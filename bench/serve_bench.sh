#!/usr/bin/env bash
# End-to-end throughput of `otaflow serve` through a real Apache Kafka broker (issue 6):
# smsc-sim with a generated fleet, the fleet imported into serve's profile repository, one
# campaign event, then N triggers (one per card) produced with kcat, as fast as kcat goes.
# Prints one JSON line:
#   {"cards": N, "seconds": S, "cards_per_s": X, "peak_rss_mb_serve": M}
# S runs from the moment the first trigger is handed to kcat to the moment the status topic
# holds a terminal state (done/failed) for every card. Trigger production overlaps the
# campaign: serve consumes triggers while kcat is still producing the later ones (the time
# kcat took is printed on stderr; otaflow has no producer command of its own).
#
# Usage: bench/serve_bench.sh [N]   (default 200000; BENCH_CARDS also sets it)
# Environment: OTAFLOW (binary, default build/app/otaflow next to this script's repository),
#   OTAFLOW_KAFKA_BROKERS (a broker; when unset, the one scripts/kafka.sh runs on KAFKA_PORT
#   [19092], started for the run and stopped at the end when it was not running),
#   SERVE_WINDOW (engine window, default 4000), SERVE_ENGINE_EXTRA / SERVE_LOG_LEVEL (see
#   tests/integration/serve_lib.sh), BENCH_KEEP=1 keeps the work directory,
#   BENCH_PERF=SECONDS records `perf record -g` (or BENCH_PERF_OPTS, e.g. "--call-graph
#   dwarf") of serve for that long once triggers flow (perf.data in the work directory).
# Needs kcat and python3. Not a ctest test: it takes a minute and the whole machine.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OTAFLOW=$(realpath "${OTAFLOW:-$SRC/build/app/otaflow}")
N=${1:-${BENCH_CARDS:-200000}}
SERVE_WINDOW=${SERVE_WINDOW:-4000}
command -v kcat >/dev/null || { echo "serve_bench: kcat not found" >&2; exit 2; }
[ -x "$OTAFLOW" ] || { echo "serve_bench: $OTAFLOW is not executable" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/otaflow-serve-bench.XXXXXX")
RUN=sb$$x$RANDOM
PIDS=()
OWN_BROKER=""
say() { echo "serve-bench $(date +%T): $*" >&2; }
fail() {
  say "FAIL: $*"
  exit 1
}
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$OWN_BROKER" ]; then KAFKA_PORT=$OWN_BROKER "$SRC/scripts/kafka.sh" stop >/dev/null 2>&1 || true; fi
  if [ $rc -ne 0 ]; then
    for f in "$W"/*.log; do
      echo "---- $f (last 20 lines)" >&2
      tail -n 20 "$f" >&2
    done
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ -n "${BENCH_PERF:-}" ]; then
    say "work directory kept: $W"
  else
    rm -rf "$W"
  fi
}
trap cleanup EXIT

# shellcheck source=../tests/integration/serve_lib.sh
. "$SRC/tests/integration/serve_lib.sh"

if [ -z "${OTAFLOW_KAFKA_BROKERS:-}" ]; then
  port=${KAFKA_PORT:-19092}
  # A broker already running on that port is used and left running; one started here stops.
  if ! OTAFLOW_KAFKA_BROKERS=$(KAFKA_PORT=$port "$SRC/scripts/kafka.sh" status 2>/dev/null); then
    OTAFLOW_KAFKA_BROKERS=$(KAFKA_PORT=$port "$SRC/scripts/kafka.sh" start)
    OWN_BROKER=$port
  fi
fi
BROKERS=$OTAFLOW_KAFKA_BROKERS
export OTAFLOW_KEK=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
cd "$W"

say "$N cards through $BROKERS (engine window $SERVE_WINDOW); setting up"
"$OTAFLOW" fleet generate --count "$N" --seed "serve-bench" --out fleet.csv >/dev/null
tail -n +2 fleet.csv | cut -d, -f1 >iccids.txt
start_smsc fleet.csv s
config s "$BROKERS" s
"$OTAFLOW" subscribers import --state s fleet.csv >/dev/null
start_serve s
wait_log s.log "kafka consumer $RUN.s: assigned" 60
campaign c-bench | produce "$BROKERS" "$RUN.s.triggers"
wait_log s.log "campaign 'c-bench' defined" 30
triggers c-bench 0 "$N" >triggers.txt

# One consumer follows the status topic from the beginning; a python filter counts cards with
# a terminal state and exits at N (then the consumer is stopped). (Not awk: mawk waits for a
# full input buffer before it looks at a line.)
mkfifo all.fifo status.fifo
kcat -b "$BROKERS" -t "$RUN.s.status" -C -o beginning -q -u -f '%s\n' >all.fifo 2>/dev/null &
FOLLOW=$!
PIDS+=("$FOLLOW")
# grep (line-buffered) passes on only the terminal ones: the follower must not lag serve.
grep --line-buffered -E '"state":"(done|failed)"' <all.fifo >status.fifo &
PIDS+=($!)
python3 -c '
import re, sys
n, seen = int(sys.argv[1]), set()
pat = re.compile(r"\"iccid\":\"(\d+)\"")
for line in sys.stdin:
    m = pat.search(line)
    if m:
        seen.add(m.group(1))
        if len(seen) >= n:
            sys.exit(0)
sys.exit(1)' "$N" <status.fifo &
COUNTER=$!

say "producing $N triggers"
T0=$(date +%s.%N)
(
  produce "$BROKERS" "$RUN.s.triggers" <triggers.txt
  say "kcat produced $N triggers in $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
) &
PRODUCER=$!
PIDS+=("$PRODUCER")
if [ -n "${BENCH_PERF:-}" ]; then
  sleep 3
  # shellcheck disable=SC2086  # options are words
  perf record ${BENCH_PERF_OPTS:--g} -F 499 -p "$SERVE_PID" -o "$W/perf.data" -- sleep "$BENCH_PERF" \
    >/dev/null 2>"$W/perf.log" &
fi
wait "$COUNTER" || fail "the status consumer stopped before $N cards were terminal"
T1=$(date +%s.%N)
RSS_KB=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SERVE_PID/status")
# CPU seconds (user + system) of serve and smsc-sim so far: less noisy than the wall clock on a
# shared machine.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }
say "CPU seconds: serve $(cpu_s "$SERVE_PID"), smsc-sim $(cpu_s "$SMSC_PID")"
# serve's busiest threads (CPU seconds; CAF names its scheduler workers caf.multiplexer,
# detached actors caf.actor; the main thread is the trigger consumer).
for t in /proc/"$SERVE_PID"/task/*; do
  awk -v hz="$(getconf CLK_TCK)" -v c="$(cat "$t/comm")" '{ printf "%.1f %s\n", ($14 + $15) / hz, c }' "$t/stat"
done | sort -rn | head -n 8 | tr '\n' ',' | sed 's/,$/\n/; s/^/serve threads: /' >&2
kill "$FOLLOW" 2>/dev/null || true
wait "$PRODUCER" || true
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "serve exited with an error after SIGTERM"
grep -E "jobs: [0-9]+ started" s.log | tail -n 1 >&2 || true
python3 - "$N" "$T0" "$T1" "$RSS_KB" <<'PY'
import json, sys
n, t0, t1, rss = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
s = t1 - t0
print(json.dumps({"cards": n, "seconds": round(s, 2), "cards_per_s": round(n / s),
                  "peak_rss_mb_serve": round(rss / 1024)}))
PY
