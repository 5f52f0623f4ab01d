#!/usr/bin/env bash
# RAM load throughput (issue 16): `campaign run` of an [update.ram] campaign that loads a ~5 KB
# CAP file (built here: a ZIP with its components), installs one instance and lists the
# applications, on N virtual cards through `otaflow smsc-sim --state`. Prints the run's summary,
# then one JSON line: cards, seconds, cards/s and SMS per card (from `campaign plan`).
#
# Usage: bench/ram_bench.sh OTAFLOW_BINARY [CARDS=10000] [WINDOW=2000]
set -euo pipefail
OTAFLOW=$(realpath "${1:?usage: $0 OTAFLOW_BINARY [CARDS] [WINDOW]}")
CARDS=${2:-10000}
WINDOW=${3:-2000}
W=$(mktemp -d "${TMPDIR:-/tmp}/otaflow-rambench.XXXXXX")
SIM=""
cleanup() {
  [ -n "$SIM" ] && kill -TERM "$SIM" 2>/dev/null && wait "$SIM" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
export OTAFLOW_KEK=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export OTAFLOW_SMPP_PASSWORD=bench

python3 - "$W/ram.cap" <<'PY'
import io, random, struct, sys, zipfile
def comp(tag, body): return bytes([tag]) + struct.pack(">H", len(body)) + body
pkg, applet = bytes.fromhex("A000000087200601"), bytes.fromhex("A00000008720060101")
c = {"Header": comp(1, struct.pack(">I", 0xDECAFFED) + bytes([1, 2, 0, 0, 1, len(pkg)]) + pkg),
     "Directory": comp(2, bytes(range(20))), "Applet": comp(3, bytes([1, len(applet)]) + applet + b"\0\x10"),
     "Import": comp(4, bytes.fromhex("01000107a0000000620001")), "ConstantPool": comp(5, bytes(6)),
     "Class": comp(6, bytes(30)), "StaticField": comp(8, bytes(10)), "RefLocation": comp(9, bytes(4))}
rnd = random.Random(16)
c["Method"] = comp(7, bytes(rnd.randrange(256) for _ in range(5000 - sum(map(len, c.values())) - 3)))
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, data in c.items():
        z.writestr("com/example/ram/javacard/%s.cap" % name, data)
PY

"$OTAFLOW" fleet generate --count "$CARDS" --seed rambench --out "$W/fleet.csv" >/dev/null
"$OTAFLOW" subscribers import --state "$W/engine" "$W/fleet.csv" >/dev/null
# Two operator keys (a fresh policy asks 2 for key rotations, so it wants 2 listed); RAM needs 1.
"$OTAFLOW" approvals keygen --out "$W/op.pem" >"$W/op.json"
"$OTAFLOW" approvals keygen --out "$W/op2.pem" >"$W/op2.json"
python3 - "$W" >"$W/approvals.toml" <<'PY'
import json, sys
keys = [json.load(open(f"{sys.argv[1]}/{n}.json"))["public_key"] for n in ("op", "op2")]
print("[approvals]\nkeys = [")
for n, k in zip(("op", "op2"), keys):
    print(f'  {{ name = "{n}", public_key = "{k}" }},')
print("]")
PY
cat >"$W/campaign.toml" <<TOML
id = "rambench"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "000000"
[target]
all = true
[update.ram]
load = "ram.cap"
hash = "sha256"
max_sms = 3
list = ["apps"]
[[update.ram.install]]
package = "A000000087200601"
module = "A00000008720060101"
instance = "A0000000872006010101"
[policy]
rate = 100000
window = $WINDOW
max_attempts = 5
por_timeout = "30s"
retry_backoff = "1s"
TOML
"$OTAFLOW" campaign sign --key "$W/op.pem" --name op "$W/campaign.toml" >/dev/null
SMS=$("$OTAFLOW" campaign plan --state "$W/engine" --json --approvals-config "$W/approvals.toml" \
  "$W/campaign.toml" | python3 -c 'import json,sys; r=json.load(sys.stdin)["variants"]["default"]["ram"]; print(r["sms"], r["steps"])')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$OTAFLOW" smsc-sim --listen "127.0.0.1:$PORT" --fleet "$W/fleet.csv" --state "$W/cards" \
  --system-id bench >"$W/sim.out" 2>"$W/sim.err" &
SIM=$!
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
T0=$(date +%s.%N)
"$OTAFLOW" campaign run --state "$W/engine" --smsc "127.0.0.1:$PORT" --system-id bench \
  --approvals-config "$W/approvals.toml" "$W/campaign.toml" | tail -1 >"$W/summary.json"
T1=$(date +%s.%N)
cat "$W/summary.json"
python3 - "$W/summary.json" "$T0" "$T1" $SMS "$CARDS" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
secs = float(sys.argv[3]) - float(sys.argv[2])
print(json.dumps({"cards": int(sys.argv[6]), "done": s["done"], "failed": s["failed"],
                  "seconds": round(secs, 1), "cards_per_s": round(s["done"] / secs, 1),
                  "sms_per_card": int(sys.argv[4]), "steps_per_card": int(sys.argv[5]),
                  "sms_per_s": round(s["done"] * int(sys.argv[4]) / secs)}))
PY
