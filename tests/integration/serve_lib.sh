# shellcheck shell=bash
# Shared by tests/integration/serve_kafka_test.sh and bench/serve_bench.sh: how `otaflow serve`,
# `otaflow smsc-sim` and kcat are driven. Source it after setting OTAFLOW (the binary), W (the
# work directory, also the current directory), RUN (a unique topic/group prefix) and the array
# PIDS (processes to kill at exit); the functions call `fail MESSAGE` on errors.

# start_smsc FLEET_CSV ACCOUNTS...: the SMSC simulator with the fleet behind it, one SMPP
# account per name (password "secret"), log smsc.log; sets SMSC_PORT.
start_smsc() {
  local fleet=$1 accounts="" a
  shift
  for a in "$@"; do accounts+="${accounts:+, }{ system_id = \"$a\", password = \"secret\" }"; done
  printf '[smsc]\naccounts = [ %s ]\n' "$accounts" >smsc.toml
  chmod 600 smsc.toml # it holds passwords: smsc-sim refuses it readable by others
  "$OTAFLOW" smsc-sim --listen 127.0.0.1:0 --config smsc.toml --fleet "$fleet" \
    --state fleet-state >smsc.log 2>&1 &
  SMSC_PID=$!
  PIDS+=("$SMSC_PID")
  SMSC_PORT=""
  for _ in $(seq 1 100); do
    SMSC_PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' smsc.log 2>/dev/null | head -n 1 || true)
    [ -n "$SMSC_PORT" ] && break
    sleep 0.1
  done
  [ -n "$SMSC_PORT" ] || fail "smsc-sim did not start"
}

# config NAME BROKERS GROUP [RATE]: a serve configuration NAME.toml with topics of this run and
# the SMPP account NAME; RATE paces each SMPP bind (segments per second, 0 = unpaced).
# SERVE_WINDOW (default 3000) is the engine's window; SERVE_ENGINE_EXTRA adds lines to [engine],
# SERVE_KAFKA_EXTRA to [kafka] (e.g. security_protocol and the sasl_* keys).
config() {
  cat >"$1.toml" <<CONF
state_dir = "$W/$1"
instance_id = "$1"
[kafka]
brokers = "$2"
group_id = "$RUN.$3"
triggers_topic = "$RUN.$3.triggers"
status_topic = "$RUN.$3.status"
dlq_topic = "$RUN.$3.dlq"
${SERVE_KAFKA_EXTRA:-}
[kafka.consumer_properties]
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "500"
[[smsc]]
address = "127.0.0.1:$SMSC_PORT"
system_id = "$1"
password = "secret"
binds = 2
window = 1024
rate = ${4:-0}
[engine]
window = ${SERVE_WINDOW:-3000}
${SERVE_ENGINE_EXTRA:-}
[serve]
create_topics_partitions = 4
unknown_campaign_grace = "3s"
shutdown_grace = "10s"
CONF
  chmod 600 "$1.toml" # it holds the SMPP password: serve refuses it readable by others
}

# start_serve NAME: runs serve in the background (log NAME.log), sets SERVE_PID.
# SERVE_LOG_LEVEL (e.g. debug) sets its --log-level.
start_serve() {
  # The configuration names the brokers: no environment override.
  OTAFLOW_KAFKA_BROKERS="" "$OTAFLOW" ${SERVE_LOG_LEVEL:+--log-level "$SERVE_LOG_LEVEL"} serve \
    --config "$1.toml" >>"$1.log" 2>&1 &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
}

# wait_log FILE PATTERN SECONDS
wait_log() {
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "'$2' not in $1 after $3 s"
    sleep 0.2
  done
}

# campaign ID: a campaign event (an EF_FPLMN update under SPI 1621, 3DES keyset 1).
campaign() {
  printf '%s\t{"type":"campaign","campaign":{"id":"%s","security":{"spi":"1621","kic":"15","kid":"15","tar":"B00010"},"target":{"all":true},"update":{"files":[{"path":"3F00/7FFF/6F7B","data":"00F120FFFFFFFFFFFFFFFFFF"}]},"policy":{"max_attempts":3,"por_timeout":"20s","retry_backoff":"500ms"}}}\n' "$1" "$1"
}

# triggers CAMPAIGN FIRST COUNT: one trigger per card of iccids.txt, keyed by ICCID.
triggers() {
  sed -n "$(($2 + 1)),$(($2 + $3))p" iccids.txt |
    awk -v c="$1" '{printf "%s\t{\"type\":\"trigger\",\"campaign\":\"%s\",\"iccid\":\"%s\"}\n", $1, c, $1}'
}

# KCAT_CONF: a librdkafka properties file kcat reads with -F (SASL_SSL settings and password;
# nothing secret on kcat's command line). Unset: plain kcat.
kcat_() { kcat ${KCAT_CONF:+-F "$KCAT_CONF"} "$@"; }
# produce BROKERS TOPIC < lines: key TAB value, with kcat.
produce() { kcat_ -b "$1" -t "$2" -P -K $'\t' -z lz4 -X linger.ms=20; }
# consume BROKERS TOPIC: every record of the topic, one per line.
consume() { kcat_ -b "$1" -t "$2" -C -o beginning -e -q -f '%s\n' 2>/dev/null; }

# count_terminal FILE: distinct cards with a terminal status.
count_terminal() { { grep -E '"state":"(done|failed)"' "$1" || true; } | sed 's/.*"iccid":"\([0-9]*\)".*/\1/' | sort -u | wc -l; }
