// The long fuzz run (issue 12: "10 M fuzzed frames through parse, policy and build with no
// exception and no read past a frame; 20 000 fuzzed configs with only FILE:LINE:COL
// errors"). The same engines as test/fuzz/ (which run a few seconds of it in npm test).
//   node dist/bench/fuzz.js [--frames N] [--configs N] [--seed S]
// A failure prints the seed, the case and its input, and exits 1.
import { performance } from 'node:perf_hooks';
import { ConfigFuzzFailure, fuzzConfig } from '../test/fuzz/config-fuzz';
import { FuzzFailure, fuzzWire } from '../test/fuzz/wire-fuzz';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const frames = arg('frames', 10_000_000);
const configs = arg('configs', 20_000);
const seed = arg('seed', Date.now() % 1_000_000);
const CHUNK = 1_000_000;

try {
  let t0 = performance.now();
  let sent = 0;
  let answers = 0;
  // Chunks of 1 M frames, each from its own seed (seed + k): a failure replays in one chunk.
  for (let k = 0; k * CHUNK < frames; k++) {
    const n = Math.min(CHUNK, frames - k * CHUNK);
    const r = fuzzWire(seed + k, n);
    sent += r.sent;
    answers += r.answers;
    process.stderr.write(`  wire: ${(k * CHUNK + n).toLocaleString('en')} frames\r`);
  }
  let s = (performance.now() - t0) / 1000;
  console.log(`wire:   ${frames} frames (x2 rigs), seeds ${seed}..${seed + Math.ceil(frames / CHUNK) - 1}, ${s.toFixed(1)} s, ` +
    `${Math.round(frames / s)} frames/s; ${sent} frames sent, ${answers} answers; 0 failures`);
  t0 = performance.now();
  const c = fuzzConfig(seed, configs);
  s = (performance.now() - t0) / 1000;
  console.log(`config: ${c.cases} files, seed ${seed}, ${s.toFixed(1)} s, ${Math.round(c.cases / s)} files/s; ` +
    `${c.valid} valid, ${c.errors} refused with FILE:LINE:COL; 0 failures`);
} catch (err) {
  if (err instanceof FuzzFailure || err instanceof ConfigFuzzFailure) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
