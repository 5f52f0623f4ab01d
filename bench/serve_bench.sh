#!/usr/bin/env bash
# End-to-end throughput of `otaflow serve` through a real Apache Kafka broker (issue 6):
# smsc-sim with a generated fleet, the fleet imported into serve's profile repository, one
# campaign event, then N triggers (one per card) produced with kcat, as fast as kcat goes.
# Prints one JSON line:
#   {"cards": N, "seconds": S, "cards_per_s": X, "peak_rss_mb_serve": M,
#    "serve_cpu_ms_per_card": C, "broker_cpu_ms_per_card": B, "host_calibration_ms": H}
# H: how long a fixed Python loop (3M additions) took before the run. This shared VM's speed
# has varied fourfold between days (docs/SCALING.md); H says which kind of day a figure is from.
# (CPU from the first trigger on: start-up and the import left out)
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
# Partition-owned mode (docs/SCALING.md): BENCH_PARTITIONED=1 runs serve with [serve]
#   partitioned = true (the vendor file published with `subscribers import --config`, triggers
#   keyed with Java's murmur2 partitioner); BENCH_INSTANCES=2 runs two instances in the group
#   sharing one SMPP account. The campaign starts once every instance applied the import. The
#   JSON line then adds the changelog's cost per card (changelog_bytes_per_card,
#   changelog_records_per_card, transactions), and BENCH_RESTORE=1 ends with a restore: once
#   the instances stopped cleanly, a new instance on an empty state directory gets every
#   partition and rebuilds it from the changelog (restore_ms, restore_records).
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
HOST_CAL_MS=$(python3 -c '
import time
t = time.perf_counter()
s = 0
for i in range(3000000):
    s += i
print(round((time.perf_counter() - t) * 1000))')
export OTAFLOW_KEK=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
cd "$W"

PARTITIONED=${BENCH_PARTITIONED:-0}
INSTANCES=${BENCH_INSTANCES:-1}
say "$N cards through $BROKERS (engine window $SERVE_WINDOW, partitioned $PARTITIONED, $INSTANCES instances); setting up"
"$OTAFLOW" fleet generate --count "$N" --seed "serve-bench" --out fleet.csv >/dev/null
tail -n +2 fleet.csv | cut -d, -f1 >iccids.txt
start_smsc fleet.csv s
NAMES=(s)
[ "$INSTANCES" = 2 ] && NAMES=(s s2)
for i in "${NAMES[@]}"; do
  config "$i" "$BROKERS" s
  sed -i "s/system_id = \"$i\"/system_id = \"s\"/" "$i.toml"
  if [ "$PARTITIONED" = 1 ]; then
    sed -i "s/^dlq_topic.*/&\nstate_topic = \"$RUN.s.state\"\nsubscribers_topic = \"$RUN.s.subscribers\"\nmo_topic = \"$RUN.s.mo\"/" "$i.toml"
    printf 'partitioned = true\n' >>"$i.toml"
  fi
  # BENCH_REPLICATION: replication of the topics serve creates (3 on a 3-broker cluster).
  printf 'create_topics_replication = %s\n' "${BENCH_REPLICATION:-1}" >>"$i.toml"
done
# Triggers keyed by ICCID go where Java's partitioner puts them (kcat's default is CRC32).
produce() { kcat -b "$1" -t "$2" -P -K $'\t' -z lz4 -X linger.ms=20 -X partitioner=murmur2_random; }
if [ "$PARTITIONED" = 1 ]; then
  start_serve s
  wait_log s.log "consuming" 90
  "$OTAFLOW" subscribers import --config s.toml fleet.csv >import.json
else
  "$OTAFLOW" subscribers import --state s fleet.csv >/dev/null
  start_serve s
fi
SERVE_PIDS=("$SERVE_PID")
S1_PID=$SERVE_PID
wait_log s.log "kafka consumer $RUN.s: assigned" 60
if [ "$INSTANCES" = 2 ]; then
  start_serve s2
  SERVE_PIDS+=("$SERVE_PID")
  wait_log s2.log "kafka consumer $RUN.s: assigned" 60
fi
if [ "$PARTITIONED" = 1 ]; then
  for i in "${NAMES[@]}"; do wait_log "$i.log" "partitions restored" 120; done
  # The campaign starts once the import is applied (a carrier imports its cards before it
  # runs a campaign on them; triggers of a card not applied yet wait): every instance's log
  # says so, and the cards applied add up to N.
  T_IMPORT=$SECONDS
  until
    applied=0
    for i in "${NAMES[@]}"; do
      a=$(grep -o "subscriber records: [0-9]* applied, 0 behind" "$i.log" | tail -n 1 | awk '{ print $3 }')
      applied=$((applied + ${a:-0}))
    done
    ((applied >= N))
  do
    ((SECONDS - T_IMPORT < 300)) || fail "the subscriber import was not applied after 300 s ($applied of $N)"
    sleep 0.5
  done
  say "subscriber import applied ($applied records) $((SECONDS - T_IMPORT)) s after the instances were ready"
fi
SERVE_PID=$S1_PID
campaign c-bench | produce "$BROKERS" "$RUN.s.triggers"
for i in "${NAMES[@]}"; do wait_log "$i.log" "campaign 'c-bench' defined" 30; done
triggers c-bench 0 "$N" >triggers.txt

# One consumer follows the status topic from the beginning and exits once every card has a
# terminal state: bench/status_follower (built with the benchmarks) when there is one, else
# kcat, grep and a python filter, which cost about 0.02 CPU-ms per card more on the same cores
# (mawk would wait for a full input buffer before it looks at a line: python it is).
FOLLOWER=${STATUS_FOLLOWER:-$(dirname "$OTAFLOW")/../bench/status_follower}
if [ -x "$FOLLOWER" ]; then
  "$FOLLOWER" "$BROKERS" "$RUN.s.status" "$N" >follower.out &
  COUNTER=$!
  FOLLOW=$COUNTER
  say "status follower: $FOLLOWER"
else
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
  say "status follower: kcat | grep | python3 ($FOLLOWER not built)"
fi
PIDS+=("$COUNTER")

# CPU seconds of every Kafka broker JVM on this machine (the broker shares the 2 cores).
broker_cpu() {
  local total=0 p
  for p in $(pgrep -f kafka.Kafka || true); do
    total=$(awk -v t="$total" -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", t + ($14 + $15) / hz }' "/proc/$p/stat")
  done
  echo "$total"
}
BROKER_CPU0=$(broker_cpu)
# CPU seconds (user + system) of a process so far: less noisy than the wall clock on a shared
# machine.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
# serve's CPU before the first trigger (start-up, restore, the subscriber import): left out of
# the campaign's CPU per card.
SERVE_CPU0=0
for p in "${SERVE_PIDS[@]}"; do SERVE_CPU0=$(awk -v a="$SERVE_CPU0" -v b="$(cpu_s "$p")" 'BEGIN { printf "%.2f", a + b }'); done
SMSC_CPU0=$(cpu_s "$SMSC_PID")
# Each serve thread's CPU ticks now (tid name ticks), so that the busiest threads are listed by
# their CPU during the campaign rather than over their lives (which include the import).
thread_ticks() {
  local t c
  for t in /proc/"$1"/task/*; do
    c=$(cat "$t/comm" 2>/dev/null) || continue
    awk -v c="${c// /_}" -v t="${t##*/}" '{ print t, c, $14 + $15 }' "$t/stat" 2>/dev/null || true
  done
}
thread_ticks "$SERVE_PID" >threads0.txt
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
SERVE_CPU=0
for p in "${SERVE_PIDS[@]}"; do SERVE_CPU=$(awk -v a="$SERVE_CPU" -v b="$(cpu_s "$p")" 'BEGIN { printf "%.2f", a + b }'); done
SERVE_CPU=$(awk -v a="$SERVE_CPU0" -v b="$SERVE_CPU" 'BEGIN { printf "%.1f", b - a }')
SMSC_CPU=$(awk -v a="$SMSC_CPU0" -v b="$(cpu_s "$SMSC_PID")" 'BEGIN { printf "%.1f", b - a }')
BROKER_CPU=$(awk -v a="$BROKER_CPU0" -v b="$(broker_cpu)" 'BEGIN { printf "%.1f", b - a }')
say "CPU seconds from the first trigger on: serve $SERVE_CPU (all instances), smsc-sim $SMSC_CPU, Kafka broker(s) $BROKER_CPU"
# serve's busiest threads during the campaign (CPU seconds; CAF names its scheduler workers
# caf.multiplexer, detached actors caf.actor; the main thread is the trigger consumer). A
# thread may end between the listing and the read: thread_ticks skips it.
thread_ticks "$SERVE_PID" | awk -v hz="$(getconf CLK_TCK)" '
  NR == FNR { before[$1] = $3; next }
  { printf "%.1f %s\n", ($3 - before[$1]) / hz, $2 }' threads0.txt - |
  sort -rn | head -n 10 | tr '\n' ',' | sed 's/,$/\n/; s/^/serve threads (campaign): /' >&2
kill "$FOLLOW" 2>/dev/null || true
wait "$PRODUCER" || true
for p in "${SERVE_PIDS[@]}"; do kill -TERM "$p"; done
for p in "${SERVE_PIDS[@]}"; do wait "$p" || fail "serve exited with an error after SIGTERM"; done
grep -E "jobs: [0-9]+ started" s.log | tail -n 1 >&2 || true
RESTORE=""
if [ "$PARTITIONED" = 1 ] && [ "${BENCH_RESTORE:-0}" = 1 ]; then
  # Every partition to instance s, rebuilt from the changelog on an empty state directory.
  # A new instance on an empty state directory (the group has no other member now).
  sed -e "s#^state_dir = .*#state_dir = \"$W/r\"#" -e 's/^instance_id = .*/instance_id = "r"/' \
    s.toml >r.toml
  chmod 600 r.toml # it holds the SMPP password: serve refuses it readable by others
  start_serve r
  wait_log r.log "partitions restored" 600
  RESTORE=$(grep "partitions restored" r.log | tail -n 1)
  say "restore: ${RESTORE#*] }"
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID" || true
fi
HOST_CAL_MS=$HOST_CAL_MS python3 - "$N" "$T0" "$T1" "$RSS_KB" "$SERVE_CPU" "$PARTITIONED" "$RESTORE" "$BROKER_CPU" "${NAMES[@]}" <<'PY'
import json, os, re, sys
n, t0, t1, rss = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
cpu, partitioned, restore = float(sys.argv[5]), sys.argv[6] == "1", sys.argv[7]
broker, names = float(sys.argv[8]), sys.argv[9:]
s = t1 - t0
out = {"cards": n, "seconds": round(s, 2), "cards_per_s": round(n / s),
       "peak_rss_mb_serve": round(rss / 1024), "serve_cpu_ms_per_card": round(1000 * cpu / n, 3),
       "broker_cpu_ms_per_card": round(1000 * broker / n, 3),
       "host_calibration_ms": int(os.environ["HOST_CAL_MS"])}
if partitioned:
    txn = rec = byt = 0
    pat = re.compile(r"stopped: (\d+) transactions \((\d+) aborted, \d+ producers replaced\), (\d+) changelog records \((\d+) bytes")
    for name in names:
        for line in open(f"{name}.log"):
            m = pat.search(line)
            if m:
                txn += int(m.group(1)); rec += int(m.group(3)); byt += int(m.group(4))
                break  # the first stop: the campaign's run (not the restore)
    out.update({"instances": len(names), "transactions": txn,
                "changelog_records_per_card": round(rec / n, 2),
                "changelog_bytes_per_card": round(byt / n)})
    m = re.search(r"in (\d+) ms: (\d+) records", restore)
    if m:
        out.update({"restore_ms": int(m.group(1)), "restore_records": int(m.group(2))})
print(json.dumps(out))
PY
