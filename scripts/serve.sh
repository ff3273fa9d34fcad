#!/usr/bin/env bash
# Builds the playground and serves it at http://127.0.0.1:8080, rebuilding on changes to the app
# or the core. Installs missing tools first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"
echo "replicalab: building, then serving at http://127.0.0.1:8080 (Ctrl-C stops)" >&2
exec trunk serve --release --offline --address 127.0.0.1 --port 8080
