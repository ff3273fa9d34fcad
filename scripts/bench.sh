#!/usr/bin/env bash
# Measures the simulator natively and as WebAssembly (in Node) on the same presets and seed,
# by CPU time, plus PBS trials per second (wall time on every core, and per CPU-second), a check
# that the PBS estimator gives the same numbers natively and in WebAssembly, and the download
# sizes.
#   scripts/bench.sh            a table
#   scripts/bench.sh --json     {"sim": [{"preset", "native_events_per_cpu_s", "wasm_events_per_cpu_s",
#                                "wasm_over_native", "wasm_speed_events_per_cpu_s", ...}],
#                                "pbs_trials_per_s", "pbs_trials_per_cpu_s", "pbs_digest", "app_gz_bytes",
#                                "embed_gz_bytes", "load"}
# Environment: BENCH_PRESETS (default "lf-async ll-strict-quorum ml-siblings"), BENCH_UNTIL_MS
# (default 600000: ten simulated minutes), BENCH_SEED (default 1), BENCH_PBS_TRIALS (5000000).
# The WebAssembly core is built twice: for size (profile wasm-release, what the playground
# ships) and for speed (profile wasm-speed). Runs scripts/setup.sh first if the wasm target is
# missing. Timing is never asserted; ratios come from one run on the same machine.
set -euo pipefail
cd "$(dirname "$0")/.."
JSON=""
[ "${1:-}" = "--json" ] && JSON=1
PRESETS=${BENCH_PRESETS:-"lf-async ll-strict-quorum ml-siblings"}
UNTIL=${BENCH_UNTIL_MS:-600000}
SEED=${BENCH_SEED:-1}
PBS_TRIALS=${BENCH_PBS_TRIALS:-5000000}
log() { [ -n "$JSON" ] && printf '[bench] %s\n' "$*" >&2 || printf '%s\n' "$*" >&2; }

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || scripts/setup.sh
log "building (native release, WebAssembly for size and for speed)"
cargo build --quiet --release -p replicalab-bench -p replicalab-cli
cargo build --quiet -p replicalab-bench --lib --target wasm32-unknown-unknown --profile wasm-release
cargo build --quiet -p replicalab-bench --lib --target wasm32-unknown-unknown --profile wasm-speed
T=${CARGO_TARGET_DIR:-target}
NATIVE=$T/release/replicalab-bench
WASM_SIZE=$T/wasm32-unknown-unknown/wasm-release/replicalab_bench.wasm
WASM_SPEED=$T/wasm32-unknown-unknown/wasm-speed/replicalab_bench.wasm

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
  log "$p: native"
  ncpu=$(cpu_of "$NATIVE" "$p" "$SEED" "$UNTIL")
  nline=$(cat "$OUT")
  log "$p: WebAssembly (size build, then speed build)"
  wline=$(node scripts/bench-wasm.mjs "$WASM_SIZE" "$SEED" "$UNTIL" "$p")
  fline=$(node scripts/bench-wasm.mjs "$WASM_SPEED" "$SEED" "$UNTIL" "$p")
  rows+=("$(python3 - "$nline" "$ncpu" "$wline" "$fline" <<'PY'
import json, sys
n, ncpu, w, f = json.loads(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
assert n["hash"] == w["hash"] == f["hash"], f"trace hashes differ: native {n['hash']}, wasm {w['hash']}, {f['hash']}"
ne = n["events"] / max(ncpu, 1e-9)
we = w["events"] / max(w["cpu_s"], 1e-9)
fe = f["events"] / max(f["cpu_s"], 1e-9)
print(json.dumps({"preset": n["preset"], "events": n["events"], "trace_hash": n["hash"],
  "native_events_per_cpu_s": round(ne), "wasm_events_per_cpu_s": round(we),
  "wasm_over_native": round(we / ne, 3), "wasm_speed_events_per_cpu_s": round(fe),
  "wasm_speed_over_native": round(fe / ne, 3)}))
PY
)")
done

log "PBS: $PBS_TRIALS trials, lnkd-ssd N=3 R=W=1, every core"
pbs_cpu=$(cpu_of "$T/release/replicalab" staleness --n 3 --r 1 --w 1 --latency lnkd-ssd --trials "$PBS_TRIALS" --timing)
pbs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trials_per_second"])' "$OUT")
log "PBS: the same estimates natively and in WebAssembly (seed $SEED, every profile)"
pbs_native=$("$NATIVE" pbs "$SEED" 100000)
pbs_wasm=$(node scripts/pbs-wasm.mjs "$WASM_SIZE" "$SEED" 100000)
if [ "$pbs_native" != "$pbs_wasm" ]; then
  echo "PBS estimates differ: native $pbs_native, WebAssembly $pbs_wasm" >&2
  exit 1
fi
pbs_digest=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pbs_digest"])' "$pbs_native")

gz() { [ -f "$1" ] && gzip -9c "$1" | wc -c || echo null; }
app=$(ls dist/*.wasm 2>/dev/null | head -1 || true)
app_gz=null
[ -n "$app" ] && app_gz=$(gz "$app")

python3 - "$pbs" "$pbs_cpu" "$PBS_TRIALS" "$pbs_digest" "$app_gz" "$(gz "$WASM_SIZE")" "$(gz "$WASM_SPEED")" "$(cut -d' ' -f1-3 /proc/loadavg)" "$JSON" "${rows[@]}" <<'PY'
import json, sys
pbs, pbs_cpu, trials, pbs_digest, app_gz, core_gz, core_speed_gz, load, as_json = sys.argv[1:10]
sim = [json.loads(r) for r in sys.argv[10:]]
num = lambda v: None if v == "null" else int(v)
out = {"sim": sim, "pbs_trials_per_s": round(float(pbs)), "pbs_trials_per_cpu_s": round(int(trials) / max(float(pbs_cpu), 1e-9)),
       "pbs_digest": pbs_digest,
       "app_gz_bytes": num(app_gz), "embed_gz_bytes": None,
       "core_wasm_gz_bytes": {"size": num(core_gz), "speed": num(core_speed_gz)}, "load": load}
if as_json:
    print(json.dumps(out, indent=2))
else:
    print(f"{'preset':<20} {'events':>9} {'native ev/CPU-s':>16} {'wasm (size)':>12} {'ratio':>6} {'wasm (speed)':>13} {'ratio':>6}")
    for s in sim:
        print(f"{s['preset']:<20} {s['events']:>9} {s['native_events_per_cpu_s']:>16,} {s['wasm_events_per_cpu_s']:>12,} {s['wasm_over_native']:>6} {s['wasm_speed_events_per_cpu_s']:>13,} {s['wasm_speed_over_native']:>6}")
    print(f"PBS: {out['pbs_trials_per_s']:,} trials/s (wall, every core), {out['pbs_trials_per_cpu_s']:,} per CPU-s; same estimates natively and in WebAssembly ({pbs_digest})")
    print(f"playground wasm gzipped: {out['app_gz_bytes']} bytes (dist/; build it with trunk first); embed player: none yet")
    print(f"core alone as WebAssembly, gzipped: {core_gz} (size build), {core_speed_gz} (speed build)")
    print(f"load average: {load}")
PY
