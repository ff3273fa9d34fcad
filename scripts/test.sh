#!/usr/bin/env bash
# Runs every test of the project, in order, and stops at the first failure:
#   1. setup             install missing tools (scripts/setup.sh)
#   2. lint              clippy over every crate and test, warnings as errors
#   3. native            cargo test of the core, the CLI and the integration tests
#   4. web (native)      unit tests of the web app's pure model (state, geometry, formatting)
#   5. native hashes     trace hash of every preset, computed by the native CLI
#   6. web (browser)     the same presets in WebAssembly in headless Chromium: same hashes
#   7. trunk build       the release build of the playground into dist/
#   8. end-to-end        the built playground in headless Chromium (tests/e2e/)
# The last line is always a summary: "N passed, M failed" over every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ROOT/node_modules/.bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/web/webdriver.json"
# Generous limits: a busy 2-core machine starts Chromium slowly.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"
export WASM_BINDGEN_TEST_DRIVER_TIMEOUT="${WASM_BINDGEN_TEST_DRIVER_TIMEOUT:-60}"

# A test run builds from scratch once, so incremental compilation's caches (a quarter of the
# build's size on disk) buy nothing.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

LOGS=$(mktemp -d "${TMPDIR:-/tmp}/replicalab-test.XXXXXX")
trap 'rm -rf "$LOGS"' EXIT
# Temporary files of the run (Chromium's profile copies, about 90 MB each, which a killed browser
# leaves behind) go under LOGS and go with it.
mkdir -p "$LOGS/tmp"
export TMPDIR="$LOGS/tmp"
PASSED=0
FAILED=0
TIMINGS=()

banner() { printf '\n==> %s\n' "$*"; }

summary() {
  printf '\n'
  for t in "${TIMINGS[@]}"; do printf '  %s\n' "$t"; done
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
}

# Adds the test counts found in a log: cargo's "test result:" lines and node's "# pass" /
# "# fail" lines. Leaves the number of failures found in LAST_FAILED.
LAST_FAILED=0
count() {
  local log=$1 p f
  p=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
    /^test result: (ok|FAILED)\./ { for (i = 1; i <= NF; i++) if ($(i) ~ /^passed;?$/) s += $(i-1) }
    /^# pass [0-9]+$/ { s += $3 }
    END { print s + 0 }')
  f=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
    /^test result: (ok|FAILED)\./ { for (i = 1; i <= NF; i++) if ($(i) ~ /^failed;?$/) s += $(i-1) }
    /^# fail [0-9]+$/ { s += $3 }
    END { print s + 0 }')
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
  LAST_FAILED=$f
}

# run NAME COMMAND...: runs a suite, shows its output, counts its tests; on failure prints the
# summary and exits non-zero.
run() {
  local name=$1 log start status
  shift
  log="$LOGS/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-').log"
  banner "$name"
  start=$SECONDS
  set +e
  "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  count "$log"
  TIMINGS+=("$(printf '%-16s %4ds  %s' "$name" $((SECONDS - start)) "$([ "$status" -eq 0 ] && echo ok || echo FAILED)")")
  if [ "$status" -ne 0 ]; then
    # A build error fails a suite without any failing test: count the suite itself.
    [ "$LAST_FAILED" -gt 0 ] || FAILED=$((FAILED + 1))
    printf '\n%s failed (exit status %d); stopping.\n' "$name" "$status"
    summary
    exit 1
  fi
}

native_hashes() {
  cargo build --quiet -p replicalab-cli
  local bin
  bin="$(cargo metadata --format-version 1 --no-deps | node -pe 'JSON.parse(require("fs").readFileSync(0)).target_directory')/debug/replicalab"
  "$bin" hashes --until 3000 >"$LOGS/hashes.json"
  node -e 'const h = JSON.parse(require("fs").readFileSync(process.argv[1])); if (!Object.keys(h).length) process.exit(1); console.log(`${Object.keys(h).length} presets hashed natively`)' "$LOGS/hashes.json"
}

browser_tests() {
  REPLICALAB_NATIVE_HASHES="$(cat "$LOGS/hashes.json")" cargo test --target wasm32-unknown-unknown -p replicalab-web
}

trunk_build() {
  trunk build --release --offline
  local wasm
  wasm=$(ls dist/*.wasm)
  printf 'dist: %s bytes of WebAssembly (%s gzipped), %s bytes of JavaScript\n' \
    "$(wc -c <"$wasm")" "$(gzip -9 -c "$wasm" | wc -c)" "$(cat dist/*.js | wc -c)"
}

# A clean run needs about 3 GB of disk (2.9 GB at its peak on 2026-12-07): name a shortfall up
# front rather than fail in a compiler.
free_kb=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ "${free_kb:-0}" -lt 4000000 ]; then
  printf 'warning: only %s MB free on this disk; a clean test run needs about 3 GB\n' "$((free_kb / 1024))" >&2
fi

run "setup" bash scripts/setup.sh
run "lint" cargo clippy --workspace --all-targets -- -D warnings
run "native" cargo test --workspace --exclude replicalab-web
run "web (native)" cargo test -p replicalab-web --lib
run "native hashes" native_hashes
run "web (browser)" browser_tests
run "trunk build" trunk_build
run "end-to-end" node --test --test-reporter=tap tests/e2e/
summary
