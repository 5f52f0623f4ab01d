#!/usr/bin/env bash
# The main job on a fresh machine: install, build, run `otaflow demo`.
# Arguments pass to `otaflow demo` (e.g. --cards 100000 --json).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" >&2
exec "${OTAFLOW_BUILD_DIR:-$root/build}/app/otaflow" demo "$@"
