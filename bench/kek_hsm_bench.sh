#!/usr/bin/env bash
# `campaign run` with the KEK in a file against the KEK in a PKCS#11 token (SoftHSM2), issue 18:
# one fleet of N cards imported twice (a kek_file state, a token-KEK state), then RUNS runs of
# each, alternated, every run on a fresh copy of its state and of the simulator's cards. Prints
# one JSON line per run (kek, wall seconds of the command, cards/s from its summary) and the
# mean and spread of each. The token is touched once per process (the data key's unwrap); the
# per-card path is the same for both, so the two should agree within the runs' spread.
#
# Usage: bench/kek_hsm_bench.sh OTAFLOW_BINARY [CARDS=200000] [RUNS=3]
set -euo pipefail
OTAFLOW=$(realpath "${1:?usage: $0 OTAFLOW_BINARY [CARDS] [RUNS]}")
CARDS=${2:-200000}
RUNS=${3:-3}
MODULE=/usr/lib/softhsm/libsofthsm2.so
[ -e "$MODULE" ] || { echo "softhsm2 is not installed ($MODULE)" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/otaflow-kekbench.XXXXXX")
SIM=""
cleanup() {
  [ -n "$SIM" ] && kill -TERM "$SIM" 2>/dev/null && wait "$SIM" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
unset OTAFLOW_KEK OTAFLOW_KEK_PKCS11 OTAFLOW_PKCS11_PIN

mkdir "$W/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$W/tokens" >"$W/softhsm2.conf"
export SOFTHSM2_CONF="$W/softhsm2.conf"
PIN=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
softhsm2-util --init-token --free --label bench --pin "$PIN" --so-pin 12345678 >/dev/null
(umask 077 && printf '%s\n' "$PIN" >"$W/pin" && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/kek")
SPEC="module=$MODULE;token=bench;key=kek-bench;pin_file=$W/pin"
"$OTAFLOW" keys init-hsm --pkcs11 "$SPEC" >/dev/null

"$OTAFLOW" fleet generate --count "$CARDS" --seed kekbench --out "$W/fleet.csv" >/dev/null
"$OTAFLOW" subscribers import --state "$W/engine-file" --kek-file "$W/kek" "$W/fleet.csv" >/dev/null
OTAFLOW_KEK_PKCS11="$SPEC" "$OTAFLOW" subscribers import --state "$W/engine-hsm" "$W/fleet.csv" >/dev/null
(umask 077 && printf 'bench\n' >"$W/smpp.pw")
cat >"$W/campaign.toml" <<TOML
id = "kekbench"
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
window = 4000
max_attempts = 3
por_timeout = "20s"
TOML

one_run() {  # $1: file | hsm
  local kind=$1
  rm -rf "$W/run" "$W/cards"
  cp -a "$W/engine-$kind" "$W/run"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$OTAFLOW" smsc-sim --listen "127.0.0.1:$port" --fleet "$W/fleet.csv" --state "$W/cards" \
    --system-id bench --password-file "$W/smpp.pw" >/dev/null 2>"$W/sim.err" &
  SIM=$!
  for _ in $(seq 600); do
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  local args=(campaign run --state "$W/run" --smsc "127.0.0.1:$port" --system-id bench
              --password-file "$W/smpp.pw" "$W/campaign.toml")
  local t0 t1
  t0=$(date +%s.%N)
  if [ "$kind" = file ]; then
    "$OTAFLOW" "${args[@]}" --kek-file "$W/kek" >"$W/run.out" 2>"$W/run.err"
  else
    OTAFLOW_KEK_PKCS11="$SPEC" "$OTAFLOW" "${args[@]}" >"$W/run.out" 2>"$W/run.err"
  fi
  t1=$(date +%s.%N)
  kill -TERM "$SIM"; wait "$SIM" 2>/dev/null || true; SIM=""
  python3 - "$kind" "$t0" "$t1" "$W/run.out" <<'PY'
import json, sys
s = json.loads(open(sys.argv[4]).read().strip().splitlines()[-1])
print(json.dumps({"kek": sys.argv[1], "wall_s": round(float(sys.argv[3]) - float(sys.argv[2]), 2),
                  "done": s["done"], "cards_per_s": s["cards_per_s"]}))
PY
}

: >"$W/results"
for i in $(seq "$RUNS"); do
  one_run file | tee -a "$W/results"
  one_run hsm | tee -a "$W/results"
done
python3 - "$W/results" "$CARDS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
out = {"cards": int(sys.argv[2])}
for k in ("file", "hsm"):
    w = [r["wall_s"] for r in rows if r["kek"] == k]
    c = [r["cards_per_s"] for r in rows if r["kek"] == k]
    out[k] = {"wall_s_mean": round(sum(w) / len(w), 2), "wall_s_min": min(w), "wall_s_max": max(w),
              "cards_per_s_mean": round(sum(c) / len(c))}
out["hsm_vs_file_pct"] = round(100 * (out["hsm"]["wall_s_mean"] / out["file"]["wall_s_mean"] - 1), 1)
print(json.dumps(out))
PY
