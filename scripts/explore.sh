#!/usr/bin/env bash
# The long fault-explorer sweep: SCHEDULES random fault schedules (default 1000) over each
# built-in family (leader-follower majority with elections, leader-follower sync, multi-leader
# cycling through every conflict resolution and topology, leaderless strict quorums), on every
# core. Stops at the first family with a violation, whose shrunk counterexample it prints and
# writes to target/explore/FAMILY.json. The short sweep (100 per family) is part of
# scripts/test.sh; docs/explore.md says how long this one takes.
#   scripts/explore.sh [SCHEDULES] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
SCHEDULES="${1:-1000}"
SEED="${2:-1}"
cargo build --release -q -p replicalab-cli
mkdir -p target/explore
start=$(date +%s)
for family in lf-majority lf-sync multi-leader ll-strict; do
  if ! ./target/release/replicalab explore "$family" --schedules "$SCHEDULES" --seed "$SEED" \
      --out "target/explore/$family.json" > "target/explore/$family.summary.json"; then
    cat "target/explore/$family.summary.json"
    echo "explore: $family broke a property; counterexample in target/explore/$family.json" >&2
    exit 1
  fi
  python3 - "$family" "target/explore/$family.summary.json" <<'PY' 2>/dev/null || cat "target/explore/$family.summary.json"
import json, sys
r = json.load(open(sys.argv[2]))
checked = ", ".join(f"{k} {v}" for k, v in sorted(r["checked"].items()))
print(f"{sys.argv[1]}: {r['passed']}/{r['run']} schedules pass in {r['seconds']} s; max events {r['max_event_ratio']}x the run without faults; checked: {checked}")
PY
done
echo "explore: every family passed $SCHEDULES schedules in $(( $(date +%s) - start )) s"
