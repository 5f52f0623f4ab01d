#!/usr/bin/env bash
# An Apache Kafka broker (KRaft) on 127.0.0.1 for tests and demos: one node (broker+controller
# in one JVM) by default, or a cluster of 3 such nodes with KAFKA_BROKERS=3. Needs only Java 17,
# Maven (Maven Central reachable) and kcat.
#
#   scripts/kafka.sh start    fetch the jars (cached), format storage, start, wait until ready;
#                             prints the bootstrap address (127.0.0.1:<port>, or the list of the
#                             3 nodes' addresses) on stdout
#   scripts/kafka.sh stop     stop the broker (every node) and delete its data
#   scripts/kafka.sh status   exit 0 (and print the address) when running and answering,
#                             3 when not running, 1 when running but not answering (a cluster:
#                             some node down or not answering); a cluster reports each node
#   scripts/kafka.sh stop-broker N... [--graceful]  cluster only: kill node N (1..3) with
#                             SIGKILL (--graceful: SIGTERM, a controlled shutdown); data stays
#   scripts/kafka.sh start-broker N...              cluster only: start node(s) N again on their
#                             data, wait until they answer and their replicas are back in sync
#
# Environment (defaults in brackets):
#   KAFKA_BROKERS [1]            1, or 3 for a cluster (stop-broker/start-broker imply 3)
#   KAFKA_PORT [9092; a cluster 9192]  client listener on 127.0.0.1; cluster node N listens on
#                                KAFKA_PORT+2(N-1) and its controller on the port after it
#   KAFKA_CONTROLLER_PORT [KAFKA_PORT+1]  single node only
#   KAFKA_VERSION [4.1.2; KAFKA_SASL_SSL=1: 3.9.1]  org.apache.kafka:kafka_2.13 on Maven Central
#   KAFKA_NUM_PARTITIONS [1]     partitions of auto-created topics
#   KAFKA_START_TIMEOUT [90; a cluster 180]  seconds to wait for the broker(s) to answer
#   OTAFLOW_KAFKA_CACHE [~/.cache/otaflow/kafka-<version>]  jar cache (shared by all modes)
#   OTAFLOW_KAFKA_STATE [/tmp/otaflow-kafka-<port>; a cluster /tmp/otaflow-kafka-cluster-<port>]
#                                pid, log and data paths
#   KAFKA_SASL_SSL [0]           1: single node only; the client listener is SASL_SSL with
#                                SCRAM-SHA-512 (inter-broker too; only the controller listener
#                                stays PLAINTEXT on 127.0.0.1). A CA, the broker's certificate and
#                                the SCRAM users are made at start; what a client needs is in
#                                $OTAFLOW_KAFKA_STATE/client.env (bootstrap, CA file, user,
#                                password file, librdkafka/kcat properties file)
#   KAFKA_SSL_CLIENT_AUTH [none] with KAFKA_SASL_SSL=1: required = mutual TLS as well (a client
#                                certificate signed by the test CA, in client.env)
# See docs/kafka-broker.md for versions, the class path, the cluster and pitfalls.
set -euo pipefail

# SASL_SSL: Kafka 3.9.1 by default. Kafka 4.x brokers check the SCRAM nonce strictly (RFC 5802)
# and refuse every SCRAM login of librdkafka before 2.6.1 (librdkafka PR 4895): Debian
# bookworm's librdkafka 2.0.2, which otaflow and kcat use, is refused by 4.1.2.
if [ "${KAFKA_SASL_SSL:-0}" = 1 ]; then
  KAFKA_VERSION=${KAFKA_VERSION:-3.9.1}
fi
KAFKA_VERSION=${KAFKA_VERSION:-4.1.2}
SCALA_VERSION=2.13
# The broker's logging binding (its pom brings none). log4j-slf4j-impl binds the slf4j 1.7 API
# that kafka_2.13's pom declares; log4j-slf4j2-impl would bind slf4j 2.x, which is not there.
LOG4J_VERSION=2.24.3
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

case "${1:-}" in
  # Only a cluster has nodes to stop and start; an explicit KAFKA_BROKERS=1 is a mistake.
  stop-broker | start-broker)
    if [ "${KAFKA_BROKERS:-3}" = 1 ]; then
      echo "kafka.sh: $1 needs a cluster (KAFKA_BROKERS=3), not KAFKA_BROKERS=1" >&2
      exit 2
    fi
    KAFKA_BROKERS=3
    ;;
esac
KAFKA_BROKERS=${KAFKA_BROKERS:-1}
KAFKA_SASL_SSL=${KAFKA_SASL_SSL:-0}
KAFKA_SSL_CLIENT_AUTH=${KAFKA_SSL_CLIENT_AUTH:-none}
if [ "$KAFKA_SASL_SSL" = 1 ] && [ "$KAFKA_BROKERS" != 1 ]; then
  echo "kafka.sh: KAFKA_SASL_SSL=1 is for a single node (KAFKA_BROKERS=1) only" >&2
  exit 2
fi
case "$KAFKA_SSL_CLIENT_AUTH" in
  none | required) ;;
  *)
    echo "kafka.sh: KAFKA_SSL_CLIENT_AUTH=$KAFKA_SSL_CLIENT_AUTH: none or required" >&2
    exit 2
    ;;
esac
case "$KAFKA_BROKERS" in
  1 | 3) ;;
  *)
    echo "kafka.sh: KAFKA_BROKERS=$KAFKA_BROKERS: only 1 (one node) or 3 (a cluster) are supported" >&2
    exit 2
    ;;
esac
if [ "$KAFKA_BROKERS" = 3 ]; then
  # Not 9092: a single broker there is used by other tests at the same time.
  KAFKA_PORT=${KAFKA_PORT:-9192}
  KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-180}
  OTAFLOW_KAFKA_STATE=${OTAFLOW_KAFKA_STATE:-${TMPDIR:-/tmp}/otaflow-kafka-cluster-$KAFKA_PORT}
fi
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
KAFKA_NUM_PARTITIONS=${KAFKA_NUM_PARTITIONS:-1}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
HOST=127.0.0.1
BROKERS=$HOST:$KAFKA_PORT

CACHE=${OTAFLOW_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otaflow/kafka-$KAFKA_VERSION}
STATE=${OTAFLOW_KAFKA_STATE:-${TMPDIR:-/tmp}/otaflow-kafka-$KAFKA_PORT}

say() { echo "kafka.sh: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# The pid recorded by `start`, if that process is still alive.
running_pid() {
  [ -f "$STATE/pid" ] || return 1
  local pid
  pid=$(cat "$STATE/pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against pid reuse: the process must be our JVM.
  grep -q "kafka.Kafka" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

# True when the broker answers a metadata request and lists itself. A SASL_SSL broker is asked
# with the client properties its start wrote (kcat -F: no password on the command line).
answers() {
  local conf=()
  [ -f "$STATE/client.properties" ] && conf=(-F "$STATE/client.properties")
  kcat "${conf[@]}" -b "$BROKERS" -L -m 3 2>/dev/null | grep -q "broker 1 at $HOST:$KAFKA_PORT"
}

port_in_use() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# Prints the client connection whose local port is $1, if any (the Linux kernel gives any
# outgoing connection a port of the ephemeral range, /proc/sys/net/ipv4/ip_local_port_range,
# 32768-60999 by default). Such a socket makes the broker's bind fail even with SO_REUSEADDR:
# a node restarted on a port in that range can exit at once ("Address already in use").
port_held_by_client() {
  command -v ss >/dev/null || return 1
  local l
  l=$(ss -Htan "( sport = :$1 )" 2>/dev/null | grep -v -e LISTEN -e TIME-WAIT | head -n 1)
  [ -n "$l" ] && echo "$l"
}

# Dies when a client connection holds port $1 (see port_held_by_client).
check_not_client_port() {
  local l
  if l=$(port_held_by_client "$1"); then
    die "port $HOST:$1 is the local port of a client connection ($l); the kernel hands out \
ports of $(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range) to outgoing connections: use a KAFKA_PORT below that range"
  fi
}

# Resolves kafka_2.13 and a log4j2 binding with Maven into $CACHE/lib (once).
fetch_jars() {
  [ -f "$CACHE/.complete" ] && return 0
  command -v mvn >/dev/null || die "mvn not found (scripts/setup.sh installs maven)"
  mkdir -p "$(dirname "$CACHE")"
  # Two brokers on other ports may start at once: one fetch per cache.
  exec 8>"$CACHE.lock"
  flock -w 600 8 || die "timed out waiting for another fetch into $CACHE"
  [ -f "$CACHE/.complete" ] && return 0
  say "fetching kafka_$SCALA_VERSION $KAFKA_VERSION from Maven Central into $CACHE"
  mkdir -p "$CACHE"
  rm -rf "$CACHE/lib"
  cat >"$CACHE/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by otaflow scripts/kafka.sh: the class path of a Kafka broker. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.otaflow</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_$SCALA_VERSION</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  # A private local repository keeps ~/.m2 untouched; it is deleted once the jars are copied.
  if ! mvn -B -q -f "$CACHE/pom.xml" -Dmaven.repo.local="$CACHE/m2" \
    "$DEPENDENCY_PLUGIN:copy-dependencies" -DoutputDirectory="$CACHE/lib" \
    -DincludeScope=runtime >"$CACHE/mvn.log" 2>&1; then
    tail -n 30 "$CACHE/mvn.log" >&2
    die "maven could not resolve kafka_$SCALA_VERSION:$KAFKA_VERSION (log: $CACHE/mvn.log)"
  fi
  rm -rf "$CACHE/m2"
  ls "$CACHE/lib"/kafka_"$SCALA_VERSION"-"$KAFKA_VERSION".jar >/dev/null ||
    die "maven finished but kafka_$SCALA_VERSION-$KAFKA_VERSION.jar is missing"
  touch "$CACHE/.complete"
}

# A random KRaft cluster id: 16 random bytes, base64url without padding (22 characters), never
# starting with '-' (Kafka's Uuid.randomUuid rejects those so tools do not read them as options).
cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [ "${id:0:1}" != "-" ] && break
  done
  echo "$id"
}

write_config() {
  local dir=$1 client=PLAINTEXT
  [ "$KAFKA_SASL_SSL" = 1 ] && client=SASL_SSL
  cat >"$dir/server.properties" <<EOF
# Generated by otaflow scripts/kafka.sh: one node, broker and controller, settings for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=$client://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=$client://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=$client
listener.security.protocol.map=$client:$client,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
metadata.log.dir=$dir/metadata

auto.create.topics.enable=true
num.partitions=$KAFKA_NUM_PARTITIONS
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000

EOF
  write_tuning >>"$dir/server.properties"
  [ "$KAFKA_SASL_SSL" = 1 ] && write_sasl_config >>"$dir/server.properties"
  write_log4j "$dir"
}

# Settings every node shares: small files, few threads.
write_tuning() {
  cat <<EOF
# Small files: tests write little and the machine is shared.
log.segment.bytes=1048576
log.index.size.max.bytes=1048576
log.retention.hours=1
log.retention.check.interval.ms=60000

# Two cores shared with builds: few threads.
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.threads=1

# Transactions past their timeout are aborted within a second (Kafka's default looks every
# 10 s): a test holds one past a 2 s timeout (kafka_broker_test).
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
EOF
}

# The broker's logging: INFO to stdout, which the script sends to the node's broker.log.
write_log4j() {
  local dir=$1
  cat >"$dir/log4j2.properties" <<EOF
# Generated by otaflow scripts/kafka.sh: INFO to stdout (the script sends it to broker.log).
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = WARN
EOF
}

# ---- SASL_SSL (KAFKA_SASL_SSL=1, single node) ---------------------------------------------
# Every secret is made at start into $STATE (mode 700; files 600): the broker's keystore
# password and SCRAM users' passwords never appear on a command line (openssl reads them with
# file:, the format JVM from an @argfile, the broker from server.properties).
SCRAM_USER=otaflow
SCRAM_MECHANISM=SCRAM-SHA-512

# A random password of letters and digits (safe inside JAAS quotes and --add-scram brackets).
random_secret() {
  local s=""
  while [ ${#s} -lt 24 ]; do s+=$(head -c 64 /dev/urandom | tr -dc 'A-Za-z0-9'); done
  echo "${s:0:24}"
}

# sign_cert NAME CN EXTENSIONS: an EC P-256 key NAME.key and NAME.pem signed by the test CA.
sign_cert() {
  local tls=$STATE/tls
  printf '%s\n' "$3" >"$tls/$1.ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$tls/$1.key" -out "$tls/$1.csr" -subj "/CN=$2" 2>>"$tls/openssl.log"
  openssl x509 -req -in "$tls/$1.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -days 7 -out "$tls/$1.pem" -extfile "$tls/$1.ext" 2>>"$tls/openssl.log"
  rm -f "$tls/$1.csr" "$tls/$1.ext"
}

# The test CA, the broker's certificate (127.0.0.1 and localhost) in a PKCS12 keystore, the
# passwords, and what a client needs: client.env, client.password, client.properties.
make_sasl_material() {
  local tls=$STATE/tls
  command -v openssl >/dev/null || die "openssl not found"
  mkdir -p "$tls"
  chmod 700 "$STATE" "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 7 -subj "/CN=otaflow test CA" \
    2>>"$tls/openssl.log" || die "openssl could not make the test CA ($tls/openssl.log)"
  sign_cert broker 127.0.0.1 "$(printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
    'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth,clientAuth')" ||
    die "openssl could not sign the broker's certificate ($tls/openssl.log)"
  random_secret >"$tls/keystore.password"
  openssl pkcs12 -export -in "$tls/broker.pem" -inkey "$tls/broker.key" -certfile "$tls/ca.pem" \
    -name kafka -out "$tls/broker.p12" -passout "file:$tls/keystore.password" \
    2>>"$tls/openssl.log" || die "openssl could not write the broker's keystore"
  random_secret >"$STATE/broker.password"
  random_secret >"$STATE/client.password"
  {
    echo "security.protocol=SASL_SSL"
    echo "sasl.mechanisms=$SCRAM_MECHANISM"
    echo "sasl.username=$SCRAM_USER"
    echo "sasl.password=$(cat "$STATE/client.password")"
    echo "ssl.ca.location=$tls/ca.pem"
  } >"$STATE/client.properties"
  {
    echo "KAFKA_BOOTSTRAP=$BROKERS"
    echo "KAFKA_SECURITY_PROTOCOL=SASL_SSL"
    echo "KAFKA_SASL_MECHANISM=$SCRAM_MECHANISM"
    echo "KAFKA_SASL_USERNAME=$SCRAM_USER"
    echo "KAFKA_SASL_PASSWORD_FILE=$STATE/client.password"
    echo "KAFKA_CA_FILE=$tls/ca.pem"
    echo "KAFKA_CLIENT_PROPERTIES=$STATE/client.properties"
  } >"$STATE/client.env"
  if [ "$KAFKA_SSL_CLIENT_AUTH" = required ]; then
    sign_cert client "$SCRAM_USER" "$(printf '%s\n' 'basicConstraints=CA:FALSE' \
      'extendedKeyUsage=clientAuth')" || die "openssl could not sign the client certificate"
    {
      echo "ssl.certificate.location=$tls/client.pem"
      echo "ssl.key.location=$tls/client.key"
    } >>"$STATE/client.properties"
    {
      echo "KAFKA_CLIENT_CERT=$tls/client.pem"
      echo "KAFKA_CLIENT_KEY=$tls/client.key"
    } >>"$STATE/client.env"
  fi
  rm -f "$tls/ca.srl"
}

# The SASL_SSL part of server.properties (the file is mode 600: it holds the passwords).
write_sasl_config() {
  local tls=$STATE/tls
  cat <<EOF

# SASL_SSL with $SCRAM_MECHANISM on the client and inter-broker listener (KAFKA_SASL_SSL=1).
sasl.enabled.mechanisms=$SCRAM_MECHANISM
sasl.mechanism.inter.broker.protocol=$SCRAM_MECHANISM
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$(cat "$STATE/broker.password")";
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls/broker.p12
ssl.keystore.password=$(cat "$tls/keystore.password")
ssl.key.password=$(cat "$tls/keystore.password")
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
# KIP-684: a SASL_SSL listener ignores the broker-wide ssl.client.auth; only the listener's own.
listener.name.sasl_ssl.ssl.client.auth=$KAFKA_SSL_CLIENT_AUTH
ssl.endpoint.identification.algorithm=https
EOF
}

# The format step's arguments as a java @argfile (mode 600): --add-scram holds the passwords.
write_format_args() {
  local dir=$1
  {
    echo "kafka.tools.StorageTool format --config $dir/server.properties"
    echo "--cluster-id $(cluster_id) --ignore-formatted"
    if [ "$KAFKA_SASL_SSL" = 1 ]; then
      echo "--add-scram $SCRAM_MECHANISM=[name=broker,password=$(cat "$STATE/broker.password")]"
      echo "--add-scram $SCRAM_MECHANISM=[name=$SCRAM_USER,password=$(cat "$STATE/client.password")]"
    fi
  } >"$dir/format.args"
}

java_opts() {
  local dir=$1
  echo "-Xmx512m -Xms128m -XX:+ExitOnOutOfMemoryError" \
    "-Djava.awt.headless=true -Dlog4j2.configurationFile=file:$dir/log4j2.properties" \
    "-Dkafka.logs.dir=$dir"
}

cmd_start() {
  local pid dir
  if pid=$(running_pid); then
    if answers; then
      say "already running (pid $pid) at $BROKERS"
      echo "$BROKERS"
      return 0
    fi
    die "pid $pid is running but $BROKERS does not answer; run '$0 stop' first"
  fi
  # A stale state folder from a crash: its data is useless now.
  if [ -f "$STATE/dir" ]; then
    rm -rf "$(cat "$STATE/dir")"
  fi
  rm -rf "$STATE"
  command -v java >/dev/null || die "java not found (scripts/setup.sh installs openjdk-17)"
  command -v kcat >/dev/null || die "kcat not found (scripts/setup.sh installs kcat)"
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    port_in_use "$p" && die "port $HOST:$p is already in use by another process"
    check_not_client_port "$p"
  done

  fetch_jars

  # A SASL_SSL broker's files hold secrets: nothing readable by others from here on.
  [ "$KAFKA_SASL_SSL" = 1 ] && umask 077
  dir=$(mktemp -d "${TMPDIR:-/tmp}/otaflow-kafka-data.XXXXXX")
  mkdir -p "$STATE"
  echo "$dir" >"$STATE/dir"
  [ "$KAFKA_SASL_SSL" = 1 ] && make_sasl_material
  write_config "$dir"
  write_format_args "$dir"
  local cp="$CACHE/lib/*"
  # shellcheck disable=SC2046  # java_opts is a list of words on purpose
  # The format step is a short-lived JVM: the C1 compiler only and the serial GC save about a
  # third of its CPU time, which matters on a busy 2-core machine. Its arguments come from an
  # @argfile, which the java launcher reads (SCRAM passwords stay off the command line).
  if ! java $(java_opts "$dir") -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$cp" \
    "@$dir/format.args" >"$dir/format.log" 2>&1; then
    cat "$dir/format.log" >&2
    die "formatting the KRaft storage failed"
  fi

  local log="$dir/broker.log"
  # setsid: the broker outlives this shell and a Ctrl-C in the caller's terminal. It must not
  # inherit the lock descriptors 8 and 9, or it would hold the locks for its whole life.
  # shellcheck disable=SC2046
  setsid java $(java_opts "$dir") -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -cp "$cp" \
    kafka.Kafka "$dir/server.properties" >"$log" 2>&1 </dev/null 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$STATE/pid"
  echo "$log" >"$STATE/log"
  echo "$BROKERS" >"$STATE/brokers"

  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$log" >&2
      rm -rf "$dir" "$STATE"
      die "the broker exited during start-up"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 40 "$log" >&2
      die "the broker did not answer within ${KAFKA_START_TIMEOUT}s (log: $log)"
    fi
    sleep 0.5
  done
  say "running (pid $pid) at $BROKERS, log $log"
  if [ "$KAFKA_SASL_SSL" = 1 ]; then
    say "SASL_SSL $SCRAM_MECHANISM, user $SCRAM_USER, password file $STATE/client.password," \
      "CA $STATE/tls/ca.pem, ssl.client.auth=$KAFKA_SSL_CLIENT_AUTH; client settings in" \
      "$STATE/client.env, librdkafka/kcat properties in $STATE/client.properties"
  fi
  echo "$BROKERS"
}

cmd_stop() {
  local pid
  if pid=$(running_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    # A controlled shutdown takes a few seconds; after 30 s it is killed.
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "pid $pid did not stop within 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped (pid $pid)"
  else
    say "not running"
  fi
  if [ -f "$STATE/dir" ]; then
    rm -rf "$(cat "$STATE/dir")"
  fi
  rm -rf "$STATE"
}

cmd_status() {
  local pid
  if ! pid=$(running_pid); then
    say "not running"
    return 3
  fi
  if answers; then
    say "running (pid $pid) at $BROKERS, log $(cat "$STATE/log")"
    echo "$BROKERS"
    return 0
  fi
  say "pid $pid is running but $BROKERS does not answer (log $(cat "$STATE/log"))"
  return 1
}

# ---- A cluster of 3 nodes (KAFKA_BROKERS=3) ------------------------------------------------
# Node N (1..3) is a broker and a controller (a 3-voter KRaft quorum: any 2 nodes keep it).
# Its client port is KAFKA_PORT+2(N-1), its controller port the one after; its configuration,
# data, metadata, broker.log and pid live in $STATE/nodeN.
NODES="1 2 3"
node_port() { echo $((KAFKA_PORT + 2 * ($1 - 1))); }
node_cport() { echo $((KAFKA_PORT + 2 * ($1 - 1) + 1)); }
node_dir() { echo "$STATE/node$1"; }

# True while pid $1 runs. A zombie that is not reaped yet counts as gone, but only once all its
# threads are gone: a killed JVM's main thread turns zombie while its other threads still exit
# and still hold its listening sockets.
pid_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] || return 0
  [ "$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" -gt 1 ]
}

cluster_bootstrap() {
  local n list=""
  for n in $NODES; do list+="${list:+,}$HOST:$(node_port "$n")"; done
  echo "$list"
}

# The pid of node N's JVM, if it is alive and really that node (pid reuse).
node_pid() {
  local dir pid
  dir=$(node_dir "$1")
  [ -f "$dir/pid" ] || return 1
  pid=$(cat "$dir/pid")
  [ -n "$pid" ] && pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
    grep -qF "kafka.Kafka $dir/server.properties" || return 1
  echo "$pid"
}

# Node N's metadata answer, asked of that node alone; empty when it does not answer.
node_metadata() {
  kcat -b "$HOST:$(node_port "$1")" -L -m 3 2>/dev/null || true
}

node_answers() {
  node_metadata "$1" | grep -q "broker $1 at $HOST:$(node_port "$1")"
}

write_cluster_config() {
  local n=$1 dir voters="" v
  dir=$(node_dir "$n")
  for v in $NODES; do voters+="${voters:+,}$v@$HOST:$(node_cport "$v")"; done
  cat >"$dir/server.properties" <<EOF
# Generated by otaflow scripts/kafka.sh: node $n of a 3-node cluster, broker and controller.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://$HOST:$(node_port "$n"),CONTROLLER://$HOST:$(node_cport "$n")
advertised.listeners=PLAINTEXT://$HOST:$(node_port "$n")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
metadata.log.dir=$dir/metadata

# Every partition on all 3 nodes; a write with acks=all needs 2 of them in sync, so one node
# may be down. Internal topics alike (transactions and consumer offsets survive a node).
auto.create.topics.enable=true
num.partitions=$KAFKA_NUM_PARTITIONS
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
share.coordinator.state.topic.num.partitions=1
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000

EOF
  write_tuning >>"$dir/server.properties"
  write_log4j "$dir"
}

# Starts node N's JVM on its existing configuration and data (its log is appended to).
launch_node() {
  local dir cp="$CACHE/lib/*"
  dir=$(node_dir "$1")
  # setsid and closed lock descriptors: as for the single broker (cmd_start).
  # shellcheck disable=SC2046  # java_opts is a list of words on purpose
  setsid java $(java_opts "$dir") -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -cp "$cp" \
    kafka.Kafka "$dir/server.properties" >>"$dir/broker.log" 2>&1 </dev/null 8>&- 9>&- &
  echo $! >"$dir/pid"
}

# Waits until every node in the list $1 answers; with $2 = all, until each lists 3 brokers too.
wait_nodes() {
  local nodes=$1 want=$2 deadline=$((SECONDS + KAFKA_START_TIMEOUT)) n pending md
  while :; do
    pending=""
    for n in $nodes; do
      # Not node_pid: just after launch_node the child may not have exec'd java yet.
      if ! pid_alive "$(cat "$(node_dir "$n")/pid")"; then
        tail -n 40 "$(node_dir "$n")/broker.log" >&2
        say "node $n exited during start-up (log: $(node_dir "$n")/broker.log)"
        return 1
      fi
      md=$(node_metadata "$n")
      if ! grep -q "broker $n at $HOST:$(node_port "$n")" <<<"$md" ||
        { [ "$want" = all ] && ! grep -q "^ 3 brokers:" <<<"$md"; }; then
        pending+=" $n"
      fi
    done
    [ -z "$pending" ] && return 0
    if ((SECONDS >= deadline)); then
      for n in $pending; do tail -n 20 "$(node_dir "$n")/broker.log" >&2; done
      say "node(s)$pending not ready within ${KAFKA_START_TIMEOUT}s (logs: $STATE/node*/broker.log)"
      return 1
    fi
    sleep 0.5
  done
}

# Prints topic/partition of every partition that has node $1 as a replica but not in its ISR;
# "?" when no node answers.
out_of_sync() {
  local md
  md=$(kcat -b "$(cluster_bootstrap)" -L -m 5 2>/dev/null) || true
  if ! grep -q " brokers:" <<<"$md"; then
    echo "?"
    return 0
  fi
  awk -v n="$1" '
    /^ *topic "/ { topic = $2 }
    /^ *partition [0-9]+,/ {
      r = $0; sub(/.*replicas: /, "", r); sub(/, isrs:.*/, "", r)
      i = $0; sub(/.*isrs: /, "", i); sub(/, .*/, "", i); sub(/[ ,]+$/, "", i)
      split(r, rs, ","); split(i, is, ",")
      replica = 0; insync = 0
      for (k in rs) if (rs[k] == n) replica = 1
      for (k in is) if (is[k] == n) insync = 1
      p = $2; sub(/,$/, "", p)
      if (replica && !insync) printf "%s/%s ", topic, p
    }' <<<"$md"
}

# Waits until node N is back in the ISR of each of its partitions.
wait_in_sync() {
  local n=$1 deadline=$((SECONDS + KAFKA_START_TIMEOUT)) lag
  while :; do
    lag=$(out_of_sync "$n")
    [ -z "$lag" ] && return 0
    if ((SECONDS >= deadline)); then
      say "node $n answers but is not back in sync within ${KAFKA_START_TIMEOUT}s: $lag"
      return 1
    fi
    sleep 0.5
  done
}

# Kills every running node (SIGKILL), for a start-up that failed.
kill_nodes() {
  local n pid
  for n in $NODES; do
    if pid=$(node_pid "$n"); then kill -KILL "$pid" 2>/dev/null || true; fi
  done
}

# Dies when node N's ports are taken; a node killed a moment ago gets 10 s to let them go.
check_node_ports() {
  local n=$1 p
  for p in "$(node_port "$n")" "$(node_cport "$n")"; do
    for _ in $(seq 1 20); do
      port_in_use "$p" || continue 2
      sleep 0.5
    done
    die "port $HOST:$p (node $n) is already in use by another process"
  done
  for p in "$(node_port "$n")" "$(node_cport "$n")"; do check_not_client_port "$p"; done
}

cmd_cluster_start() {
  local n alive="" dead="" pids=() id
  for n in $NODES; do
    if node_pid "$n" >/dev/null; then alive+=" $n"; else dead+=" $n"; fi
  done
  if [ -n "$alive" ]; then
    # A cluster with nodes down (stop-broker): start those on their data.
    for n in $dead; do
      check_node_ports "$n"
      say "node $n is down; starting it on its data"
      launch_node "$n"
    done
    wait_nodes "$NODES" all || die "the cluster is not ready: '$0 status' reports each node"
    for n in $dead; do
      wait_in_sync "$n" || die "node $n is running but some of its replicas are not in sync"
    done
    say "running at $(cluster_bootstrap), state $STATE"
    cluster_bootstrap
    return 0
  fi
  # No node alive: whatever is left is from a crash or a stopped cluster; start afresh.
  # (`start-broker 1 2 3` restarts stopped nodes on their data instead.)
  if [ -d "$STATE" ]; then say "no node running: deleting the old cluster in $STATE"; fi
  rm -rf "$STATE"
  command -v java >/dev/null || die "java not found (scripts/setup.sh installs openjdk-17)"
  command -v kcat >/dev/null || die "kcat not found (scripts/setup.sh installs kcat)"
  ((KAFKA_PORT >= 1024 && KAFKA_PORT + 5 <= 65535)) ||
    die "KAFKA_PORT=$KAFKA_PORT: a cluster needs KAFKA_PORT..KAFKA_PORT+5 within 1024..65535"
  for n in $NODES; do check_node_ports "$n"; done

  fetch_jars

  id=$(cluster_id)
  mkdir -p "$STATE"
  echo "$id" >"$STATE/cluster_id"
  for n in $NODES; do
    mkdir -p "$(node_dir "$n")"
    write_cluster_config "$n"
  done
  # One cluster id for all three; the three short format JVMs run side by side.
  for n in $NODES; do
    # shellcheck disable=SC2046
    java $(java_opts "$(node_dir "$n")") -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
      -cp "$CACHE/lib/*" kafka.tools.StorageTool format \
      --config "$(node_dir "$n")/server.properties" --cluster-id "$id" --ignore-formatted \
      >"$(node_dir "$n")/format.log" 2>&1 &
    pids+=($!)
  done
  for n in $NODES; do
    if ! wait "${pids[$((n - 1))]}"; then
      cat "$(node_dir "$n")/format.log" >&2
      die "formatting node $n's KRaft storage failed"
    fi
  done

  for n in $NODES; do launch_node "$n"; done
  if ! wait_nodes "$NODES" all; then
    kill_nodes
    die "the cluster did not start; nodes killed, logs kept in $STATE/node*/broker.log"
  fi
  say "running at $(cluster_bootstrap), state $STATE"
  cluster_bootstrap
}

cmd_cluster_stop() {
  local n pid pids=() stopping
  for n in $NODES; do
    if pid=$(node_pid "$n"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  # All at once; the data is deleted anyway, so after 10 s they are killed (the last node of a
  # controlled shutdown may wait for a quorum that is gone).
  for _ in $(seq 1 20); do
    stopping=0
    for pid in "${pids[@]}"; do pid_alive "$pid" && stopping=1; done
    ((stopping)) || break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do
    if pid_alive "$pid"; then
      say "pid $pid did not stop within 10 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 25); do
        pid_alive "$pid" || break
        sleep 0.2
      done
    fi
  done
  if ((${#pids[@]})); then say "stopped ${#pids[@]} node(s)"; else say "not running"; fi
  rm -rf "$STATE"
}

cmd_cluster_status() {
  local n pid up=0 answering=0
  for n in $NODES; do
    local what="node $n ($HOST:$(node_port "$n"), controller $(node_cport "$n"))"
    if ! pid=$(node_pid "$n"); then
      say "$what: not running"
      continue
    fi
    up=$((up + 1))
    if node_answers "$n"; then
      answering=$((answering + 1))
      say "$what: running (pid $pid), answering, log $(node_dir "$n")/broker.log"
    else
      say "$what: running (pid $pid) but not answering, log $(node_dir "$n")/broker.log"
    fi
  done
  ((up == 0)) && return 3
  ((answering == 3)) || return 1
  cluster_bootstrap
}

# The node numbers (1..3, at least one) of stop-broker / start-broker in NODES_ARG, and
# --graceful.
parse_node_args() {
  NODES_ARG="" GRACEFUL=0
  local a
  for a in "$@"; do
    case "$a" in
      --graceful) GRACEFUL=1 ;;
      [1-3]) [[ " $NODES_ARG " == *" $a "* ]] || NODES_ARG+="${NODES_ARG:+ }$a" ;;
      *) die "'$a': expected a node number 1, 2 or 3 (or --graceful)" ;;
    esac
  done
  [ -n "$NODES_ARG" ] || die "which node? expected a node number 1, 2 or 3"
}

cmd_stop_broker() {
  parse_node_args "$@"
  local n pid sig=KILL
  ((GRACEFUL)) && sig=TERM
  for n in $NODES_ARG; do
    if ! pid=$(node_pid "$n"); then
      say "node $n is not running"
      continue
    fi
    kill -"$sig" "$pid" 2>/dev/null || true
    # SIGKILL: gone at once. SIGTERM: a controlled shutdown (leaderships move first), killed
    # after 30 s.
    for _ in $(seq 1 150); do
      pid_alive "$pid" || break
      sleep 0.2
    done
    local how="SIG$sig"
    if pid_alive "$pid"; then
      # A controlled shutdown needs the controller quorum: the last node up never finishes it.
      say "node $n (pid $pid) did not stop within 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      how="SIGTERM, then SIGKILL after 30 s"
    fi
    rm -f "$(node_dir "$n")/pid"
    say "node $n stopped ($how, pid $pid); its data stays in $(node_dir "$n")"
  done
}

# Starts the nodes on their data, side by side: with all 3 down, one node alone has no quorum
# and would wait for ever, so `start-broker 1 2 3` (or two of them) starts them together.
cmd_start_broker() {
  parse_node_args "$@"
  local n pid starting=""
  [ -f "$STATE/cluster_id" ] ||
    die "no cluster in $STATE (KAFKA_PORT=$KAFKA_PORT): start one with KAFKA_BROKERS=3 $0 start"
  for n in $NODES_ARG; do
    [ -f "$(node_dir "$n")/server.properties" ] || die "node $n has no data in $(node_dir "$n")"
    if pid=$(node_pid "$n"); then
      node_answers "$n" || die "node $n (pid $pid) is running but does not answer"
      say "node $n is already running (pid $pid)"
      continue
    fi
    check_node_ports "$n"
    starting+=" $n"
  done
  for n in $starting; do launch_node "$n"; done
  [ -n "$starting" ] || return 0
  wait_nodes "$starting" one || die "node(s)$starting did not start"
  for n in $starting; do
    wait_in_sync "$n" || die "node $n is running but some of its replicas are not in sync"
    say "node $n running (pid $(node_pid "$n")) at $HOST:$(node_port "$n"), in sync"
  done
}

# One start/stop/status at a time per port (test scripts may race).
lock() {
  mkdir -p "$(dirname "$STATE")"
  exec 9>"$STATE.lock"
  flock -w 300 9 || die "timed out waiting for another kafka.sh on port $KAFKA_PORT"
}

usage() {
  echo "usage: $0 start|stop|status" >&2
  echo "       KAFKA_BROKERS=3 $0 start|stop|status" >&2
  echo "       KAFKA_SASL_SSL=1 [KAFKA_SSL_CLIENT_AUTH=required] $0 start" >&2
  echo "       $0 stop-broker N... [--graceful] | start-broker N...   (cluster nodes 1..3)" >&2
  exit 2
}

if [ "$KAFKA_BROKERS" = 3 ]; then
  case "${1:-}" in
    start | stop | status | stop-broker | start-broker) lock ;;
  esac
  case "${1:-}" in
    start) cmd_cluster_start ;;
    stop) cmd_cluster_stop ;;
    status) cmd_cluster_status ;;
    stop-broker) cmd_stop_broker "${@:2}" ;;
    start-broker) cmd_start_broker "${@:2}" ;;
    *) usage ;;
  esac
  exit
fi
case "${1:-}" in
  start | stop | status) lock ;;
esac
case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
