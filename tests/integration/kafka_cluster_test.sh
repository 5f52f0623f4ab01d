#!/usr/bin/env bash
# `KAFKA_BROKERS=3 scripts/kafka.sh` (issue 14): a 3-node KRaft cluster on loopback, checked
# with kcat and librdkafka's transactions (kafka_txn_produce.py, ctypes):
#   1. start prints exactly the bootstrap list; the metadata lists 3 brokers; an auto-created
#      topic has KAFKA_NUM_PARTITIONS partitions on 3 replicas, all in sync.
#   2. idempotent acks=all records and transactions: committed ones visible to read_committed,
#      aborted ones only to read_uncommitted.
#   3. stop-broker 2 (SIGKILL): status says so (exit 1); acks=all writes and a transaction still
#      succeed with 2 in-sync replicas; start-broker 2 brings it back into every ISR.
#   4. stop-broker 1 --graceful, a consumer group commits its offsets; stop-broker 2 3 (all
#      down) and start-broker 1 2 3 on their data: the group's offsets are still there.
#   5. every record exactly once (read_committed), then stop: no JVM, no state left.
#
# Usage: kafka_cluster_test.sh SOURCE_DIR
# Starts and stops its own cluster on KAFKA_CLUSTER_TEST_PORT [28092] .. +5 (not the 9092
# broker of the other tests). Runs when OTAFLOW_KAFKA_CLUSTER_TEST=1 (scripts/test.sh sets it
# for one run on its own), else skipped (exit 77): 3 JVMs are too much beside a parallel ctest.
set -euo pipefail

SRC=$(realpath "${1:?usage: $0 SOURCE_DIR}")
if [ "${OTAFLOW_KAFKA_CLUSTER_TEST:-0}" != 1 ]; then
  echo "SKIPPED: set OTAFLOW_KAFKA_CLUSTER_TEST=1 to start a 3-node cluster (scripts/test.sh does)"
  exit 77
fi
for tool in kcat java python3; do
  command -v "$tool" >/dev/null || {
    echo "FAIL: $tool not found (scripts/setup.sh installs it)"
    exit 1
  }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/otaflow-kcluster-test.XXXXXX")
export KAFKA_BROKERS=3 KAFKA_NUM_PARTITIONS=3 OTAFLOW_KAFKA_STATE=$W/kafka
export KAFKA_PORT=${KAFKA_CLUSTER_TEST_PORT:-28092}
KAFKA="$SRC/scripts/kafka.sh"
TXN="python3 $SRC/tests/integration/kafka_txn_produce.py"
EXPECTED=127.0.0.1:$KAFKA_PORT,127.0.0.1:$((KAFKA_PORT + 2)),127.0.0.1:$((KAFKA_PORT + 4))
TOPIC=cluster-test
say() { echo "kafka-cluster-test $(date +%T): $*" >&2; }
cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    say "FAILED (rc $rc); kafka.sh said:"
    cat "$W"/*.log 2>/dev/null | tail -n 30
    for f in "$W"/kafka/node*/broker.log; do
      [ -f "$f" ] && { echo "---- $f (last 15 lines, cut)"; tail -n 15 "$f" | cut -c1-240; }
    done
  fi
  "$KAFKA" stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
fail() {
  say "FAIL: $*"
  exit 1
}

# produce PREFIX FROM TO: idempotent, acks=all records PREFIX-FROM .. PREFIX-TO (key = value).
produce() {
  seq -f "$1-%g" "$2" "$3" | awk '{print $0 "\t" $0}' |
    kcat -b "$BROKERS" -P -t "$TOPIC" -K '\t' -X enable.idempotence=true -X acks=all \
      -X message.timeout.ms=60000 2>>"$W/kcat.log" || fail "producing $1-$2..$3 failed"
}

# consume ISOLATION: every record's value, sorted.
consume() {
  kcat -b "$BROKERS" -C -t "$TOPIC" -e -q -X isolation.level="$1" 2>>"$W/kcat.log" | sort
}

# The metadata line of each partition of $TOPIC, e.g. "partition 0, leader 1, replicas: ...".
partitions() {
  kcat -b "$BROKERS" -L -t "$TOPIC" -m 10 2>/dev/null | grep -E '^ +partition [0-9]+,' || true
}

# every_partition REGEX: $TOPIC has its 3 partitions and each one's metadata line matches.
every_partition() {
  local lines
  lines=$(partitions)
  [ "$(grep -c . <<<"$lines")" = 3 ] && ! grep -vqE "$1" <<<"$lines"
}

# ---- 1. start ----------------------------------------------------------------------------
out=$("$KAFKA" start 2>"$W/start.log") || {
  cat "$W/start.log" >&2
  fail "kafka.sh start failed"
}
[ "$out" = "$EXPECTED" ] || fail "start printed '$out', expected exactly '$EXPECTED'"
BROKERS=$out
say "cluster up at $BROKERS"
[ "$("$KAFKA" start 2>/dev/null)" = "$EXPECTED" ] || fail "a second start did not print the list"
kcat -b "$BROKERS" -L -m 10 >"$W/md.txt"
grep -q '^ 3 brokers:' "$W/md.txt" || fail "metadata does not list 3 brokers: $(cat "$W/md.txt")"
for n in 1 2 3; do
  grep -q "broker $n at 127.0.0.1:$((KAFKA_PORT + 2 * (n - 1)))" "$W/md.txt" ||
    fail "metadata lacks broker $n: $(cat "$W/md.txt")"
done

# ---- 2. idempotent records and transactions --------------------------------------------------
produce rec 1 100
every_partition 'replicas: [1-3],[1-3],[1-3], isrs: [1-3],[1-3],[1-3]$' ||
  fail "$TOPIC should have 3 partitions of 3 replicas all in sync: $(partitions)"
$TXN "$BROKERS" "$TOPIC" txn-a ta 20 commit || fail "a committed transaction failed"
$TXN "$BROKERS" "$TOPIC" txn-a xa 7 abort || fail "an aborted transaction failed"
{
  seq -f "rec-%g" 1 100
  seq -f "ta-%g" 0 19
} | sort >"$W/expected.txt"
consume read_committed >"$W/got.txt"
diff -u "$W/expected.txt" "$W/got.txt" >&2 || fail "read_committed records differ (above)"
[ "$(consume read_uncommitted | grep -c '^xa-')" = 7 ] ||
  fail "the aborted transaction's 7 records are not in the log (read_uncommitted)"
say "idempotent records and transactions ok"

# ---- 3. one node killed ----------------------------------------------------------------------
"$KAFKA" stop-broker 2 2>>"$W/ops.log" || fail "stop-broker 2 failed"
set +e
"$KAFKA" status >/dev/null 2>"$W/status.txt"
rc=$?
set -e
[ $rc = 1 ] || fail "status with node 2 down: exit $rc, expected 1"
grep -q "node 2 .*not running" "$W/status.txt" || fail "status: $(cat "$W/status.txt")"
[ "$(grep -c "answering" "$W/status.txt")" = 2 ] || fail "status: $(cat "$W/status.txt")"
produce rec 101 150
$TXN "$BROKERS" "$TOPIC" txn-b tb 10 commit || fail "a transaction with node 2 down failed"
"$KAFKA" start-broker 2 2>>"$W/ops.log" || fail "start-broker 2 failed"
every_partition 'isrs: [1-3],[1-3],[1-3]$' ||
  fail "after start-broker 2 every partition should have 3 in-sync replicas: $(partitions)"
"$KAFKA" status >/dev/null 2>&1 || fail "status is not 0 after start-broker 2"
say "node 2 killed, writes went on, node 2 back in sync"

# ---- 4. a controlled shutdown, a consumer group; the whole cluster down and up again ---------
"$KAFKA" stop-broker 1 --graceful 2>>"$W/ops.log" || fail "stop-broker 1 --graceful failed"
say "node 1 stopped (graceful)"
produce rec 151 200
group() {
  kcat -b "$BROKERS" -G "grp-$$" "$TOPIC" -e -q -X auto.offset.reset=earliest \
    -X isolation.level=read_committed 2>>"$W/kcat.log" | sort
}
group >"$W/group.txt"
[ "$(wc -l <"$W/group.txt")" = 230 ] || fail "the group read $(wc -l <"$W/group.txt") of 230"
say "the group read 230 records"
# All down (node 1 already is), then all three started together on their data.
"$KAFKA" stop-broker 2 3 2>>"$W/ops.log" || fail "stop-broker 2 3 failed"
say "all nodes down"
"$KAFKA" start-broker 1 2 3 2>>"$W/ops.log" || fail "start-broker 1 2 3 failed"
say "all nodes up again"
"$KAFKA" status >/dev/null 2>&1 || fail "status is not 0 after start-broker 1 2 3"
# The group's committed offsets survived in __consumer_offsets: nothing left to read.
[ -z "$(group)" ] || fail "the group read records again after the restart"

# ---- 5. every record exactly once, then stop ----------------------------------------------------
{
  seq -f "rec-%g" 1 200
  seq -f "ta-%g" 0 19
  seq -f "tb-%g" 0 9
} | sort >"$W/expected.txt"
consume read_committed >"$W/got.txt"
diff -u "$W/expected.txt" "$W/got.txt" >&2 || fail "final read_committed records differ"
"$KAFKA" stop 2>>"$W/ops.log"
[ ! -e "$W/kafka" ] || fail "stop left $W/kafka behind"
pgrep -f "kafka.Kafka $W/" >/dev/null && fail "stop left a node running"
set +e
"$KAFKA" status 2>/dev/null
rc=$?
set -e
[ $rc = 3 ] || fail "status after stop: exit $rc, expected 3"
say "PASS"
