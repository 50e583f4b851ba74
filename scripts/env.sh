# Sourced by the other scripts: puts the project's tools first on PATH.
# .tools/bin holds the split step as `wasm-bindgen` (crates/split-step: trunk runs it, it runs
# the real wasm-bindgen); node_modules/.bin holds wasm-opt (npm binaryen 132), which trunk must
# find before any other.
SWITCHBOARD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$SWITCHBOARD_ROOT/.tools/bin:$SWITCHBOARD_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
