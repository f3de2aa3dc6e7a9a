// Preloaded into the daemon (node --require dist/bench/stall/probe.js) by bench/stall:
// once a second, one line to stderr with the event loop's delay (max, p99) and
// utilisation over that second, and the process's CPU split. Off the hot path: a
// histogram sampled by libuv every 1 ms and one timer.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { DESC_TS_NSEC, DESC_TS_SEC, type Batch, type BatchHandler, type TxWriter } from '../../src/engine/types';

// Every ring the daemon starts reports, per second: batches, the largest batch, and the
// longest a frame waited in the RX ring before its batch reached JS (ring timestamp of the
// batch's first frame against the clock at the call).
const ring = { batches: 0, frames: 0, maxBatch: 0, maxWaitMs: 0 };
// Per batch (up to MAX_SAMPLES a second): the first frame's wait in the ring (wake-up and
// scheduling delay: the frame was there, the thread was not running JS) and the handler's
// time (parse, policy, build for the whole batch: what the batch's last reply waits for
// before the one sendto). Summarised as p50/p99 per second.
const MAX_SAMPLES = 1 << 16;
const waitUs = new Float64Array(MAX_SAMPLES);
const workUs = new Float64Array(MAX_SAMPLES);
let samples = 0;
function pct(a: Float64Array, n: number, q: number): number {
  if (n === 0) return 0;
  const s = a.slice(0, n).sort();
  return +s[Math.min(n - 1, Math.floor(q * n))]!.toFixed(1);
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engine = require(join(__dirname, '..', '..', 'src', 'engine', 'ring.js')) as {
  Ring: { open(ifname: string, o?: Record<string, unknown>): unknown; prototype: { start(h: BatchHandler): void } };
};
// STALL_RX_FRAMES / STALL_FRAME_SIZE: ring geometry for experiments, before the daemon reads it from its configuration.
const open = engine.Ring.open;
engine.Ring.open = (ifname, o = {}) => open.call(engine.Ring, ifname, {
  ...o,
  ...(process.env.STALL_RX_FRAMES ? { rxFrames: Number(process.env.STALL_RX_FRAMES) } : {}),
  ...(process.env.STALL_FRAME_SIZE ? { frameSize: Number(process.env.STALL_FRAME_SIZE) } : {}),
});
const start = engine.Ring.prototype.start;
engine.Ring.prototype.start = function (this: unknown, handler: BatchHandler): void {
  start.call(this, (batch: Batch, tx: TxWriter) => {
    const nowMs = performance.timeOrigin + performance.now();
    const d = batch.desc;
    const waitMs = nowMs - (d[DESC_TS_SEC]! * 1e3 + d[DESC_TS_NSEC]! / 1e6);
    ring.batches++;
    ring.frames += batch.count;
    if (batch.count > ring.maxBatch) ring.maxBatch = batch.count;
    if (waitMs > ring.maxWaitMs) ring.maxWaitMs = waitMs;
    const t0 = performance.now();
    handler(batch, tx);
    if (samples < MAX_SAMPLES) {
      waitUs[samples] = waitMs * 1000;
      workUs[samples++] = (performance.now() - t0) * 1000;
    }
  });
};

// The daemon's periodic synchronous calls, timed: os.networkInterfaces() (every link
// poll) and the spawn of a child (`ip -j route show` every 5 s).
const sync: Record<string, { n: number; maxMs: number }> = {};
function timed<T extends object>(obj: T, key: keyof T & string, label: string): void {
  const f = obj[key] as unknown as (...a: unknown[]) => unknown;
  (obj as Record<string, unknown>)[key] = function (this: unknown, ...a: unknown[]) {
    const t0 = performance.now();
    try {
      return f.apply(this, a);
    } finally {
      const ms = performance.now() - t0;
      const s = (sync[label] ??= { n: 0, maxMs: 0 });
      s.n++;
      if (ms > s.maxMs) s.maxMs = +ms.toFixed(2);
    }
  };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
timed(require('node:os') as Record<string, unknown>, 'networkInterfaces', 'networkInterfaces');
// eslint-disable-next-line @typescript-eslint/no-require-imports
timed((require('node:child_process') as { ChildProcess: { prototype: Record<string, unknown> } }).ChildProcess.prototype, 'spawn', 'spawn');

const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
let elu = performance.eventLoopUtilization();
let cpu = process.cpuUsage();
const t = setInterval(() => {
  const e = performance.eventLoopUtilization(elu);
  const c = process.cpuUsage(cpu);
  elu = performance.eventLoopUtilization();
  cpu = process.cpuUsage();
  process.stderr.write(`${JSON.stringify({
    probe: 'loop', t: Date.now(), maxMs: +(h.max / 1e6).toFixed(2), p99Ms: +(h.percentile(99) / 1e6).toFixed(2),
    elu: +e.utilization.toFixed(3), userMs: Math.round(c.user / 1000), sysMs: Math.round(c.system / 1000),
    batches: ring.batches, frames: ring.frames, maxBatch: ring.maxBatch, maxRingWaitMs: +ring.maxWaitMs.toFixed(2), sync,
    waitP50Us: pct(waitUs, samples, 0.5), waitP99Us: pct(waitUs, samples, 0.99),
    workP50Us: pct(workUs, samples, 0.5), workP99Us: pct(workUs, samples, 0.99),
  })}\n`);
  samples = 0;
  for (const k of Object.keys(sync)) delete sync[k];
  ring.batches = ring.frames = ring.maxBatch = ring.maxWaitMs = 0;
  h.reset();
}, 1000);
t.unref();
