#!/usr/bin/env bash
# `otaflow subscribers import --brokers` against a real Apache Kafka broker, read back with kcat:
# the subscribers topic is created (compacted) with the triggers topic's partition count, holds
# one record per card keyed by ICCID on the partition Java's murmur2 partitioner picks, no clear
# key octets; a rejected row is reported and not published; publishing again adds the same keys.
#
# Usage: subscribers_publish_test.sh OTAFLOW_BINARY
# Needs OTAFLOW_KAFKA_BROKERS (scripts/kafka.sh start prints it) with topic auto-creation on (the
# triggers topic is made by producing to it); skipped (exit 77) without it or without kcat.
set -euo pipefail

OTAFLOW=$(realpath "${1:?usage: $0 OTAFLOW_BINARY}")
if [ -z "${OTAFLOW_KAFKA_BROKERS:-}" ]; then
  echo "SKIPPED: OTAFLOW_KAFKA_BROKERS is not set (scripts/kafka.sh start prints a broker address)"
  exit 77
fi
command -v kcat >/dev/null || { echo "SKIPPED: kcat not found"; exit 77; }
B=$OTAFLOW_KAFKA_BROKERS
W=$(mktemp -d "${TMPDIR:-/tmp}/otaflow-publish-test.XXXXXX")
trap 'rm -rf "$W"' EXIT
RUN=pt$$x$RANDOM
TRIGGERS=$RUN.triggers
SUBS=$RUN.subscribers
export OTAFLOW_KEK=4242424242424242424242424242424242424242424242424242424242424242
fail() { echo "FAIL: $*" >&2; exit 1; }

"$OTAFLOW" fleet generate --count 200 --seed 11 --out "$W/fleet.csv" >/dev/null
# One bad row (Luhn digit off by one): reported, not published.
bad=$(sed -n 2p "$W/fleet.csv")
iccid=${bad%%,*}
last=${iccid: -1}
bad="${iccid:0:${#iccid}-1}$(( (last + 1) % 10 )),001019999999999,,${bad#*,*,*,}"
echo "$bad" >>"$W/fleet.csv"

echo init | kcat -b "$B" -t "$TRIGGERS" -P -k init
parts=$(kcat -b "$B" -L -t "$TRIGGERS" | sed -n 's/.*with \([0-9]*\) partitions.*/\1/p')
[ -n "$parts" ] || fail "no triggers topic"

"$OTAFLOW" subscribers import --brokers "$B" --topic "$SUBS" --triggers-topic "$TRIGGERS" \
  "$W/fleet.csv" >"$W/out.json"
python3 - "$W/out.json" "$parts" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["imported"] == 200 and o["rejected"] == 1 and o["published"] == 200, o
assert o["partitions"] == int(sys.argv[2]) and o.get("topic_created") is True, o
assert o["errors"][0]["line"] == 202 and "Luhn" in o["errors"][0]["reason"], o
PY
sp=$(kcat -b "$B" -L -t "$SUBS" | sed -n 's/.*with \([0-9]*\) partitions.*/\1/p')
[ "$sp" = "$parts" ] || fail "subscribers topic has $sp partitions, triggers $parts"

read_topic() { kcat -b "$B" -t "$SUBS" -C -o beginning -e -q -f '%k\t%p\t%S\n' >"$W/records.tsv"; }
read_topic
python3 - "$W/records.tsv" "$W/fleet.csv" "$parts" 200 <<'PY'
import sys
def murmur2(data):
    seed, m, M = 0x9747b28c, 0x5bd1e995, 0xffffffff
    h = (seed ^ len(data)) & M
    for i in range(len(data) // 4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & M; k ^= k >> 24; k = (k * m) & M
        h = (h * m) & M; h ^= k
    t, rem = len(data) & ~3, len(data) % 4
    if rem >= 3: h ^= data[t + 2] << 16
    if rem >= 2: h ^= data[t + 1] << 8
    if rem >= 1: h ^= data[t]; h = (h * m) & M
    h ^= h >> 13; h = (h * m) & M; h ^= h >> 15
    return h
records, parts, want = sys.argv[1], int(sys.argv[3]), int(sys.argv[4])
keys = [l.split("\t") for l in open(records).read().splitlines() if l]
assert len(keys) == want, len(keys)
cards = {l.split(",")[0] for l in open(sys.argv[2]).read().splitlines()[1:201]}
assert {k for k, _, _ in keys} == cards
for k, p, size in keys:
    assert (murmur2(k.encode()) & 0x7fffffff) % parts == int(p), (k, p)
    assert int(size) > 100
print("records", len(keys), "on", len({p for _, p, _ in keys}), "partitions")
PY
# No clear key octets in any value (binary dump of every payload).
kcat -b "$B" -t "$SUBS" -C -o beginning -e -q -f '%s' >"$W/payloads.bin"
python3 - "$W/payloads.bin" "$W/fleet.csv" <<'PY'
import sys
blob = open(sys.argv[1], "rb").read()
assert len(blob) > 200 * 100
for line in open(sys.argv[2]).read().splitlines()[1:201]:
    for h in line.split(",")[3:8]:
        k = bytes.fromhex(h)
        assert k not in blob and h.encode() not in blob and h.upper().encode() not in blob
PY

# Again: the same keys once more (the instances find them unchanged).
"$OTAFLOW" subscribers import --brokers "$B" --topic "$SUBS" --triggers-topic "$TRIGGERS" \
  "$W/fleet.csv" >"$W/out2.json"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["published"]==200 and "topic_created" not in o, o' "$W/out2.json"
read_topic
[ "$(wc -l <"$W/records.tsv")" = 400 ] || fail "expected 400 records after the second publication"
echo "subscribers publish: OK ($parts partitions)"
