// Prints the PBS digest of the WebAssembly benchmark (bench/, built for wasm32-unknown-unknown)
// as {"pbs_digest"}: scripts/bench.sh compares it with the native one for the same seed.
// Usage: node scripts/pbs-wasm.mjs FILE.wasm SEED TRIALS
import { readFileSync } from 'node:fs';

const [file, seed, trials] = process.argv.slice(2);
if (!file || !trials) {
  console.error('usage: node scripts/pbs-wasm.mjs FILE.wasm SEED TRIALS');
  process.exit(2);
}
const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
const digest = BigInt.asUintN(64, instance.exports.bench_pbs_digest(BigInt(seed), BigInt(trials)));
console.log(JSON.stringify({ pbs_digest: digest.toString(16).padStart(16, '0') }));
