#!/usr/bin/env bash
# Configures and builds otaflow into build/ (or $OTAFLOW_BUILD_DIR).
# Extra CMake arguments pass through: scripts/build.sh -DOTAFLOW_WERROR=ON
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OTAFLOW_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
cmake --build "$build" -j"${OTAFLOW_JOBS:-$(nproc)}"
