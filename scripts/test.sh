#!/usr/bin/env bash
# The whole test suite on a fresh machine: install, build (warnings are errors),
# start the Kafka broker, run ctest, stop the broker. With OTAFLOW_SANITIZE=1 a
# second build under ASan+UBSan runs the unit and fuzz-replay tests too (CI sets it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OTAFLOW_BUILD_DIR:-$root/build}

"$root/scripts/build.sh" -DOTAFLOW_WERROR=ON

# The real Kafka broker for the integration tests (OTAFLOW_NO_KAFKA=1 skips them).
kafka_started=0
if [ -z "${OTAFLOW_KAFKA_BROKERS:-}" ] && [ "${OTAFLOW_NO_KAFKA:-0}" != 1 ]; then
  OTAFLOW_KAFKA_BROKERS=$("$root/scripts/kafka.sh" start)
  kafka_started=1
fi
cleanup() { if [ "$kafka_started" = 1 ]; then "$root/scripts/kafka.sh" stop || true; fi; }
trap cleanup EXIT
if [ -n "${OTAFLOW_KAFKA_BROKERS:-}" ]; then export OTAFLOW_KAFKA_BROKERS; fi
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 600
# The 3-node cluster tests (3 more JVMs each) and the SASL_SSL test (a broker of its own) one
# at a time, after the parallel run; each starts and stops its own brokers (ports
# 28092..28097, 28292..28297, the SASL_SSL one a random port of 20000-27999: below the
# ephemeral port range 32768-60999, so no client connection can hold one).
if [ "${OTAFLOW_NO_KAFKA:-0}" != 1 ]; then
  OTAFLOW_KAFKA_CLUSTER_TEST=1 OTAFLOW_KAFKA_SASL_TEST=1 ctest --test-dir "$build" \
    --output-on-failure --timeout 900 -R '^kafka_broker_(cluster|serve_partitioned|serve_sasl)$'
fi

if [ "${OTAFLOW_SANITIZE:-0}" = 1 ]; then
  # Sanitizer build of the pure layers (wire formats, crypto, the engine's state machine),
  # the engine with its SMPP client, serve's loop, and the fuzz-corpus replays: where a read
  # past the end, a use after free at shutdown, or UB would hide.
  asan=${OTAFLOW_ASAN_BUILD_DIR:-$root/build-asan}
  cmake -S "$root" -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DOTAFLOW_WERROR=ON \
    -DOTAFLOW_SANITIZE=ON -DOTAFLOW_BUILD_BENCH=OFF >/dev/null
  fuzz_targets=$(cd "$root/tests/fuzz" && ls *.cpp | grep -v replay_main | sed 's/\.cpp$//; s/^/fuzz_/')
  cmake --build "$asan" -j"$(nproc)" --target otaflow_base_tests otaflow_model_tests \
    otaflow_codec_tests otaflow_secure_tests otaflow_actors_tests otaflow_service_tests \
    $fuzz_targets
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$asan" --output-on-failure -j"$(nproc)" --timeout 600 \
      -R '^(base|model|codec|secure|actors|service)\.|^fuzz_replay\.'
fi
