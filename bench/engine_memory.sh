#!/usr/bin/env bash
# Memory of the engine alone (`otaflow campaign run`, its own process) over a campaign of N
# cards against `otaflow smsc-sim` in another process: samples the engine's RSS once a second
# and prints one JSON line with the RSS when 10 %, 50 % and 100 % of the time had passed and
# its peak. Flat figures mean memory follows the cards in flight (the window), not the size
# of the campaign; two windows give the cost of one card in flight.
#
# Usage: bench/engine_memory.sh OTAFLOW_BINARY [CARDS=1000000] [WINDOW=4000]
set -euo pipefail
OTAFLOW=$(realpath "${1:?usage: $0 OTAFLOW_BINARY [CARDS] [WINDOW]}")
CARDS=${2:-1000000}
WINDOW=${3:-4000}
W=$(mktemp -d "${TMPDIR:-/tmp}/otaflow-mem.XXXXXX")
SIM=""
cleanup() {
  [ -n "$SIM" ] && kill -TERM "$SIM" 2>/dev/null && wait "$SIM" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT

export OTAFLOW_KEK=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$OTAFLOW" fleet generate --count "$CARDS" --seed mem --out "$W/fleet.csv" >/dev/null
"$OTAFLOW" subscribers import --state "$W/engine" "$W/fleet.csv" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The SMPP password of both ends, in a mode-600 file (never on a command line).
(umask 077 && printf 'bench\n' >"$W/smpp.pw")
"$OTAFLOW" smsc-sim --listen "127.0.0.1:$PORT" --fleet "$W/fleet.csv" --state "$W/cards" \
  --system-id bench --password-file "$W/smpp.pw" >"$W/sim.out" 2>"$W/sim.err" &
SIM=$!
for _ in $(seq 100); do
  (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
cat >"$W/campaign.toml" <<EOF
id = "memory"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "00F11000F120"
[policy]
rate = 1000000
window = $WINDOW
max_attempts = 3
por_timeout = "20s"
EOF
"$OTAFLOW" campaign run --state "$W/engine" --smsc "127.0.0.1:$PORT" --system-id bench \
  --password-file "$W/smpp.pw" "$W/campaign.toml" >"$W/run.out" 2>"$W/run.err" &
RUN=$!
: >"$W/rss"
while kill -0 "$RUN" 2>/dev/null; do
  awk '/^VmRSS/ {print $2}' "/proc/$RUN/status" 2>/dev/null >>"$W/rss" || true
  sleep 1
done
wait "$RUN" || { echo "campaign run failed:" >&2; tail -n 5 "$W/run.err" "$W/run.out" >&2; exit 1; }
python3 - "$W/rss" "$W/run.out" "$CARDS" "$WINDOW" <<'EOF'
import json, sys
rss = [int(x) for x in open(sys.argv[1]).read().split() if x.strip()]
summary = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
at = lambda f: round(rss[min(len(rss) - 1, int(f * (len(rss) - 1)))] / 1024)
print(json.dumps({"cards": int(sys.argv[3]), "window": int(sys.argv[4]),
                  "done": summary["done"], "cards_per_s": summary["cards_per_s"],
                  "rss_mb_at_10pct": at(0.1), "rss_mb_at_50pct": at(0.5),
                  "rss_mb_at_end": at(1.0), "peak_rss_mb": round(max(rss) / 1024)}))
EOF
