#!/usr/bin/env bash
# Timers held by the engine against cards in flight (issue 13): `otaflow demo` over N cards
# with a PoR timeout of one hour and fast PoRs, and the same run with the usual 20 s. Each job
# arms a PoR timer when the SMSC accepts its packet; the timer must go when the job ends, not
# when it would fire, or the router would hold N timers for an hour. Prints one JSON line per
# run: cards, window, por_timeout, the most timers and cards in flight seen in progress reports,
# elapsed seconds and peak RSS. Flat: peak_timers_armed stays near the window whatever N is.
#
# Usage: bench/timer_count.sh OTAFLOW_BINARY [CARDS=200000] [WINDOW=4000]
set -euo pipefail
OTAFLOW=$(realpath "${1:?usage: $0 OTAFLOW_BINARY [CARDS] [WINDOW]}")
CARDS=${2:-200000}
WINDOW=${3:-4000}
LOG=$(mktemp "${TMPDIR:-/tmp}/otaflow-timers.XXXXXX")
trap 'rm -f "$LOG"' EXIT
for TIMEOUT in 1h 20s; do
  "$OTAFLOW" demo --cards "$CARDS" --window "$WINDOW" --por-timeout "$TIMEOUT" --json 2>"$LOG" |
    python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print(json.dumps({"cards": r["cards"], "window": int(sys.argv[1]), "por_timeout": sys.argv[2],
                  "done": r["done"], "peak_timers_armed": r["peak_timers_armed"],
                  "peak_in_flight": r["peak_in_flight"], "seconds": r["total_seconds"],
                  "peak_rss_mb": r["peak_rss_mb"]}))' "$WINDOW" "$TIMEOUT"
done
