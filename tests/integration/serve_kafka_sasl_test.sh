#!/usr/bin/env bash
# `otaflow serve` over SASL_SSL (SCRAM-SHA-512) with mutual TLS against a real broker of its
# own, started with KAFKA_SASL_SSL=1 KAFKA_SSL_CLIENT_AUTH=required scripts/kafka.sh on a random
# port and stopped at exit (issue 18):
#   1. a 200-card campaign: triggers in and statuses out through the SASL_SSL listener, read
#      back with kcat over SASL_SSL (kcat -F: its password is in a file, not on its command line);
#      every card done; serve's log never holds the password;
#   2. `subscribers import --config` publishes over SASL_SSL with the password from
#      OTAFLOW_KAFKA_SASL_PASSWORD (no password in the configuration);
#   3. refusals, each with its error: a wrong password (serve exits, "Kafka authentication
#      failed"), a CA that did not sign the broker's certificate ("Kafka TLS handshake failed"),
#      a configuration holding the password readable by others (refused, naming the path);
#      no client certificate ("Kafka TLS handshake failed", the broker's alert); a client key
#      readable by others (refused, naming the path).
#
# Usage: serve_kafka_sasl_test.sh OTAFLOW_BINARY SOURCE_DIR
# Runs with OTAFLOW_KAFKA_SASL_TEST=1 (scripts/test.sh sets it for a run after the parallel
# ctest: one more JVM); skipped (exit 77) otherwise, or without java, kcat or openssl.
set -euo pipefail

OTAFLOW=$(realpath "${1:?usage: $0 OTAFLOW_BINARY SOURCE_DIR}")
SRC=$(realpath "${2:?usage: $0 OTAFLOW_BINARY SOURCE_DIR}")
if [ "${OTAFLOW_KAFKA_SASL_TEST:-0}" != 1 ]; then
  echo "SKIPPED: set OTAFLOW_KAFKA_SASL_TEST=1 (it starts a broker of its own)"
  exit 77
fi
for tool in java kcat openssl; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not found"; exit 77; }
done
CARDS=200

W=$(mktemp -d "${TMPDIR:-/tmp}/otaflow-sasl-test.XXXXXX")
RUN=sasl$$x$RANDOM
PIDS=()
PORT=$((20000 + RANDOM % 8000)) # below 28092 (the cluster tests) and the ephemeral range
say() { echo "sasl-test $(date +%T.%N | cut -c1-12): $*" >&2; }
broker() {
  KAFKA_SASL_SSL=1 KAFKA_SSL_CLIENT_AUTH=required KAFKA_PORT=$PORT KAFKA_CONTROLLER_PORT=$((PORT + 1)) \
    OTAFLOW_KAFKA_STATE=$W/kafka-state "$SRC/scripts/kafka.sh" "$@"
}
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  broker stop >/dev/null 2>&1 || true
  if [ $rc -ne 0 ]; then
    say "FAILED (rc $rc); logs:"
    for f in "$W"/*.log "$W"/*.err; do
      [ -f "$f" ] || continue
      echo "---- $f (last 30 lines)"
      tail -n 30 "$f"
    done
  fi
  rm -rf "$W"
}
trap cleanup EXIT
# This test runs a broker of its own: a broker list from the environment (scripts/test.sh
# exports the shared broker's) would override the configurations it writes.
unset OTAFLOW_KAFKA_BROKERS
fail() {
  say "FAIL: $*"
  exit 1
}

# shellcheck source=serve_lib.sh
. "$SRC/tests/integration/serve_lib.sh"

export OTAFLOW_KEK=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
cd "$W"

say "starting a SASL_SSL broker on 127.0.0.1:$PORT"
broker start >/dev/null 2>kafka.log || fail "the SASL_SSL broker did not start"
# What a client needs: bootstrap, CA, user, password file, librdkafka properties.
# shellcheck disable=SC1091
. "$W/kafka-state/client.env"
for f in "$KAFKA_SASL_PASSWORD_FILE" "$KAFKA_CLIENT_PROPERTIES" "$W/kafka-state/tls/broker.p12" \
  "$KAFKA_CLIENT_KEY"; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is mode $(stat -c %a "$f"), not 600"
done
PASSWORD=$(cat "$KAFKA_SASL_PASSWORD_FILE")
KPID=$(cat "$W/kafka-state/pid")
if tr '\0' ' ' <"/proc/$KPID/cmdline" | grep -qF "$PASSWORD"; then
  fail "the password is on the broker's command line"
fi
# kcat with a wrong password is refused: the listener really authenticates.
sed 's/^sasl.password=.*/sasl.password=wrong/' "$KAFKA_CLIENT_PROPERTIES" >kcat-wrong.properties
if kcat -F kcat-wrong.properties -b "$KAFKA_BOOTSTRAP" -L -m 5 >/dev/null 2>kcat-wrong.err; then
  fail "kcat with a wrong password got metadata"
fi
grep -q "Authentication failed" kcat-wrong.err || fail "kcat's refusal does not say why"
export KCAT_CONF=$KAFKA_CLIENT_PROPERTIES

"$OTAFLOW" fleet generate --count "$CARDS" --seed "sasl-test" --out fleet.csv >/dev/null
tail -n +2 fleet.csv | cut -d, -f1 >iccids.txt
start_smsc fleet.csv s w c n

SASL_KEYS="security_protocol = \"SASL_SSL\"
sasl_mechanism = \"SCRAM-SHA-512\"
sasl_username = \"$KAFKA_SASL_USERNAME\""
CERT_KEYS="ssl_certificate_location = \"$KAFKA_CLIENT_CERT\"
ssl_key_location = \"$KAFKA_CLIENT_KEY\""

# ---- 1: a campaign over SASL_SSL -------------------------------------------------------------
SERVE_KAFKA_EXTRA="$SASL_KEYS
$CERT_KEYS
sasl_password_file = \"$KAFKA_SASL_PASSWORD_FILE\"
ssl_ca_location = \"$KAFKA_CA_FILE\"" config s "$KAFKA_BOOTSTRAP" s
"$OTAFLOW" subscribers import --state s fleet.csv >/dev/null
start_serve s
wait_log s.log "kafka consumer $RUN.s: assigned" 90
campaign c-s | produce "$KAFKA_BOOTSTRAP" "$RUN.s.triggers"
wait_log s.log "campaign 'c-s' defined" 30
triggers c-s 0 "$CARDS" | produce "$KAFKA_BOOTSTRAP" "$RUN.s.triggers"
deadline=$((SECONDS + 90))
while true; do
  consume "$KAFKA_BOOTSTRAP" "$RUN.s.status" >status.txt || true
  n=$(count_terminal status.txt)
  [ "$n" -ge "$CARDS" ] && break
  ((SECONDS < deadline)) || fail "only $n of $CARDS cards terminal after 90 s"
  sleep 1
done
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "serve exited with an error after SIGTERM"
python3 - "$CARDS" <<'EOF'
import json, sys
want = [l.strip() for l in open("iccids.txt")]
final = {}
for line in open("status.txt"):
    e = json.loads(line)
    assert e["campaign"] == "c-s", e
    if e["state"] in ("done", "failed"):
        final.setdefault(e["iccid"], set()).add(e["state"])
missing = [i for i in want if i not in final]
assert not missing, f"{len(missing)} cards without a terminal state, e.g. {missing[:3]}"
bad = {i: s for i, s in final.items() if s != {"done"}}
assert not bad, f"{len(bad)} cards not done: {list(bad.items())[:3]}"
assert len(final) == int(sys.argv[1]), len(final)
print(f"1: {len(final)} cards done over SASL_SSL, statuses read back with kcat over SASL_SSL")
EOF
if grep -qF "$PASSWORD" s.log; then fail "serve's log holds the SASL password"; fi

# ---- 2: subscribers import --config with the password from the environment -----------------
SERVE_KAFKA_EXTRA="$SASL_KEYS
$CERT_KEYS
ssl_ca_location = \"$KAFKA_CA_FILE\"" config e "$KAFKA_BOOTSTRAP" s
OTAFLOW_KAFKA_SASL_PASSWORD=$PASSWORD "$OTAFLOW" subscribers import --config e.toml fleet.csv \
  >import.out 2>import.err || fail "subscribers import over SASL_SSL failed: $(cat import.err)"
python3 -c 'import json,sys; r=json.load(open("import.out")); assert r["published"] == int(sys.argv[1]), r' \
  "$CARDS" || fail "subscribers import: $(cat import.out)"
say "2: subscribers import --config published $CARDS cards, password from OTAFLOW_KAFKA_SASL_PASSWORD"

# ---- 3: refusals -------------------------------------------------------------------------
# expect_refusal NAME EXIT_CODE TEXT...: serve --config NAME.toml exits with EXIT_CODE within
# 60 s and its stderr holds every TEXT.
expect_refusal() {
  local name=$1 want=$2 rc=0 text
  shift 2
  OTAFLOW_KAFKA_BROKERS="" timeout 60 "$OTAFLOW" serve --config "$name.toml" \
    >"$name.log" 2>"$name.err" || rc=$?
  [ "$rc" = "$want" ] || fail "$name: serve exited with $rc, not $want: $(tail -n 3 "$name.err")"
  for text in "$@"; do
    grep -qF -- "$text" "$name.err" || fail "$name: '$text' not in serve's error: $(cat "$name.err")"
  done
  say "3: $name refused: $(grep 'otaflow serve:' "$name.err" | head -n 1 | cut -c1-160)"
}

printf 'not-the-password\n' >wrong.password
chmod 600 wrong.password
SERVE_KAFKA_EXTRA="$SASL_KEYS
$CERT_KEYS
sasl_password_file = \"$W/wrong.password\"
ssl_ca_location = \"$KAFKA_CA_FILE\"" config w "$KAFKA_BOOTSTRAP" w
expect_refusal w 1 "Kafka authentication failed" "SCRAM-SHA-512"

# Another CA, which did not sign the broker's certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other-ca.key \
  -out other-ca.pem -days 1 -subj "/CN=not the broker's CA" 2>/dev/null
SERVE_KAFKA_EXTRA="$SASL_KEYS
$CERT_KEYS
sasl_password_file = \"$KAFKA_SASL_PASSWORD_FILE\"
ssl_ca_location = \"$W/other-ca.pem\"" config c "$KAFKA_BOOTSTRAP" c
expect_refusal c 1 "Kafka TLS handshake failed" "certificate verify failed"

# The password in the configuration itself, the file readable by others.
SERVE_KAFKA_EXTRA="$SASL_KEYS
$CERT_KEYS
sasl_password = \"$PASSWORD\"
ssl_ca_location = \"$KAFKA_CA_FILE\"" config p "$KAFKA_BOOTSTRAP" s
chmod 644 p.toml
expect_refusal p 2 "configuration file (it holds a password) p.toml: readable by group or others"
# A password file readable by others: refused too, naming it.
cp "$KAFKA_SASL_PASSWORD_FILE" open.password
chmod 640 open.password
SERVE_KAFKA_EXTRA="$SASL_KEYS
$CERT_KEYS
sasl_password_file = \"$W/open.password\"
ssl_ca_location = \"$KAFKA_CA_FILE\"" config o "$KAFKA_BOOTSTRAP" s
expect_refusal o 2 "$W/open.password" "readable by group or others"
# No client certificate: the broker's TLS alert.
SERVE_KAFKA_EXTRA="$SASL_KEYS
sasl_password_file = \"$KAFKA_SASL_PASSWORD_FILE\"
ssl_ca_location = \"$KAFKA_CA_FILE\"" config n "$KAFKA_BOOTSTRAP" n
expect_refusal n 1 "Kafka TLS handshake failed" "alert"
# A client key readable by others: refused, naming it.
cp "$KAFKA_CLIENT_KEY" open.key
chmod 644 open.key
SERVE_KAFKA_EXTRA="$SASL_KEYS
sasl_password_file = \"$KAFKA_SASL_PASSWORD_FILE\"
ssl_ca_location = \"$KAFKA_CA_FILE\"
ssl_certificate_location = \"$KAFKA_CLIENT_CERT\"
ssl_key_location = \"$W/open.key\"" config k "$KAFKA_BOOTSTRAP" s
expect_refusal k 2 "kafka.ssl_key_location $W/open.key: readable by group or others"
for f in w c p o n k; do
  if grep -qF "$PASSWORD" "$f.err" "$f.log"; then fail "$f: the password is in serve's output"; fi
done
say "PASS"
