#!/usr/bin/env bash
# Installs what is missing, builds the page, and starts the demo: the page, an embedded MQTT
# broker and three simulated Tasmota plugs. Prints the URL to open. Options go to the dev kit
# (e.g. --http-port 8081 --ws-port 9002 --tcp-port 1884).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
source scripts/env.sh
trunk build --release
cargo build -p switchboard-devkit
exec target/debug/switchboard-devkit demo --dist dist "$@"
