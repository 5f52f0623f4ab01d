#!/usr/bin/env bash
# The whole test suite on a fresh machine: install, build (warnings are errors),
# start the Kafka broker, run ctest, stop the broker. With OTAFLOW_SANITIZE=1 a
# second build under ASan+UBSan runs the unit and fuzz-replay tests too (CI sets it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OTAFLOW_BUILD_DIR:-$root/build}

"$root/scripts/build.sh" -DOTAFLOW_WERROR=ON

kafka_started=0
if [ -x "$root/scripts/kafka.sh" ] && [ "${OTAFLOW_NO_KAFKA:-0}" != 1 ]; then
  "$root/scripts/kafka.sh" start
  kafka_started=1
fi
cleanup() { if [ "$kafka_started" = 1 ]; then "$root/scripts/kafka.sh" stop || true; fi; }
trap cleanup EXIT

export OTAFLOW_KAFKA_BROKERS=${OTAFLOW_KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT:-9092}}
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 600

if [ "${OTAFLOW_SANITIZE:-0}" = 1 ]; then
  asan=${OTAFLOW_ASAN_BUILD_DIR:-$root/build-asan}
  OTAFLOW_BUILD_DIR=$asan CMAKE_BUILD_TYPE=Debug "$root/scripts/build.sh" \
    -DOTAFLOW_WERROR=ON -DOTAFLOW_SANITIZE=ON -DOTAFLOW_BUILD_BENCH=OFF
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$asan" --output-on-failure -j"$(nproc)" -L "unit|fuzz" --timeout 600
fi
