// The cost of the per-source limits on the answer path: `tell` hits from 10 000 requesters
// (each its own MAC and IP, so every decision reads two buckets of the limiter's table)
// with the default limits and with every limit off, alternated, medians; and the heap
// growth over a million decisions (the limiter allocates nothing).
// Run: `npm run compile && node dist/bench/limiter.js [runs]`.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Family } from '../src/net/addr';
import { config, request, rig, tellRules } from './amplification';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const RUNS = Number(process.argv[2] ?? 5);
const N = 1_000_000;
const SOURCES = 10_000;

function once(limitsOff: boolean): { ns: number; heap: number } {
  const { policy } = rig(tellRules());
  if (limitsOff) {
    const off = { rate: 0, burst: 0 };
    const cfg = config(tellRules());
    cfg.limits = { sourceRequests: off, sourceSends: off, interfaceSends: off };
    policy.reload(cfg, 0);
  }
  const target = 0x0200000000b7;
  const tIp = 0xc633644d; // 198.51.100.77
  policy.handle(request(target, tIp, tIp), 0, 0);
  // Warm up, then measure.
  for (let i = 0; i < 100_000; i++) policy.handle(request(0x020300000000 + (i % SOURCES), (0xcb000000 + (i % SOURCES)) >>> 0, tIp), 0, 1 + i / N);
  gc();
  const h0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  let answered = 0;
  for (let i = 0; i < N; i++) {
    if (policy.handle(request(0x020300000000 + (i % SOURCES), (0xcb000000 + (i % SOURCES)) >>> 0, tIp), 0, 2 + (10 * i) / N).verdict === 1) answered++;
  }
  const ns = Number(process.hrtime.bigint() - t0) / N;
  const heap = process.memoryUsage().heapUsed - h0;
  if (answered !== N) throw new Error(`answered ${answered} of ${N}`);
  void policy.lookup(0, -1, { family: Family.V4, v4: tIp }, 12);
  return { ns, heap };
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const on: number[] = [];
const off: number[] = [];
const heaps: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const a = once(false);
  const b = once(true);
  on.push(a.ns);
  off.push(b.ns);
  heaps.push(a.heap);
}
console.log(`tell hits from ${SOURCES} sources, ${RUNS} runs of ${N / 1e6} M, medians: limits on ${median(on).toFixed(0)} ns, off ${median(off).toFixed(0)} ns ` +
  `(+${(median(on) - median(off)).toFixed(0)} ns); heap growth over 1 M decisions with limits on ${(median(heaps) / 1024).toFixed(0)} KiB`);
