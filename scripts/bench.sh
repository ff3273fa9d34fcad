#!/usr/bin/env bash
# Measures the simulator natively and as WebAssembly (in headless Chromium, the engine the
# playground runs in, and in Node for comparison) on the same presets and seed,
# by CPU time, plus PBS trials per second (wall time on every core, and per CPU-second), a check
# that the PBS estimator gives the same numbers natively and in WebAssembly, and the download
# sizes.
#   scripts/bench.sh            a table
#   scripts/bench.sh --json     {"sim": [{"preset", "native_events_per_cpu_s", "wasm_events_per_cpu_s",
#                                "wasm_over_native", "wasm_cold_events_per_cpu_s", "embed_wasm_events_per_cpu_s",
#                                "node_wasm_events_per_cpu_s", "node_wasm_over_native", ...}], "wasm_engine",
#                                "pbs_trials_per_s", "pbs_trials_per_cpu_s", "pbs_digest", "app_gz_bytes",
#                                "embed_gz_bytes", "load"}
# Environment: BENCH_PRESETS (default "lf-async ll-strict-quorum ml-siblings"), BENCH_UNTIL_MS
# (default 600000: ten simulated minutes), BENCH_SEED (default 1), BENCH_PBS_TRIALS (5000000).
# The WebAssembly core is built twice, as the two pages ship it: the playground's (profile
# wasm-release: the core at opt-level 3) and the embed player's (profile wasm-embed: the core
# at "z"). Each WebAssembly figure is the steady state (the least of the second to fifth run
# in one instance, after V8 has compiled the hot code with its optimising tier); the first
# run, which pays for that compilation, is reported as "cold" (scripts/bench-wasm.mjs says how
# CPU time is measured in each engine). The "wasm" figures are Chromium's; "node_wasm" are the
# same module in Node, whose V8 is older. Native figures are the least of three runs. Runs
# scripts/setup.sh first if the wasm target or Chromium is missing. Timing is never asserted;
# ratios come from one run on the same machine.
set -euo pipefail
cd "$(dirname "$0")/.."
JSON=""
[ "${1:-}" = "--json" ] && JSON=1
PRESETS=${BENCH_PRESETS:-"lf-async ll-strict-quorum ml-siblings"}
UNTIL=${BENCH_UNTIL_MS:-600000}
SEED=${BENCH_SEED:-1}
PBS_TRIALS=${BENCH_PBS_TRIALS:-5000000}
log() { [ -n "$JSON" ] && printf '[bench] %s\n' "$*" >&2 || printf '%s\n' "$*" >&2; }

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || [ ! -x "$CHROMIUM" ] || [ ! -d node_modules/playwright-core ]; then
  scripts/setup.sh
fi
export RUNS=${RUNS:-5}
log "building (native release, WebAssembly as the playground and as the embed player build it)"
cargo build --quiet --release -p replicalab-bench -p replicalab-cli
cargo build --quiet -p replicalab-bench --lib --target wasm32-unknown-unknown --profile wasm-release
cargo build --quiet -p replicalab-bench --lib --target wasm32-unknown-unknown --profile wasm-embed
T=${CARGO_TARGET_DIR:-target}
NATIVE=$T/release/replicalab-bench
WASM_APP=$T/wasm32-unknown-unknown/wasm-release/replicalab_bench.wasm
WASM_EMBED=$T/wasm32-unknown-unknown/wasm-embed/replicalab_bench.wasm

# CPU seconds (user + system) of a command; its stdout goes to $OUT.
cpu_of() {
  local TIMEFORMAT='%U %S' t
  t=$( { time "$@" >"$OUT" 2>/dev/null; } 2>&1 )
  awk '{print $1 + $2}' <<<"$t"
}
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
rows=()
for p in $PRESETS; do
  log "$p: native (three runs)"
  ncpu=$(for _ in 1 2 3; do cpu_of "$NATIVE" "$p" "$SEED" "$UNTIL"; done | sort -g | head -1)
  nline=$(cat "$OUT")
  log "$p: WebAssembly in Chromium (the playground's build, then the embed player's), then in Node"
  wline=$(ENGINE=chromium node scripts/bench-wasm.mjs "$WASM_APP" "$SEED" "$UNTIL" "$p")
  eline=$(ENGINE=chromium node scripts/bench-wasm.mjs "$WASM_EMBED" "$SEED" "$UNTIL" "$p")
  xline=$(ENGINE=node node scripts/bench-wasm.mjs "$WASM_APP" "$SEED" "$UNTIL" "$p")
  rows+=("$(python3 - "$nline" "$ncpu" "$wline" "$eline" "$xline" <<'PY'
import json, sys
n, ncpu = json.loads(sys.argv[1]), float(sys.argv[2])
w, e, x = (json.loads(a) for a in sys.argv[3:6])
assert n["hash"] == w["hash"] == e["hash"] == x["hash"], f"trace hashes differ: native {n['hash']}, wasm {w['hash']}, {e['hash']}, {x['hash']}"
rate = lambda cpu: n["events"] / max(cpu, 1e-9)
ne, we, wc, ee, xe = rate(ncpu), rate(w["cpu_s"]), rate(w["cold_cpu_s"]), rate(e["cpu_s"]), rate(x["cpu_s"])
print(json.dumps({"preset": n["preset"], "events": n["events"], "trace_hash": n["hash"],
  "native_events_per_cpu_s": round(ne), "wasm_events_per_cpu_s": round(we),
  "wasm_over_native": round(we / ne, 3), "wasm_cold_events_per_cpu_s": round(wc),
  "wasm_cold_over_native": round(wc / ne, 3), "embed_wasm_events_per_cpu_s": round(ee),
  "embed_wasm_over_native": round(ee / ne, 3), "node_wasm_events_per_cpu_s": round(xe),
  "node_wasm_over_native": round(xe / ne, 3)}))
PY
)")
done

log "PBS: $PBS_TRIALS trials, lnkd-ssd N=3 R=W=1, every core"
pbs_cpu=$(cpu_of "$T/release/replicalab" staleness --n 3 --r 1 --w 1 --latency lnkd-ssd --trials "$PBS_TRIALS" --timing)
pbs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trials_per_second"])' "$OUT")
log "PBS: the same estimates natively and in WebAssembly (seed $SEED, every profile)"
pbs_native=$("$NATIVE" pbs "$SEED" 100000)
pbs_wasm=$(node scripts/pbs-wasm.mjs "$WASM_APP" "$SEED" 100000)
if [ "$pbs_native" != "$pbs_wasm" ]; then
  echo "PBS estimates differ: native $pbs_native, WebAssembly $pbs_wasm" >&2
  exit 1
fi
pbs_digest=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pbs_digest"])' "$pbs_native")

gz() { [ -f "${1:-}" ] && gzip -9c "$1" | wc -c || echo null; }
app_gz=$(gz "$(ls dist/*.wasm 2>/dev/null | head -1 || true)")
embed_gz=$(gz "$(ls dist/embed/*.wasm 2>/dev/null | head -1 || true)")

"$CHROMIUM" --version >"$OUT" 2>/dev/null || echo "Chromium (version unknown)" >"$OUT"
python3 - "$(head -1 "$OUT")" "$pbs" "$pbs_cpu" "$PBS_TRIALS" "$pbs_digest" "$app_gz" "$embed_gz" "$(gz "$WASM_APP")" "$(gz "$WASM_EMBED")" "$(cut -d' ' -f1-3 /proc/loadavg)" "$JSON" "${rows[@]}" <<'PY'
import json, sys
engine, pbs, pbs_cpu, trials, pbs_digest, app_gz, embed_gz, core_app_gz, core_embed_gz, load, as_json = sys.argv[1:12]
sim = [json.loads(r) for r in sys.argv[12:]]
num = lambda v: None if v == "null" else int(v)
out = {"sim": sim, "wasm_engine": engine, "pbs_trials_per_s": round(float(pbs)), "pbs_trials_per_cpu_s": round(int(trials) / max(float(pbs_cpu), 1e-9)),
       "pbs_digest": pbs_digest,
       "app_gz_bytes": num(app_gz), "embed_gz_bytes": num(embed_gz),
       "core_wasm_gz_bytes": {"playground": num(core_app_gz), "embed": num(core_embed_gz)}, "load": load}
if as_json:
    print(json.dumps(out, indent=2))
else:
    print(f"WebAssembly in {engine}; \"node\" is the playground's build in Node")
    print(f"{'preset':<20} {'events':>9} {'native ev/CPU-s':>16} {'wasm':>10} {'ratio':>6} {'wasm cold':>10} {'ratio':>6} {'embed':>10} {'ratio':>6} {'node':>10} {'ratio':>6}")
    for s in sim:
        print(f"{s['preset']:<20} {s['events']:>9} {s['native_events_per_cpu_s']:>16,} {s['wasm_events_per_cpu_s']:>10,} {s['wasm_over_native']:>6}"
              f" {s['wasm_cold_events_per_cpu_s']:>10,} {s['wasm_cold_over_native']:>6} {s['embed_wasm_events_per_cpu_s']:>10,} {s['embed_wasm_over_native']:>6}"
              f" {s['node_wasm_events_per_cpu_s']:>10,} {s['node_wasm_over_native']:>6}")
    print(f"PBS: {out['pbs_trials_per_s']:,} trials/s (wall, every core), {out['pbs_trials_per_cpu_s']:,} per CPU-s; same estimates natively and in WebAssembly ({pbs_digest})")
    print(f"WebAssembly gzipped: playground {out['app_gz_bytes']} bytes, embed player {out['embed_gz_bytes']} bytes (dist/ and dist/embed/; build them with trunk first)")
    print(f"core alone as WebAssembly, gzipped: {core_app_gz} (the playground's build), {core_embed_gz} (the embed player's)")
    print(f"load average: {load}")
PY
