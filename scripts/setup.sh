#!/usr/bin/env bash
# Installs whatever the build and the tests need and is missing; skips what is already there.
# Safe to run again. Everything comes from the package registries (crates.io, npm, Debian):
#   - clippy and the wasm32-unknown-unknown target (rustup)
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (it also provides
#     wasm-bindgen-test-runner), and Trunk (cargo install)
#   - wasm-opt (npm binaryen), playwright-core and axe-core (npm ci, pinned in package-lock.json)
#   - Chromium and ChromeDriver, and a C toolchain for the cargo installs (apt)
# Works unattended (CI=true, no terminal) as root or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PWD/node_modules/.bin:$PATH"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found; install these by hand: $*"
  if [ -z "$APT_UPDATED" ]; then
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first (https://rustup.rs)"
command -v npm >/dev/null || die "npm not found: install Node.js 20 or newer"

# A C compiler: some crates that Trunk and wasm-bindgen-cli build need one.
if ! command -v cc >/dev/null || ! command -v pkg-config >/dev/null; then
  apt_install build-essential pkg-config
fi

# The wasm target.
if ! cargo clippy --version >/dev/null 2>&1; then
  log "adding clippy"
  rustup component add clippy
fi
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen CLI: must match the wasm-bindgen version in Cargo.lock exactly, or Trunk tries to
# download its own copy (and fails offline). Installed without --locked, which fails here.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$WB_VERSION" ] || die "cannot read the wasm-bindgen version from Cargo.lock"
if ! command -v wasm-bindgen >/dev/null || ! wasm-bindgen --version | grep -q " $WB_VERSION\$" \
  || ! command -v wasm-bindgen-test-runner >/dev/null; then
  log "installing wasm-bindgen-cli $WB_VERSION (about 2 minutes)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

# Trunk (0.22 needs a newer rustc than this project's toolchain).
if ! command -v trunk >/dev/null || ! trunk --version | grep -q " $TRUNK_VERSION\$"; then
  log "installing trunk $TRUNK_VERSION (about 8 minutes on 2 cores)"
  cargo install trunk --locked --version "$TRUNK_VERSION" --force
fi

# npm packages (binaryen's wasm-opt, playwright-core, axe-core), pinned in package-lock.json. Reinstall
# when anything installed differs from the lock.
npm_in_sync() {
  node -e '
    const lock = require("./package-lock.json").packages;
    for (const [path, meta] of Object.entries(lock)) {
      if (!path) continue;
      let installed;
      try { installed = require(`./${path}/package.json`).version; } catch { process.exit(1); }
      if (installed !== meta.version) process.exit(1);
    }' 2>/dev/null
}
if ! npm_in_sync || [ ! -x node_modules/.bin/wasm-opt ]; then
  log "installing npm packages from package-lock.json (binaryen, playwright-core, axe-core)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Chromium and ChromeDriver from Debian (playwright's own browser download does not work here).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  apt_install chromium chromium-driver
fi

log "tools ready: $(trunk --version), $(wasm-bindgen --version), wasm-opt $(wasm-opt --version | awk '{print $3}'), $(/usr/bin/chromium --version 2>/dev/null)"
