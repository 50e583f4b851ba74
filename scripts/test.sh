#!/usr/bin/env bash
# Runs every test tier, installing what is missing first. CI runs exactly this (.ci/run).
#   1. format and clippy (native and wasm32), warnings are errors
#   2. unit tests of the pure core and the dev kit (native, milliseconds), the simulation's
#      long budget in release (SIM_SEEDS, default 10000 seeds), and a randomized run of the
#      session against hostile input (FUZZ_EXECUTIONS, default 300000)
#   3. browser tests of the transport (wasm-bindgen-test in headless Chromium, real Mosquitto)
#   4. release build of the page (trunk, wasm-opt)
#   5. end-to-end: the built page in headless Chromium against Mosquitto and the embedded
#      rumqttd, with simulated Tasmota plugs; stalls and cuts through the fault proxy; the
#      broker restarted E2E_RESTARTS times (default 20)
#   6. the benchmark against a page built on MQTT.js, in quick mode (bench/run.mjs --quick):
#      it must run through; its figures are not checked (timing tests flake)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
source scripts/env.sh

export MOSQUITTO="${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}"
LOG_DIR="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

step_started=0
step() {
  printf '\n\033[1m== %s\033[0m\n' "$1"
  step_started=$SECONDS
}
step_done() { printf '\033[1m== %s: %ss\033[0m\n' "$1" $((SECONDS - step_started)); }
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

step "format and lint"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p switchboard -p switchboard-core --all-targets -- -D warnings
step_done "format and lint"

step "unit tests (native)"
# The simulation's 200 quick seeds here; its long budget is the next step.
env -u SIM_SEEDS -u SIM_SEED -u SIM_FAULTS cargo test -p switchboard-core -p switchboard-devkit -p switchboard-split-step 2>&1 | tee "$LOG_DIR/unit.log"
step_done "unit tests"

step "simulation, long budget (the whole core under seeded faults; SIM_SEEDS, release)"
# 10,000 seeds (292 simulated hours, about 5 minutes on one core).
SIM_SEEDS="${SIM_SEEDS:-10000}" cargo test --release -p switchboard-devkit simulation_the_core -- --nocapture 2>&1 | tee "$LOG_DIR/simulation.log"
step_done "simulation"

step "randomized session run (no input may panic; 10 million in a long run)"
cargo run --quiet --release -p switchboard-core --example fuzz_session -- "${FUZZ_EXECUTIONS:-300000}"
step_done "randomized session run"

step "browser tests (wasm-bindgen-test, headless Chromium, Mosquitto)"
tcp_port="$(free_port)"; ws_port="$(free_port)"
printf 'listener %s 127.0.0.1\nlistener %s 127.0.0.1\nprotocol websockets\nallow_anonymous true\n' \
  "$tcp_port" "$ws_port" > "$LOG_DIR/mosquitto.conf"
"$MOSQUITTO" -c "$LOG_DIR/mosquitto.conf" > "$LOG_DIR/mosquitto.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$ws_port") 2>/dev/null && break; sleep 0.1; done
SWITCHBOARD_TEST_BROKER_WS="ws://127.0.0.1:$ws_port" \
  cargo test --target wasm32-unknown-unknown -p switchboard 2>&1 | tee "$LOG_DIR/browser.log"
step_done "browser tests"

step "release build (trunk)"
trunk build --release
cargo build -p switchboard-devkit
ls -l dist
step_done "release build"

step "end-to-end (headless Chromium; Mosquitto, rumqttd, aedes; simulated plugs, fault proxy)"
node --test --test-reporter=spec tests/e2e/ 2>&1 | tee "$LOG_DIR/e2e.log"
step_done "end-to-end"

step "benchmark against the MQTT.js page, quick mode (keeps it working; asserts no timing)"
node bench/run.mjs --quick --out "$LOG_DIR/bench-quick.json"
step_done "benchmark (quick)"

# One closing line over every tier.
sum() { grep -hoE "$1" "$LOG_DIR/$2" | grep -oE '[0-9]+' | awk '{ total += $1 } END { print total + 0 }'; }
passed=$(( $(sum '[0-9]+ passed' unit.log) + $(sum '[0-9]+ passed' simulation.log) + $(sum '[0-9]+ passed' browser.log) + $(sum ' pass [0-9]+$' e2e.log) ))
failed=$(( $(sum '[0-9]+ failed' unit.log) + $(sum '[0-9]+ failed' simulation.log) + $(sum '[0-9]+ failed' browser.log) + $(sum ' fail [0-9]+$' e2e.log) ))
printf '\ntotal: %s passed, %s failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
