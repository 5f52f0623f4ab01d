#!/usr/bin/env bash
# Partition-owned serve (issue 14, docs/SCALING.md) on a 3-node Kafka cluster of its own
# (`KAFKA_BROKERS=3 scripts/kafka.sh`, replication 3, min.insync.replicas 2), two serve
# instances in one group sharing ONE SMPP account of one SMSC simulator, which delivers the
# account's PoRs and receipts round-robin over all binds (so half of them arrive at the
# instance that does not own the card and are forwarded through the MO topic):
#   1. the vendor file is published with `subscribers import --config` (no local import);
#   2. N cards triggered one by one, keyed by ICCID (Java's murmur2 partitioner), then:
#      - kill -9 instance a mid-campaign, stop broker 2 (SIGKILL), start a again on its state
#        directory;
#      - kill -9 instance b, wipe its state directory, start it again (it rebuilds its
#        partitions from the changelog), all with broker 2 still down;
#      - start broker 2 again;
#   3. then, as a read_committed consumer sees the status topic: every card exactly ONE terminal
#      status (not one per instance, not one per restart), all `done`; no status ever carried
#      PoR 02 (counter low: a counter used twice or reused below what the card saw); no
#      dead-letter record; the instances forwarded answers to each other;
#   4. a selection trigger (one record) for 400 cards: copied to every partition, each owner
#      expands its own cards; every selected card exactly one terminal status, all done.
#
# Usage: serve_partitioned_test.sh OTAFLOW_BINARY SOURCE_DIR
# Runs when OTAFLOW_KAFKA_CLUSTER_TEST=1 (scripts/test.sh sets it for one run on its own: 3 JVMs
# are too much beside a parallel ctest), else skipped (exit 77). Ports KAFKA_PORT [28292]..+5.
# SERVE_PARTITIONED_CARDS [3000] cards.
set -euo pipefail

OTAFLOW=$(realpath "${1:?usage: $0 OTAFLOW_BINARY SOURCE_DIR}")
SRC=$(realpath "${2:?usage: $0 OTAFLOW_BINARY SOURCE_DIR}")
if [ "${OTAFLOW_KAFKA_CLUSTER_TEST:-0}" != 1 ]; then
  echo "SKIPPED: set OTAFLOW_KAFKA_CLUSTER_TEST=1 to start a 3-node cluster (scripts/test.sh does)"
  exit 77
fi
for tool in kcat java python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found"; exit 1; }
done
N=${SERVE_PARTITIONED_CARDS:-3000}
W=$(mktemp -d "${TMPDIR:-/tmp}/otaflow-partitioned-test.XXXXXX")
export KAFKA_BROKERS=3 KAFKA_NUM_PARTITIONS=8 OTAFLOW_KAFKA_STATE=$W/kafka
export KAFKA_PORT=${SERVE_PARTITIONED_KAFKA_PORT:-28292}
KAFKA="$SRC/scripts/kafka.sh"
RUN=pt$$x$RANDOM
PIDS=()
say() { echo "partitioned-test $(date +%T): $*" >&2; }
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  if [ $rc -ne 0 ]; then
    say "FAILED (rc $rc); logs:"
    for f in "$W"/*.log; do
      echo "---- $f (last 25 lines)"
      grep -v "dead-letter" "$f" | tail -n 25 | cut -c1-300
    done
    for f in "$W"/kafka/node*/broker.log; do
      [ -f "$f" ] && { echo "---- $f (last 10 lines)"; tail -n 10 "$f" | cut -c1-240; }
    done
  fi
  "$KAFKA" stop >/dev/null 2>&1 || true
  if [ $rc -ne 0 ] && [ -n "${SERVE_PARTITIONED_KEEP:-}" ]; then
    rm -rf "$SERVE_PARTITIONED_KEEP" && mv "$W" "$SERVE_PARTITIONED_KEEP" && say "kept $SERVE_PARTITIONED_KEEP"
  fi
  rm -rf "$W"
}
trap cleanup EXIT
# This test runs its own cluster: a broker list from the environment would override the
# configs it writes (serve_config reads OTAFLOW_KAFKA_BROKERS), as it did in CI.
unset OTAFLOW_KAFKA_BROKERS
fail() {
  say "FAIL: $*"
  exit 1
}
# shellcheck source=serve_lib.sh
. "$SRC/tests/integration/serve_lib.sh"
export OTAFLOW_KEK=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
cd "$W"

say "starting a 3-node cluster on $KAFKA_PORT.."
B=$("$KAFKA" start 2>kafka-start.log)
say "cluster: $B"
# Records keyed by ICCID land where Java's default partitioner puts them (kcat's own default
# is CRC32: serve dead-letters triggers on the wrong partition).
produce_m() { kcat -b "$B" -t "$1" -P -K $'\t' -X partitioner=murmur2_random -X linger.ms=20; }
consume_rc() { kcat -b "$B" -t "$1" -C -o beginning -e -q -X isolation.level=read_committed \
  -f '%s\n' 2>/dev/null; }

"$OTAFLOW" fleet generate --count "$N" --seed "partitioned" --out fleet.csv >/dev/null
tail -n +2 fleet.csv | cut -d, -f1 >iccids.txt
start_smsc fleet.csv ota
# Two instances, one account. rate paces each bind so the campaign lasts long enough for the
# kills (2 instances x 2 binds x 25 segments/s).
for i in a b; do
  config "$i" "$B" g 25
  sed -i "s/system_id = \"$i\"/system_id = \"ota\"/" "$i.toml"
  sed -i "s/^dlq_topic.*/&\nstate_topic = \"$RUN.g.state\"\nsubscribers_topic = \"$RUN.g.subscribers\"\nmo_topic = \"$RUN.g.mo\"/" "$i.toml"
  sed -i 's/create_topics_partitions = 4/create_topics_partitions = 8\ncreate_topics_replication = 3\npartitioned = true/' "$i.toml"
done
T=$RUN.g.triggers
S=$RUN.g.status

start_serve a
A_PID=$SERVE_PID
wait_log a.log "consuming" 90
"$OTAFLOW" subscribers import --config a.toml fleet.csv >import.json
grep -q "\"published\": $N" import.json || fail "import: $(cat import.json)"
start_serve b
B_PID=$SERVE_PID
wait_log b.log "consuming" 90
wait_log b.log "partitions restored" 60
campaign c1 | produce_m "$T"
wait_log a.log "campaign 'c1' defined" 30
wait_log b.log "campaign 'c1' defined" 30
triggers c1 0 "$N" | produce_m "$T"
say "$N cards triggered"

# terminal_count: cards with a terminal status, as a read_committed consumer sees them.
terminal_count() { consume_rc "$S" >status.tmp || true; count_terminal status.tmp; }
wait_terminal() {
  local deadline=$((SECONDS + $2)) n=0
  while true; do
    n=$(terminal_count)
    [ "$n" -ge "$1" ] && return 0
    ((SECONDS < deadline)) || fail "only $n of $1 cards terminal after $2 s"
    sleep 1
  done
}

wait_terminal $((N / 5)) 120
say "kill -9 instance a at $(terminal_count) terminal"
kill -KILL "$A_PID"
sleep 2
say "stop broker 2"
"$KAFKA" stop-broker 2 >>kafka-ops.log 2>&1
start_serve a
A_PID=$SERVE_PID
wait_terminal $((N * 2 / 5)) 240
say "kill -9 instance b at $(terminal_count) terminal, wipe its state directory, start it again"
kill -KILL "$B_PID"
rm -rf "$W/b"
echo "---- restarted on an empty state directory" >>b.log
start_serve b
B_PID=$SERVE_PID
wait_terminal $((N * 3 / 5)) 240
say "start broker 2 at $(terminal_count) terminal"
# A restart that fails (e.g. its port held, docs/kafka-broker.md "Cluster ports") is logged, not
# a failure: the cluster works on with 2 of 3 brokers, which is what the test is about.
if [ -n "${SERVE_PARTITIONED_HOLD_PORT:-}" ]; then
  # Reproduces a CI failure: a client connection (no SO_REUSEADDR, like librdkafka's) whose local
  # port is one node 2 listens on, so node 2's restart cannot bind it. The bind waits out the
  # killed node's TIME_WAIT sockets.
  python3 -c '
import socket, sys, time
while True:
    try:
        s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); break
    except OSError:
        s.close(); time.sleep(0.2)
s.connect(("127.0.0.1", int(sys.argv[2]))); open("held", "w").close()
time.sleep(3600)' "$SERVE_PARTITIONED_HOLD_PORT" "$KAFKA_PORT" &
  PIDS+=($!)
  until [ -f held ]; do sleep 0.2; done
  say "port $SERVE_PARTITIONED_HOLD_PORT held by a client connection"
fi
back=0
attempts="1 2 3"
[ -z "${SERVE_PARTITIONED_BROKER2_STAYS_DOWN:-}" ] || attempts=""
for attempt in $attempts; do
  if "$KAFKA" start-broker 2 >>kafka-ops.log 2>&1; then
    back=1
    break
  fi
  say "broker 2 did not start (attempt $attempt): $(tail -n 1 kafka-ops.log | cut -c1-300)"
  grep -E "ERROR|FATAL|Exception" "$W/kafka/node2/broker.log" 2>/dev/null | tail -n 3 | cut -c1-300 >&2 || true
  sleep 5
done
((back)) || say "broker 2 stays down: going on with 2 of 3 brokers"
wait_terminal "$N" 400
say "all $N cards terminal; letting late statuses arrive"
sleep 5
consume_rc "$S" >status.txt
consume_rc "$RUN.g.dlq" >dlq.txt

python3 - "$N" <<'PY'
import json, sys
n = int(sys.argv[1])
want = [l.strip() for l in open("iccids.txt")][:n]
terminal, por02, events = {}, [], 0
for line in open("status.txt"):
    e = json.loads(line)
    events += 1
    if e.get("por_status") == "02":
        por02.append(e)
    if e["state"] in ("done", "failed", "skipped"):
        terminal.setdefault(e["iccid"], []).append((e["state"], e["reason"]))
missing = [i for i in want if i not in terminal]
assert not missing, f"{len(missing)} cards without a terminal status, e.g. {missing[:3]}"
twice = {i: t for i, t in terminal.items() if len(t) != 1}
assert not twice, f"{len(twice)} cards with more than one terminal status: {list(twice.items())[:3]}"
notdone = {i: t for i, t in terminal.items() if t[0][0] != "done"}
assert not notdone, f"{len(notdone)} cards not done: {list(notdone.items())[:3]}"
assert not por02, f"{len(por02)} statuses with PoR 02 (counter low), e.g. {por02[:2]}"
extra = set(terminal) - set(want)
assert not extra, f"statuses of cards not triggered: {sorted(extra)[:3]}"
print(f"{len(terminal)} cards, exactly one terminal status each, all done; {events} status events; no PoR 02")
PY
[ ! -s dlq.txt ] || fail "dead-letter records: $(head -n 3 dlq.txt)"

# A selection trigger (one record, any partition): copied to every partition and expanded by
# each owner over its own cards only; every selected card exactly one terminal status.
SEL=${SERVE_PARTITIONED_SELECTION:-400}
campaign c2 | produce_m "$T"
wait_log a.log "campaign 'c2' defined" 30
wait_log b.log "campaign 'c2' defined" 30
ids=$(head -n "$SEL" iccids.txt | awk '{printf "%s\"%s\"", (NR > 1 ? "," : ""), $1}')
printf 'sel\t{"type":"trigger","campaign":"c2","target":{"iccids":[%s]}}\n' "$ids" | produce_m "$T"
deadline=$((SECONDS + 180))
until [ "$(consume_rc "$S" | grep '"campaign":"c2"' | grep -cE '"state":"(done|failed)"')" -ge "$SEL" ]; do
  ((SECONDS < deadline)) || fail "selection: not every card of c2 terminal after 180 s"
  sleep 1
done
sleep 3
consume_rc "$S" | grep '"campaign":"c2"' >c2.txt
python3 - "$SEL" <<'PY'
import json, sys
n = int(sys.argv[1])
want = set(l.strip() for l in list(open("iccids.txt"))[:n])
terminal = {}
for line in open("c2.txt"):
    e = json.loads(line)
    if e["state"] in ("done", "failed", "skipped"):
        terminal.setdefault(e["iccid"], []).append(e["state"])
assert set(terminal) == want, f"selection: {len(set(terminal) ^ want)} cards differ"
bad = {i: t for i, t in terminal.items() if t != ["done"]}
assert not bad, f"selection: {len(bad)} cards not exactly one done: {list(bad.items())[:3]}"
print(f"selection: {n} cards, exactly one terminal status each, all done")
PY
for i in a b; do
  grep -q "campaign 'c2'" "$i.log" || fail "instance $i never saw campaign c2"
done
kill -TERM "$A_PID" "$B_PID"
wait "$A_PID" "$B_PID" 2>/dev/null || true
fwd=$(sed -n 's/.*answers forwarded to other instances \([0-9]*\), received from them \([0-9]*\).*/\1 \2/p' a.log b.log)
say "answers forwarded/received per run: $(echo $fwd | tr '\n' ' ')"
echo "$fwd" | awk '{f += $1; r += $2} END {exit !(f > 0 && r > 0)}' ||
  fail "no answer was forwarded between the instances (one SMPP account: some must be)"
grep -h "partitions restored" a.log b.log | sed 's/.*\(partitions restored.*\)/\1/' | cut -c1-200
# A transaction held past its timeout while broker 2 went away is aborted by the coordinator,
# which fences the producer; the instance replaces it (docs/SCALING.md "Fencing").
grep -h "transactional producer failed" a.log b.log | cut -c1-300 || true
say "producers replaced: $(grep -hc 'transactional producer failed' a.log b.log | paste -sd' ')"
say "PASS"
