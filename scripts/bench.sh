#!/usr/bin/env bash
# Switchboard against a page built on MQTT.js 5 (see bench/run.mjs): builds the release page and
# the dev kit, then runs the browser benchmark and the core's native one.
#   scripts/bench.sh           the full run (about 10 minutes), table printed and bench/results.json
#   scripts/bench.sh --quick   everything briefly, to keep it working (CI); no figure is meaningful
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
if [[ "${1:-}" != "--no-build" && "${2:-}" != "--no-build" ]]; then
  trunk build --release >/dev/null
  cargo build -q -p switchboard-devkit
fi
node bench/run.mjs "$@"
if [[ "${1:-}" != "--quick" ]]; then
  cargo bench -q -p switchboard-core --bench ingest
fi
