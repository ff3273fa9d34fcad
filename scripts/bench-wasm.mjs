// Runs the simulator benchmark (bench/, built for wasm32-unknown-unknown) in Node and prints
// one JSON line per run: {"preset", "events", "hash", "cpu_s"}. CPU time is this process's
// user + system time around the call (compilation excluded).
// Usage: node scripts/bench-wasm.mjs FILE.wasm SEED UNTIL_MS PRESET...
import { readFileSync } from 'node:fs';

const [file, seed, until, ...presets] = process.argv.slice(2);
if (!file || presets.length === 0) {
  console.error('usage: node scripts/bench-wasm.mjs FILE.wasm SEED UNTIL_MS PRESET...');
  process.exit(2);
}
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
  const before = process.cpuUsage();
  const events = x.bench_run(index, BigInt(seed), BigInt(until));
  const used = process.cpuUsage(before);
  const hash = BigInt.asUintN(64, x.bench_last_hash()).toString(16).padStart(16, '0');
  const cpu_s = (used.user + used.system) / 1e6;
  console.log(JSON.stringify({ preset, events: Number(events), hash, cpu_s }));
}
