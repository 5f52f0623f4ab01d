#!/usr/bin/env bash
# Installs every Debian package otaflow needs. Idempotent and quiet when all is
# there; called by scripts/demo.sh and scripts/test.sh.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang clang-format
  libcaf-dev librdkafka-dev librocksdb-dev libspdlog-dev libfmt-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libtomlplusplus-dev
  libsimdjson-dev nlohmann-json3-dev librapidcheck-dev libmimalloc-dev
  chromium chromium-driver python3-selenium
  kcat openjdk-17-jre-headless maven python3 python3-venv curl openssl
  libcpp-httplib-dev prometheus stunnel4 softhsm2 libp11-kit-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
