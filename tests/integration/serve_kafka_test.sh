#!/usr/bin/env bash
# `otaflow serve` against a real Apache Kafka broker, driven and read back with kcat (an
# ordinary Kafka client that is not otaflow), with `otaflow smsc-sim` and its virtual fleet
# as the network:
#   A. 10,000 cards triggered one by one; serve is killed with SIGKILL midway and restarted;
#      the status topic holds exactly one terminal state per card, all `done`; malformed
#      events land in the dead-letter topic with their reason, partition and offset.
#   B. Two serve instances in one consumer group share the trigger partitions; no card is
#      admitted twice; one instance stops (SIGTERM) midway, the other takes its partitions.
#   C. A private broker (scripts/kafka.sh on another port): down when serve starts, killed
#      mid-campaign and started again on the same data; serve waits, logs it, loses nothing.
#
# Usage: serve_kafka_test.sh OTAFLOW_BINARY SOURCE_DIR
# Needs OTAFLOW_KAFKA_BROKERS (CI sets it; scripts/kafka.sh start prints it); skipped (exit 77)
# without it. Phase C also needs java (as scripts/kafka.sh does); SERVE_TEST_SKIP_OUTAGE=1
# skips it. Prints cards/s of phase A.
set -euo pipefail

OTAFLOW=$(realpath "${1:?usage: $0 OTAFLOW_BINARY SOURCE_DIR}")
SRC=$(realpath "${2:?usage: $0 OTAFLOW_BINARY SOURCE_DIR}")
if [ -z "${OTAFLOW_KAFKA_BROKERS:-}" ]; then
  echo "SKIPPED: OTAFLOW_KAFKA_BROKERS is not set (scripts/kafka.sh start prints a broker address)"
  exit 77
fi
command -v kcat >/dev/null || { echo "SKIPPED: kcat not found"; exit 77; }
BROKERS=$OTAFLOW_KAFKA_BROKERS
CARDS_A=${SERVE_TEST_CARDS:-10000}
CARDS_B=2000
CARDS_C=2000
TOTAL=$((CARDS_A + CARDS_B + CARDS_C))

W=$(mktemp -d "${TMPDIR:-/tmp}/otaflow-serve-test.XXXXXX")
RUN=st$$x$RANDOM  # unique topic and group names per run
PIDS=()
PRIVATE_PORT=""
say() { echo "serve-test $(date +%T.%N | cut -c1-12): $*" >&2; }
PHASES=${SERVE_TEST_PHASES:-ABC}
phase() { [[ $PHASES == *"$1"* ]]; }
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  if [ -n "$PRIVATE_PORT" ]; then
    KAFKA_PORT=$PRIVATE_PORT OTAFLOW_KAFKA_STATE=$W/kafka-state "$SRC/scripts/kafka.sh" stop \
      >/dev/null 2>&1 || true
  fi
  if [ $rc -ne 0 ]; then
    say "FAILED (rc $rc); logs:"
    for f in "$W"/*.log; do
      echo "---- $f (last 30 lines)"
      tail -n 30 "$f"
    done
  fi
  rm -rf "$W"
}
trap cleanup EXIT
fail() {
  say "FAIL: $*"
  exit 1
}

# shellcheck source=serve_lib.sh
. "$SRC/tests/integration/serve_lib.sh"

export OTAFLOW_KEK=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
cd "$W"

# ---- the network: a fleet of virtual UICCs behind the SMSC simulator -----------------------
"$OTAFLOW" fleet generate --count "$TOTAL" --seed "serve-test" --out fleet.csv >/dev/null
tail -n +2 fleet.csv | cut -d, -f1 >iccids.txt
# One SMPP account per serve instance: the SMSC returns PoRs and receipts to binds of the
# account that submitted (docs/smsc-simulator.md), so instances must not share one.
start_smsc fleet.csv a b1 b2 c

# import STATE_DIR: the SIM vendor file into a profile repository (keys stay out of Kafka).
import() { "$OTAFLOW" subscribers import --state "$1" fleet.csv >/dev/null; }

# wait_terminal BROKERS TOPIC N SECONDS: until N cards have a terminal status.
wait_terminal() {
  local deadline=$((SECONDS + $4)) n=0
  while true; do
    consume "$1" "$2" >status.tmp || true  # the broker may be away for a moment
    n=$(count_terminal status.tmp)
    [ "$n" -ge "$3" ] && return 0
    ((SECONDS < deadline)) || fail "only $n of $3 cards terminal on $2 after $4 s"
    sleep 1
  done
}

# check_status FILE CAMPAIGN FIRST COUNT [unique_queued]: exactly one terminal state per card
# (repeats of the same state allowed after a crash), all done, no other card; with
# unique_queued also that no card was admitted twice (one `queued` status per card).
check_status() {
  python3 - "$@" <<'EOF'
import json, sys
path, campaign, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
unique_queued = len(sys.argv) > 5
want = [l.strip() for l in open("iccids.txt")][first:first + count]
terminal, queued, seen, events = {}, {}, set(), 0
for line in open(path):
    e = json.loads(line)
    for k in ("campaign", "iccid", "state", "attempt", "por_status", "reason", "ts"):
        assert k in e, f"status event without {k}: {line}"
    if e["campaign"] != campaign:
        continue
    events += 1
    seen.add(e["iccid"])
    if e["state"] in ("done", "failed"):
        terminal.setdefault(e["iccid"], set()).add((e["state"], e["reason"]))
    if e["state"] == "queued":
        queued[e["iccid"]] = queued.get(e["iccid"], 0) + 1
bad = [i for i in want if i not in terminal]
assert not bad, f"{len(bad)} cards without a terminal state, e.g. {bad[:3]}"
conflict = {i: t for i, t in terminal.items() if len(t) != 1}
assert not conflict, f"cards with different terminal states: {list(conflict.items())[:3]}"
notdone = {i: t for i, t in terminal.items() if next(iter(t))[0] != "done"}
assert not notdone, f"{len(notdone)} cards not done: {list(notdone.items())[:3]}"
extra = seen - set(want)
assert not extra, f"statuses for cards not triggered: {sorted(extra)[:3]}"
twice = {i: n for i, n in queued.items() if n > 1}
if unique_queued:
    assert not twice, f"{len(twice)} cards admitted twice: {list(twice.items())[:3]}"
print(f"{len(terminal)} cards, one terminal state each (done); {events} status events; "
      f"{len(twice)} cards with a repeated queued status")
EOF
}

# ---- A: 10,000 cards, SIGKILL midway ------------------------------------------------------
if phase A; then
say "A: $CARDS_A cards through $BROKERS"
config a "$BROKERS" a
# The API ([http] with a token file, mode 600): checked once the campaign is done.
HTTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'serve-api-token-%s\n' "$RUN" >token
chmod 600 token
printf '[http]\nlisten = "127.0.0.1:%s"\ntoken_file = "%s/token"\n' "$HTTP_PORT" "$W" >>a.toml
import a
start_serve a
wait_log a.log "consuming" 60
wait_log a.log "kafka consumer $RUN.a: assigned" 60
TA=$RUN.a.triggers
campaign c-a | produce "$BROKERS" "$TA"
wait_log a.log "campaign 'c-a' defined" 30
{
  printf 'junk\tnot json at all\n'
  printf 'junk\t{"type":"reboot","campaign":"c-a"}\n'
  printf 'junk\t{"type":"trigger","campaign":"c-a","iccid":"12ab"}\n'
  printf 'junk\t{"type":"trigger","campaign":"no-such-campaign","iccid":"8988211000000000001"}\n'
} | produce "$BROKERS" "$TA"
T0=$(date +%s.%N)
triggers c-a 0 "$CARDS_A" | produce "$BROKERS" "$TA"
# Midway: once some cards are done, SIGKILL (no chance to commit, flush or checkpoint).
deadline=$((SECONDS + 120))
until [ "$(consume "$BROKERS" "$RUN.a.status" | grep -c '"state":"done"')" -ge $((CARDS_A / 4)) ]; do
  ((SECONDS < deadline)) || fail "A: no progress before the kill"
  sleep 0.5
done
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
say "A: serve killed with SIGKILL; restarting"
start_serve a
wait_terminal "$BROKERS" "$RUN.a.status" "$CARDS_A" 240
T1=$(date +%s.%N)
# The API: the campaign's view from the state, the dashboard's counts, and control published
# to the triggers topic and applied by the instance (paused, then running again).
API=http://127.0.0.1:$HTTP_PORT
api() { curl -s -o api.out -w '%{http_code}' "$@"; }
[ "$(api "$API/api/v1/campaigns/c-a")" = 200 ] || fail "A: GET campaign: $(cat api.out)"
python3 -c 'import json,sys; v=json.load(open("api.out")); assert v["done"] == int(sys.argv[1]) and v["status"] == "running", v' "$CARDS_A" ||
  fail "A: the API's view of c-a"
[ "$(api "$API/api/v1/dashboard")" = 200 ] || fail "A: GET dashboard"
python3 -c 'import json; d=json.load(open("api.out")); c=[c for c in d["campaigns"] if c["id"]=="c-a"]; assert d["mode"]=="serve" and c and c[0]["states"]["done"] > 0, d["campaigns"]' ||
  fail "A: the dashboard's counts"
[ "$(api -X POST -d '' "$API/api/v1/campaigns/c-a/pause")" = 401 ] || fail "A: pause without a token"
for action in pause resume; do
  [ "$(api -X POST -d '' -H "Authorization: Bearer $(cat token)" "$API/api/v1/campaigns/c-a/$action")" = 202 ] ||
    fail "A: $action with the token: $(cat api.out)"
  want=$([ $action = pause ] && echo paused || echo running)
  deadline=$((SECONDS + 30))
  until [ "$(api "$API/api/v1/campaigns/c-a")" = 200 ] && grep -q "\"status\":\"$want\"" api.out; do
    ((SECONDS < deadline)) || fail "A: c-a not $want 30 s after the API's $action: $(cat api.out)"
    sleep 0.5
  done
done
[ "$(consume "$BROKERS" "$TA" | grep -c '"type":"pause"')" = 1 ] || fail "A: no pause event on $TA"
say "A: API: view, dashboard, 401 without the token, pause and resume published and applied"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "A: serve exited with an error after SIGTERM"
consume "$BROKERS" "$RUN.a.status" >status-a.txt
check_status status-a.txt c-a 0 "$CARDS_A"
python3 - "$CARDS_A" "$T0" "$T1" <<'EOF'
import sys
n, t0, t1 = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"A: {n} cards in {t1 - t0:.1f} s including a SIGKILL and restart: {n / (t1 - t0):.0f} cards/s")
EOF
grep -q "status events not acknowledged before the last stop are sent again\|campaigns loaded" a.log ||
  fail "A: restart not logged"
consume "$BROKERS" "$RUN.a.dlq" >dlq-a.txt
python3 - "$TA" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open("dlq-a.txt")]
for r in recs:
    assert r["topic"] == sys.argv[1] and r["partition"] >= 0 and r["offset"] >= 0, r
    assert r["payload_encoding"] == "utf-8" and r["reason"], r
reasons = {r["payload"]: r["reason"] for r in recs}
expect = {
    "not json at all": "invalid JSON",
    '{"type":"reboot","campaign":"c-a"}': "unknown type",
    '{"type":"trigger","campaign":"c-a","iccid":"12ab"}': "iccid",
    '{"type":"trigger","campaign":"no-such-campaign","iccid":"8988211000000000001"}': "not defined",
}
for payload, words in expect.items():
    assert payload in reasons, f"not in the DLQ: {payload}"
    assert words in reasons[payload], f"reason of {payload}: {reasons[payload]}"
print(f"A: {len(recs)} dead-letter records, every malformed event with its reason")
EOF
fi

# ---- B: two instances in one group ---------------------------------------------------------
if phase B; then
say "B: two instances share $CARDS_B cards"
config b1 "$BROKERS" b
config b2 "$BROKERS" b
import b1
import b2
start_serve b1
B1=$SERVE_PID
start_serve b2
B2=$SERVE_PID
wait_log b1.log "kafka consumer $RUN.b: assigned" 60
wait_log b2.log "kafka consumer $RUN.b: assigned" 60
TB=$RUN.b.triggers
campaign c-b | produce "$BROKERS" "$TB"
wait_log b1.log "campaign 'c-b' defined" 30
wait_log b2.log "campaign 'c-b' defined" 30
triggers c-b "$CARDS_A" "$CARDS_B" | produce "$BROKERS" "$TB"
deadline=$((SECONDS + 120))
until [ "$(consume "$BROKERS" "$RUN.b.status" | grep -c '"state":"done"')" -ge $((CARDS_B / 3)) ]; do
  ((SECONDS < deadline)) || fail "B: no progress"
  sleep 0.5
done
kill -TERM "$B1"  # leaves the group: b2 takes its partitions; b1's running jobs finish
wait "$B1" || fail "B: b1 exited with an error after SIGTERM"
# b1 owns the jobs it admitted (its state directory): back in the group, it resumes any that
# were still running when it stopped, and takes a share of the partitions again.
start_serve b1
B1=$SERVE_PID
wait_terminal "$BROKERS" "$RUN.b.status" "$CARDS_B" 180
kill -TERM "$B1" "$B2"
wait "$B1" || fail "B: b1 exited with an error"
wait "$B2" || fail "B: b2 exited with an error"
consume "$BROKERS" "$RUN.b.status" >status-b.txt
check_status status-b.txt c-b "$CARDS_A" "$CARDS_B" unique_queued
n1=$("$OTAFLOW" campaign status --state b1 c-b | sed 's/.*"cards":\([0-9]*\).*/\1/')
n2=$("$OTAFLOW" campaign status --state b2 c-b | sed 's/.*"cards":\([0-9]*\).*/\1/')
say "B: instance 1 ran $n1 cards, instance 2 ran $n2"
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] && [ $((n1 + n2)) -eq "$CARDS_B" ] ||
  fail "B: the instances' jobs do not partition the cards ($n1 + $n2 != $CARDS_B)"
fi

# ---- C: the broker down at start, killed mid-campaign, back on the same data ---------------
if ! phase C || [ "${SERVE_TEST_SKIP_OUTAGE:-0}" = 1 ] || ! command -v java >/dev/null; then
  say "C: skipped (SERVE_TEST_SKIP_OUTAGE=1 or no java)"
  say "PASS"
  exit 0
fi
PRIVATE_PORT=$((20000 + RANDOM % 8000)) # below 28092 (the cluster tests) and the ephemeral range
PB=127.0.0.1:$PRIVATE_PORT
say "C: private broker at $PB"
config c "$PB" c 100  # 200 cards/s: the outage falls in the middle of the campaign
import c
start_serve c
C=$SERVE_PID
sleep 3  # serve is up before the broker
KAFKA_PORT=$PRIVATE_PORT KAFKA_CONTROLLER_PORT=$((PRIVATE_PORT + 1)) \
  OTAFLOW_KAFKA_STATE=$W/kafka-state "$SRC/scripts/kafka.sh" start >/dev/null 2>kafka.log
grep -q "waiting for Kafka\|brokers unreachable\|broker connection failed" c.log ||
  fail "C: serve did not say it waits for the broker"
wait_log c.log "kafka consumer $RUN.c: assigned" 90
TC=$RUN.c.triggers
campaign c-c | produce "$PB" "$TC"
wait_log c.log "campaign 'c-c' defined" 30
triggers c-c $((CARDS_A + CARDS_B)) "$CARDS_C" | produce "$PB" "$TC"
deadline=$((SECONDS + 120))
until [ "$(consume "$PB" "$RUN.c.status" | grep -c '"state":"done"')" -ge $((CARDS_C / 4)) ]; do
  ((SECONDS < deadline)) || fail "C: no progress"
  sleep 0.5
done
# Kill the broker and start the same JVM again on the same data a few seconds later.
KPID=$(cat "$W/kafka-state/pid")
mapfile -d '' KCMD <"/proc/$KPID/cmdline"
KCWD=$(readlink "/proc/$KPID/cwd")
kill -KILL "$KPID"
say "C: broker killed"
sleep 6
(cd "$KCWD" && exec setsid "${KCMD[@]}" >>"$W/kafka-restart.log" 2>&1 </dev/null) &
echo $! >"$W/kafka-state/pid"
say "C: broker started again"
wait_terminal "$PB" "$RUN.c.status" "$CARDS_C" 180
kill -TERM "$C"
wait "$C" || fail "C: serve exited with an error"
consume "$PB" "$RUN.c.status" >status-c.txt
check_status status-c.txt c-c $((CARDS_A + CARDS_B)) "$CARDS_C"
grep -q "brokers unreachable\|broker connection failed\|waiting for the Kafka brokers" c.log ||
  fail "C: the outage is not in serve's log"
say "PASS"
