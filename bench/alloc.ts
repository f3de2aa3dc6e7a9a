// Heap allocation of the daemon's hot path: frames through the real Pipeline (wire parser,
// Policy with the pps bench's configuration, reply builders, counters) from an in-memory
// ring, with the daemon's RingOutput, and a TX writer that mirrors RingTx (reserve,
// commit, take at the end of the batch). No socket, no timing in the figures that matter.
//
//   npm run compile && node dist/bench/alloc.js [--frames N] [--family arp|ns|both] [--batch B]
//
// Prints per family: bytes allocated per request by the hot path, from V8's sampling heap
// profiler (node:inspector HeapProfiler, every allocation of the measured loop sampled
// about once per SAMPLE_BYTES, objects freed by minor and major GCs included: heapUsed
// deltas are too coarse, the new space grows in pages), the allocation sites, then in a
// second pass without the profiler the GCs and their pauses (perf_hooks 'gc' entries)
// per million requests, and frames/s (informative only: the host is shared).
// Allocation depends on what V8 inlines, which can differ between runs: use --runs.
import { PerformanceObserver } from 'node:perf_hooks';
import { Session } from 'node:inspector';
import { parseConfig } from '../src/config';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, VLAN_NONE, type Batch, type TxWriter } from '../src/engine/types';
import { parseIp6 } from '../src/net/addr';
import { RingOutput } from '../src/pipeline/output';
import { IfaceSlot, Pipeline } from '../src/pipeline/pipeline';
import { InterfaceStats } from '../src/pipeline/stats';
import { Policy, type PolicyEnvironment } from '../src/policy';
import { buildRequestCycle, type Family } from './pps/frames';
import { neighproxyConfig } from './pps/responder-neighproxy';

/** A TX ring in memory: the same reserve/commit/take protocol as src/engine/ring.ts RingTx. */
class MemoryTx implements TxWriter {
  readonly slotSize = 256 - 32;
  readonly buf: Uint8Array;
  private head = 0;
  private pending = 0;
  private reserved = -1;
  sent = 0;
  constructor(private readonly frames: number) {
    this.buf = new Uint8Array(frames * 256);
  }
  reserve(): number {
    if (this.pending >= this.frames) return -1;
    this.reserved = (this.head + this.pending) % this.frames;
    return this.reserved * 256 + 32;
  }
  commit(length: number): void {
    if (this.reserved < 0 || length < 14 || length > this.slotSize) throw new RangeError(`bad commit ${length}`);
    this.pending++;
    this.reserved = -1;
  }
  flush(): number {
    return this.take();
  }
  take(): number {
    const n = this.pending;
    this.head = (this.head + n) % this.frames;
    this.pending = 0;
    this.sent += n;
    return n;
  }
}

class MemoryBatch implements Batch {
  count = 0;
  readonly desc: Uint32Array;
  constructor(readonly buf: Uint8Array, limit: number) {
    this.desc = new Uint32Array(limit * DESC_STRIDE);
  }
}

export interface AllocResult {
  family: Family;
  frames: number;
  replies: number;
  /** Bytes allocated per request by the loop (sampling heap profiler; NaN without `profile`). */
  bytesPerRequest: number;
  /** Where, largest first. */
  sites: AllocSite[];
  gcCount: number;
  gcPauseMs: number;
  gcMaxPauseMs: number;
  framesPerSec: number;
}

export interface AllocOptions {
  family: Family;
  frames: number;
  batch?: number;
  /** Sample allocations (HeapProfiler); without it only GCs are counted. */
  profile?: boolean;
  /** Simulated request rate: the policy's clock advances by batch/rate per batch. */
  rate?: number;
}

/** Mean bytes between two samples of the heap profiler. */
const SAMPLE_BYTES = 64;

/**
 * A fresh Pipeline over an in-memory ring: `step()` hands it one batch of the next
 * `batchSize` requests of the cycle, sends the replies, advances the clock by
 * batchSize / rate and ticks the policy every 0.1 s of that clock, as the daemon does.
 * (The heap profile counts what is allocated below a frame named `step`.)
 */
function harness(family: Family, batchSize: number, rate: number): { step: () => void; tx: MemoryTx; cycleLength: number } {
  const { config } = parseConfig(neighproxyConfig('c0'), 'alloc.conf');
  const ourMac = 0x020000000001;
  const linkLocal = parseIp6('fe80::1')!;
  const env: PolicyEnvironment = {
    interfaceMac: () => ourMac,
    isOwnIp4: () => false,
    isOwnIp6: () => false,
    sourceIp4: () => 0,
    sourceIp6: (_i, out) => {
      out.set(linkLocal);
      return true;
    },
    routeInterface: () => undefined,
  };
  const output = new RingOutput();
  const policy = new Policy({ config, env, output });
  let now = 1000;
  const pipeline = new Pipeline(policy, () => now);
  const slots = config.interfaces.map((c, i) => new IfaceSlot(c.name, i, new InterfaceStats(c.name)));
  pipeline.configure(config, slots);
  output.slots = slots;
  const tx = new MemoryTx(4096);
  slots[0]!.tx = tx;
  slots[0]!.mac = ourMac;
  slots[0]!.linkLocal.set(linkLocal);

  const cycle = buildRequestCycle(family);
  const batch = new MemoryBatch(cycle.frames, batchSize);
  let next = 0;
  const fill = (): void => {
    const d = batch.desc;
    for (let k = 0; k < batchSize; k++) {
      const b = k * DESC_STRIDE;
      d[b + DESC_OFFSET] = next * cycle.frameLength;
      d[b + DESC_LENGTH] = cycle.frameLength;
      d[b + DESC_VLAN_TCI] = VLAN_NONE;
      next = next + 1 === cycle.count ? 0 : next + 1;
    }
    batch.count = batchSize;
  };
  let lastTick = now;
  const step = (): void => {
    fill();
    pipeline.onBatch(0, batch, tx);
    tx.take();
    now += batchSize / rate;
    if (now - lastTick >= 0.1) {
      policy.tick(now);
      output.flushAll();
      lastTick = now;
    }
  };
  return { step, tx, cycleLength: cycle.count };
}

/** Runs `frames` requests of `family` through a fresh Pipeline and measures the heap. */
export async function measureAllocation(o: AllocOptions): Promise<AllocResult> {
  const batchSize = o.batch ?? 256;
  const { step, tx, cycleLength } = harness(o.family, batchSize, o.rate ?? 100_000);
  // Warm-up: JIT, inline caches, the cache filled with every sender (learning on).
  const warm = Math.max(cycleLength, 200_000);
  for (let f = 0; f < warm; f += batchSize) step();
  tx.sent = 0;

  const frames = Math.max(batchSize, Math.round(o.frames / batchSize) * batchSize);
  const session = o.profile ? new Session() : undefined;
  const post = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) => session!.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  if (session) {
    session.connect();
    await post('HeapProfiler.startSampling', {
      samplingInterval: SAMPLE_BYTES,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const gcs: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push(e.duration);
  });
  obs.observe({ entryTypes: ['gc'] });
  const t0 = process.hrtime.bigint();
  for (let f = 0; f < frames; f += batchSize) step();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let sites: AllocSite[] = [];
  let hot = NaN;
  if (session) {
    const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: { head: HeapNode } };
    session.disconnect();
    ({ hot, sites } = hotPathBytes(profile.head));
  }
  await new Promise((r) => setTimeout(r, 50)); // gc entries are delivered asynchronously
  obs.disconnect();
  return {
    family: o.family,
    frames,
    replies: tx.sent,
    bytesPerRequest: hot / frames,
    sites: sites.map((x) => ({ ...x, bytesPerRequest: x.bytes / frames })),
    gcCount: gcs.length,
    gcPauseMs: gcs.reduce((s, d) => s + d, 0),
    gcMaxPauseMs: gcs.reduce((m, d) => Math.max(m, d), 0),
    framesPerSec: frames / seconds,
  };
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

export interface AllocSite {
  /** Innermost frames, innermost first: "fn file:line". */
  stack: string;
  bytes: number;
  bytesPerRequest?: number;
}

/** Bytes sampled below the measured loop (`step`), by innermost three frames. */
function hotPathBytes(head: HeapNode): { hot: number; sites: AllocSite[] } {
  const bySite = new Map<string, number>();
  let hot = 0;
  const walk = (n: HeapNode, stack: string[], inLoop: boolean): void => {
    const f = n.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const here = inLoop || f.functionName === 'step';
    const st = [...stack, name];
    if (here && n.selfSize > 0) {
      hot += n.selfSize;
      const key = st.slice(-3).reverse().join(' < ');
      bySite.set(key, (bySite.get(key) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, st, here);
  };
  walk(head, [], false);
  const sites = [...bySite.entries()].map(([stack, bytes]) => ({ stack, bytes })).sort((a, b) => b.bytes - a.bytes);
  return { hot, sites };
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length & 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

async function main(): Promise<void> {
  const frames = Number(arg('--frames', '1000000'));
  const batch = Number(arg('--batch', '256'));
  const runs = Number(arg('--runs', '3'));
  const fam = arg('--family', 'both');
  const families: Family[] = fam === 'both' ? ['arp', 'ns'] : [fam as Family];
  for (const family of families) {
    const bytes: number[] = [];
    const gcs: number[] = [];
    const pauses: number[] = [];
    const maxes: number[] = [];
    const rates: number[] = [];
    let sites: AllocSite[] = [];
    for (let r = 0; r < runs; r++) {
      const p = await measureAllocation({ family, frames, batch, profile: true });
      bytes.push(p.bytesPerRequest);
      if (r === 0) sites = p.sites;
      const g = await measureAllocation({ family, frames, batch });
      gcs.push((g.gcCount / g.frames) * 1e6);
      pauses.push((g.gcPauseMs / g.frames) * 1e6);
      maxes.push(g.gcMaxPauseMs);
      rates.push(g.framesPerSec);
    }
    process.stdout.write(
      `${family}: ${frames} requests x ${runs} runs, batches of ${batch}: ${median(bytes).toFixed(1)} bytes/request ` +
        `(runs: ${bytes.map((b) => b.toFixed(1)).join(', ')}); per million requests ${median(gcs).toFixed(0)} GCs, ` +
        `${median(pauses).toFixed(1)} ms of pauses (max single pause ${median(maxes).toFixed(2)} ms); ` +
        `${(median(rates) / 1e6).toFixed(2)} M requests/s\n`,
    );
    for (const s of sites.slice(0, 6)) process.stdout.write(`  ${s.bytesPerRequest!.toFixed(1).padStart(7)} B/req  ${s.stack}\n`);
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  });
}
