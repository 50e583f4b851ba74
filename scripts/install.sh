#!/usr/bin/env bash
# Installs what Switchboard's demo and tests need, from crates.io, Debian and npm only.
# Idempotent: anything already present at the right version is skipped.
# Facts behind each choice: ../shared/TOOLCHAIN.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"

say() { printf '\033[1m[install]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: headless Chromium and its driver, Mosquitto, Node.js for the npm tools.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "cargo install trunk@$TRUNK_VERSION (about 10 minutes, once)"
  cargo install --locked "trunk@$TRUNK_VERSION"
fi

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  # Without --locked: its locked webpki-roots is newer than this index serves.
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# The split step stands in for wasm-bindgen in trunk's build (see crates/split-step): built
# from this workspace every time (cargo skips it when nothing changed), linked first on PATH.
say "cargo build -p switchboard-split-step"
cargo build --quiet -p switchboard-split-step
mkdir -p .tools/bin
ln -sf ../../target/debug/wasm-bindgen-split .tools/bin/wasm-bindgen

# npm: binaryen's wasm-opt (Debian's binaryen 108 silently breaks the module), playwright-core,
# aedes and ws. Reinstalled whenever an installed version differs from package.json.
npm_stale="$(node -e "
  const want = require('./package.json').devDependencies;
  const stale = Object.entries(want).filter(([name, version]) => {
    try { return require('./node_modules/' + name + '/package.json').version !== version; }
    catch { return true; }
  });
  console.log(stale.map(([name, version]) => name + '@' + version).join(' '));
")"
if [ -n "$npm_stale" ]; then
  say "npm ci ($npm_stale)"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "ready: $(trunk --version), wasm-bindgen $WASM_BINDGEN_VERSION, $(wasm-opt --version | cut -d' ' -f1-3), $(chromium --version 2>/dev/null | head -1), mosquitto $(mosquitto -h 2>/dev/null | awk 'NR==1 {print $3}')"
