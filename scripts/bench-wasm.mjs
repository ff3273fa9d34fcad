// Runs the simulator benchmark (bench/, built for wasm32-unknown-unknown) as WebAssembly and
// prints one JSON line per preset: {"preset", "engine", "events", "hash", "cpu_s", "cold_cpu_s"}.
// ENGINE=node (the default) runs it in this Node process, and CPU time is the process's user +
// system time around the call. ENGINE=chromium runs it in a page of headless Chromium (Debian's,
// or $CHROMIUM; the engine the playground's users run it in, whose V8 is newer than Node's),
// and CPU time is the time on CPU of every thread of every process of that browser around the
// call (Linux: /proc/PID/task/TID/schedstat, in nanoseconds), which includes the renderer's
// compiler threads and whatever the browser's other processes do meanwhile. (A thread that ended
// during a run would be missed; the processes' own user + system ticks in /proc/PID/stat, which
// keep ended threads' time, agreed with this sum within 0.3% on ten-minute runs.)
// V8 compiles WebAssembly in tiers: a module starts in quickly compiled baseline code while the
// optimising compiler works on the hot functions on other threads, and that compilation counts
// in the CPU time. So each preset runs RUNS times (default 3) in the same instance: `cold_cpu_s`
// is the first run (what the first simulation after a page load costs), `cpu_s` the least of
// the others (the steady state a playground session runs in, comparable with native code, which
// is compiled before it runs). Before each of the others the script waits until the engine is
// quiet (under 2 ms of CPU in 100 ms, at most 20 s), so that no compilation left over from an
// earlier run is counted in a steady-state one.
// Usage: [ENGINE=node|chromium] node scripts/bench-wasm.mjs FILE.wasm SEED UNTIL_MS PRESET...
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const [file, seed, until, ...presets] = process.argv.slice(2);
if (!file || presets.length === 0) {
  console.error('usage: [ENGINE=node|chromium] node scripts/bench-wasm.mjs FILE.wasm SEED UNTIL_MS PRESET...');
  process.exit(2);
}
const RUNS = Math.max(2, Number(process.env.RUNS ?? 3));
const ENGINE = process.env.ENGINE ?? 'node';

// What the page (or this process) runs: instantiates the module and, per call, one run of a
// preset, returning its event count and trace hash.
const harness = `
  let x, names;
  globalThis.benchLoad = async (bytes) => {
    x = (await WebAssembly.instantiate(bytes, {})).instance.exports;
    names = [];
    for (let i = 0; i < x.bench_presets(); i++) {
      let s = '';
      for (let j = 0; j < x.bench_name_len(i); j++) s += String.fromCharCode(x.bench_name_byte(i, j));
      names.push(s);
    }
    return names;
  };
  globalThis.benchRun = (index, seed, until) => {
    const events = Number(x.bench_run(index, BigInt(seed), BigInt(until)));
    const hash = BigInt.asUintN(64, x.bench_last_hash()).toString(16).padStart(16, '0');
    return { events, hash };
  };
`;

let engine;
if (ENGINE === 'node') {
  new Function(harness)();
  engine = {
    load: (bytes) => globalThis.benchLoad(bytes),
    run: (index) => globalThis.benchRun(index, seed, until),
    cpu: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    },
    close: async () => {},
  };
} else if (ENGINE === 'chromium') {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  if (!existsSync(`/proc/${process.pid}/task`)) throw new Error('ENGINE=chromium measures CPU time through /proc (Linux)');
  const page = await browser.newPage();
  await page.evaluate(harness);
  engine = {
    load: (bytes) => page.evaluate((b64) => globalThis.benchLoad(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))), bytes.toString('base64')),
    run: (index) => page.evaluate(([i, s, u]) => globalThis.benchRun(i, s, u), [index, seed, until]),
    cpu: () => browserCpuSeconds(),
    close: () => browser.close(),
  };
} else {
  console.error(`ENGINE must be node or chromium, not ${ENGINE}`);
  process.exit(2);
}

// Seconds on CPU of every thread of every process this one started (the browser's).
function browserCpuSeconds() {
  const children = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(pid));
    } catch {
      // The process ended meanwhile.
    }
  }
  let ns = 0;
  const todo = [...(children.get(process.pid) ?? [])];
  while (todo.length) {
    const pid = todo.pop();
    todo.push(...(children.get(pid) ?? []));
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended meanwhile.
      }
    }
  }
  return ns / 1e9;
}

// Waits until the engine spends under 2 ms of CPU in 100 ms of wall time (at most 20 s).
async function quiet() {
  for (let i = 0; i < 200; i++) {
    const before = engine.cpu();
    await new Promise((done) => setTimeout(done, 100));
    if (engine.cpu() - before < 0.002) return;
  }
}

const names = await engine.load(readFileSync(file));
for (const preset of presets) {
  const index = names.indexOf(preset);
  if (index < 0) {
    console.error(`no preset named ${preset}`);
    await engine.close();
    process.exit(2);
  }
  const runs = [];
  let events = 0;
  let hash = '';
  for (let k = 0; k < RUNS; k++) {
    if (k > 0) await quiet();
    const before = engine.cpu();
    const r = await engine.run(index);
    const used = engine.cpu() - before;
    if (hash && r.hash !== hash) throw new Error(`run ${k} of ${preset} gave trace hash ${r.hash}, not ${hash}`);
    ({ events, hash } = r);
    runs.push(used);
  }
  const cpu_s = Math.min(...runs.slice(1));
  console.log(JSON.stringify({ preset, engine: ENGINE, events, hash, cpu_s, cold_cpu_s: runs[0] }));
}
await engine.close();
