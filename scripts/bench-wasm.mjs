// Runs the simulator benchmark (bench/, built for wasm32-unknown-unknown) in Node and prints
// one JSON line per preset: {"preset", "events", "hash", "cpu_s", "cold_cpu_s"}. CPU time is
// this process's user + system time around the call. V8 compiles WebAssembly in tiers: a
// module starts in quickly compiled baseline code while the optimising compiler works on the
// hot functions on other threads, and that compilation counts in the process's CPU time. So
// each preset runs RUNS times (default 3) in the same instance: `cold_cpu_s` is the first run
// (what the first simulation after a page load costs), `cpu_s` the least of the others (the
// steady state a playground session runs in, comparable with native code, which is compiled
// before it runs).
// Usage: node scripts/bench-wasm.mjs FILE.wasm SEED UNTIL_MS PRESET...
import { readFileSync } from 'node:fs';

const [file, seed, until, ...presets] = process.argv.slice(2);
if (!file || presets.length === 0) {
  console.error('usage: node scripts/bench-wasm.mjs FILE.wasm SEED UNTIL_MS PRESET...');
  process.exit(2);
}
const RUNS = Math.max(2, Number(process.env.RUNS ?? 3));
const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
const x = instance.exports;
const names = [];
for (let i = 0; i < x.bench_presets(); i++) {
  const bytes = [];
  for (let j = 0; j < x.bench_name_len(i); j++) bytes.push(x.bench_name_byte(i, j));
  names.push(String.fromCharCode(...bytes));
}
for (const preset of presets) {
  const index = names.indexOf(preset);
  if (index < 0) {
    console.error(`no preset named ${preset}`);
    process.exit(2);
  }
  const runs = [];
  let events = 0;
  let hash = '';
  for (let k = 0; k < RUNS; k++) {
    const before = process.cpuUsage();
    events = Number(x.bench_run(index, BigInt(seed), BigInt(until)));
    const used = process.cpuUsage(before);
    const h = BigInt.asUintN(64, x.bench_last_hash()).toString(16).padStart(16, '0');
    if (hash && h !== hash) throw new Error(`run ${k} of ${preset} gave trace hash ${h}, not ${hash}`);
    hash = h;
    runs.push((used.user + used.system) / 1e6);
  }
  const cpu_s = Math.min(...runs.slice(1));
  console.log(JSON.stringify({ preset, events, hash, cpu_s, cold_cpu_s: runs[0] }));
}
