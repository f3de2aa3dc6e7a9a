// Heap allocation of the daemon's hot path: frames through the real Pipeline (wire parser,
// Policy, the daemon's HostEnvironment over a fake kernel, RingOutput, reply builders,
// counters) from an in-memory ring, with a TX writer that mirrors RingTx (reserve, commit,
// take at the end of the batch). No socket, no timing in the figures that matter.
//
//   npm run compile && node dist/bench/alloc.js [--frames N] [--runs R] [--batch B]
//       [--family arp|ns|both] [--cases self,tell,...] [--baseline REF|none] [--json FILE]
//
// One case per decision path (bench/alloc-cases.ts): answered by `self`, `tell` and a
// redirect, and the silent no_rule, rate_limited, delay and learned-only frames. Every run
// is a fresh process that first warms every case (so V8 compiles the code a daemon seeing
// all of them would run), then measures each: bytes allocated per request below
// Pipeline.onBatch, from V8's sampling heap profiler (node:inspector, one sample per
// SAMPLE_BYTES on average, objects freed by minor and major GCs included), and the bytes
// of the timers (policy.tick every 0.1 s of the simulated clock); then, in a pass without
// the profiler, scavenges, mark-compacts and GC pause per million requests (perf_hooks
// 'gc' entries). With --baseline (default `main`) the same harness runs, interleaved run
// by run, against that commit's src/ (git archive into a temporary directory, compiled
// once): the before and after columns. Medians of the runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, VLAN_NONE, type Batch, type TxWriter } from '../src/engine/types';
import { parseIp4, parseIp6 } from '../src/net/addr';
import { buildCase, CASE_NAMES, IFNAME, OUR_MAC, OWN_IP4, OWN_IP6, type AllocCase, type CaseName, type Family } from './alloc-cases';

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

/** The modules of one tree's compiled src/ (this one, or the baseline's). */
export interface Tree {
  root: string;
  config: typeof import('../src/config');
  policy: typeof import('../src/policy');
  pipeline: typeof import('../src/pipeline/pipeline');
  stats: typeof import('../src/pipeline/stats');
  output: typeof import('../src/pipeline/output');
  env: typeof import('../src/daemon/env');
}

/** Loads the hot path's modules from `root` (a directory holding the compiled `src/`). */
export function loadTree(root = join(__dirname, '..')): Tree {
  const r = (p: string): never => require(join(root, 'src', p)) as never;
  return {
    root, config: r('config'), policy: r('policy'), pipeline: r('pipeline/pipeline'),
    stats: r('pipeline/stats'), output: r('pipeline/output'), env: r('daemon/env'),
  };
}

/** The kernel as the daemon's HostEnvironment sees it: `c0` (ifindex 3) with our addresses. */
function fakeKernel(): import('../src/daemon/env').KernelSource {
  const link = { index: 3, name: IFNAME, up: true, lowerUp: true, master: 0, kind: undefined, vrfTable: undefined };
  const addrs = new Map([[3, { v4: [parseIp4(OWN_IP4)!], v6: OWN_IP6.map((a) => parseIp6(a)!) }]]);
  return { link: (n) => (n === IFNAME ? link : undefined), addrs, vrfOf: () => 0, routeInterface: () => undefined };
}

export interface Harness {
  /** One batch: the next `batch` frames of the cycle through Pipeline.onBatch, replies taken, the clock advanced. */
  step: () => void;
  tx: MemoryTx;
  reasonCounts: Float64Array;
  reasonNames: readonly string[];
  cycle: number;
}

/**
 * A fresh Pipeline over an in-memory ring: `step()` hands it one batch of the next
 * `batchSize` frames of the case's cycle, sends the replies, advances the clock by
 * batchSize / rate and ticks the policy every 0.1 s of that clock, as the daemon does.
 * The heap profile counts what is allocated below Pipeline.onBatch as the hot path.
 */
export function harness(tree: Tree, c: AllocCase, batchSize = 256, rate = 100_000): Harness {
  const { config } = tree.config.parseConfig(c.config, 'alloc.conf');
  const env = new tree.env.HostEnvironment(fakeKernel());
  const output = new tree.output.RingOutput();
  const policy = new tree.policy.Policy({ config, env, output });
  let now = 1000;
  const pipeline = new tree.pipeline.Pipeline(policy, () => now);
  const slots = config.interfaces.map((ic, i) => new tree.pipeline.IfaceSlot(ic.name, i, new tree.stats.InterfaceStats(ic.name)));
  pipeline.configure(config, slots);
  output.slots = slots;
  env.slots = slots;
  env.refreshAddresses();
  const tx = new MemoryTx(4096);
  slots[0]!.tx = tx;
  slots[0]!.mac = OUR_MAC;

  const batch = new MemoryBatch(c.buf, batchSize);
  let next = 0;
  const fill = (): void => {
    const d = batch.desc;
    for (let k = 0; k < batchSize; k++) {
      const b = k * DESC_STRIDE;
      d[b + DESC_OFFSET] = c.offsets[next]!;
      d[b + DESC_LENGTH] = c.lengths[next]!;
      d[b + DESC_VLAN_TCI] = VLAN_NONE;
      next = next + 1 === c.count ? 0 : next + 1;
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
  return { step, tx, reasonCounts: policy.reasonCounts, reasonNames: tree.policy.REASON_NAMES, cycle: c.count };
}

export interface AllocSite {
  /** Innermost frames, innermost first: "fn file:line". */
  stack: string;
  bytesPerRequest: number;
}

export interface CaseResult {
  family: Family;
  name: CaseName;
  frames: number;
  replies: number;
  /** Bytes per request allocated below Pipeline.onBatch (NaN without `profile`). */
  hot: number;
  /** Bytes per request allocated by the timers (policy.tick, flushAll) of the same loop. */
  timers: number;
  sites: AllocSite[];
  /** Share of the decisions per reason name. */
  reasons: Record<string, number>;
  scavenges: number;
  markCompacts: number;
  gcPauseMs: number;
  gcMaxPauseMs: number;
  framesPerSec: number;
}

/** Mean bytes between two samples of the heap profiler. */
const SAMPLE_BYTES = 64;

function post(session: Session, method: string, params: object = {}): Promise<unknown> {
  return new Promise((res, rej) => session.post(method, params, (err, r) => (err ? rej(err) : res(r))));
}

/**
 * Runs about `frames` requests through a warmed harness. With `profile`, samples the heap
 * and attributes the bytes; without, counts the GCs of the loop.
 */
export async function measure(h: Harness, c: AllocCase, frames: number, batchSize: number, profile: boolean): Promise<CaseResult> {
  const n = Math.max(batchSize, Math.round(frames / batchSize) * batchSize);
  const reasons0 = Float64Array.from(h.reasonCounts);
  const sent0 = h.tx.sent;
  const session = profile ? new Session() : undefined;
  if (session) {
    session.connect();
    await post(session, 'HeapProfiler.startSampling', {
      samplingInterval: SAMPLE_BYTES, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true,
    });
  }
  const gcs: { kind: number; ms: number }[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ kind: (e as { detail?: { kind?: number } }).detail?.kind ?? 0, ms: e.duration });
  });
  if (!profile) obs.observe({ entryTypes: ['gc'] });
  const t0 = process.hrtime.bigint();
  for (let f = 0; f < n; f += batchSize) h.step();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let split = { hot: NaN, timers: NaN, sites: [] as AllocSite[] };
  if (session) {
    const { profile: p } = (await post(session, 'HeapProfiler.stopSampling')) as { profile: { head: HeapNode } };
    session.disconnect();
    split = attribute(p.head, n);
  } else {
    await new Promise((r) => setTimeout(r, 50)); // gc entries are delivered asynchronously
    obs.disconnect();
  }
  const reasons: Record<string, number> = {};
  const total = h.reasonCounts.reduce((s, v, i) => s + v - reasons0[i]!, 0);
  h.reasonCounts.forEach((v, i) => {
    if (v > reasons0[i]!) reasons[h.reasonNames[i] ?? `#${i}`] = (v - reasons0[i]!) / total;
  });
  const major = perfConstants.NODE_PERFORMANCE_GC_MAJOR;
  return {
    family: c.family, name: c.name, frames: n, replies: h.tx.sent - sent0, ...split, reasons,
    scavenges: gcs.filter((g) => g.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR).length,
    markCompacts: gcs.filter((g) => g.kind === major).length,
    gcPauseMs: gcs.reduce((s, g) => s + g.ms, 0),
    gcMaxPauseMs: gcs.reduce((m, g) => Math.max(m, g.ms), 0),
    framesPerSec: n / seconds,
  };
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** Bytes sampled below Pipeline.onBatch (hot) and below the loop but not onBatch (timers), per request. */
function attribute(head: HeapNode, frames: number): { hot: number; timers: number; sites: AllocSite[] } {
  const bySite = new Map<string, number>();
  let hot = 0;
  let timers = 0;
  const walk = (n: HeapNode, stack: string[], inLoop: boolean, inBatch: boolean): void => {
    const f = n.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const loop = inLoop || f.functionName === 'step';
    const batch = inBatch || (loop && f.functionName === 'onBatch');
    const st = [...stack, name];
    if (loop && n.selfSize > 0) {
      if (batch) hot += n.selfSize;
      else timers += n.selfSize;
      const key = `${batch ? '' : '[timers] '}${st.slice(-3).reverse().join(' < ')}`;
      bySite.set(key, (bySite.get(key) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, st, loop, batch);
  };
  walk(head, [], false, false);
  const sites = [...bySite.entries()]
    .map(([stack, bytes]) => ({ stack, bytesPerRequest: bytes / frames }))
    .sort((a, b) => b.bytesPerRequest - a.bytesPerRequest);
  return { hot: hot / frames, timers: timers / frames, sites };
}

export interface RunOptions {
  families: Family[];
  cases: CaseName[];
  frames: number;
  batch: number;
  /** Frames each case runs before anything is measured (then a second, shorter round over all cases). */
  warm?: number;
  /** Skip the GC pass (tests). */
  profileOnly?: boolean;
  /** Frames per case cycle at most (buildCase's `limit`). */
  cycle?: number;
}

/** Warms every case of `tree`, then measures each (heap profile, then GC pass). */
export async function runTree(tree: Tree, o: RunOptions): Promise<CaseResult[]> {
  const cases = o.families.flatMap((f) => o.cases.map((n) => buildCase(f, n, o.cycle)));
  const hs = cases.map((c) => harness(tree, c, o.batch));
  const warm = o.warm ?? 200_000;
  for (const n of [warm, Math.ceil(warm / 10)]) {
    for (const h of hs) for (let f = 0; f < n; f += o.batch) h.step();
  }
  const out: CaseResult[] = [];
  for (let i = 0; i < cases.length; i++) {
    const p = await measure(hs[i]!, cases[i]!, o.frames, o.batch, true);
    if (!o.profileOnly) {
      const g = await measure(hs[i]!, cases[i]!, o.frames, o.batch, false);
      Object.assign(p, { scavenges: g.scavenges, markCompacts: g.markCompacts, gcPauseMs: g.gcPauseMs, gcMaxPauseMs: g.gcMaxPauseMs, framesPerSec: g.framesPerSec });
    }
    out.push(p);
  }
  return out;
}

// ------------------------------------------------------------------ baseline and report

const REPO = resolve(__dirname, '..', '..');

/**
 * The compiled src/ of `ref` in a temporary directory (git archive + tsc, once per commit;
 * node_modules linked from this tree). Returns the directory holding `src/`.
 */
export function baselineRoot(ref: string): string {
  const sha = execFileSync('git', ['-C', REPO, 'rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `neighproxy-alloc-${sha.slice(0, 12)}`);
  const out = join(dir, 'dist');
  if (existsSync(join(out, 'src', 'pipeline', 'pipeline.js'))) return out;
  mkdirSync(dir, { recursive: true });
  const tar = spawnSync('sh', ['-c', `git -C '${REPO}' archive ${sha} src tsconfig.json | tar -x -C '${dir}'`], { stdio: 'inherit' });
  if (tar.status !== 0) throw new Error(`git archive ${ref} failed`);
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'tsconfig.alloc.json'), JSON.stringify({ extends: './tsconfig.json', include: ['src/**/*.ts'] }));
  execFileSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.alloc.json')], { stdio: 'inherit' });
  return out;
}

function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length & 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

function childRun(root: string, o: RunOptions): CaseResult[] {
  const args = [__filename, '--child', root, '--frames', String(o.frames), '--batch', String(o.batch),
    '--family', o.families.join(','), '--cases', o.cases.join(',')];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`run against ${root} failed (exit ${r.status})`);
  return JSON.parse(r.stdout) as CaseResult[];
}

const f1 = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(1));
const arrow = (a: number, b: number): string => `${f1(a)} -> ${f1(b)}`;

function report(base: CaseResult[][] | null, head: CaseResult[][], o: RunOptions): string {
  const lines: string[] = [];
  const per = (runs: CaseResult[][], i: number, k: (r: CaseResult) => number, scale = false): number =>
    median(runs.map((rs) => (scale ? (k(rs[i]!) / rs[i]!.frames) * 1e6 : k(rs[i]!))));
  lines.push(`${o.frames} requests per case, batches of ${o.batch}, ${head.length} runs (medians)${base ? `; before = ${arg('--baseline', 'main')}` : ''}`);
  lines.push('case                   B/request hot    timers B/req  scavenges/M   mark-compacts/M  GC pause ms/M   reasons (after)');
  head[0]!.forEach((c, i) => {
    const col = (k: (r: CaseResult) => number, scale = false): string =>
      base ? arrow(per(base, i, k, scale), per(head, i, k, scale)) : f1(per(head, i, k, scale));
    const reasons = Object.entries(c.reasons).sort((a, b) => b[1] - a[1]).map(([n, v]) => `${n} ${(v * 100).toFixed(0)}%`).join(', ');
    lines.push(
      `${`${c.family} ${c.name}`.padEnd(22)} ${col((r) => r.hot).padEnd(16)} ${col((r) => r.timers).padEnd(13)} ` +
        `${col((r) => r.scavenges, true).padEnd(13)} ${col((r) => r.markCompacts, true).padEnd(16)} ${col((r) => r.gcPauseMs, true).padEnd(15)} ${reasons}`,
    );
    for (const s of c.sites.filter((x) => x.bytesPerRequest >= 0.05).slice(0, 4)) lines.push(`    ${s.bytesPerRequest.toFixed(1).padStart(6)} B/req  ${s.stack}`);
  });
  lines.push(`hot = below Pipeline.onBatch (per request); timers = policy.tick/flushAll every 0.1 s of the simulated 100 000/s clock; sites listed for the first run after`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const fam = arg('--family', 'both');
  const o: RunOptions = {
    families: (fam === 'both' ? 'arp,ns' : fam).split(',') as Family[],
    cases: arg('--cases', CASE_NAMES.join(',')).split(',') as CaseName[],
    frames: Number(arg('--frames', '1000000')),
    batch: Number(arg('--batch', '256')),
  };
  for (const c of o.cases) if (!CASE_NAMES.includes(c)) throw new Error(`unknown case ${c} (cases: ${CASE_NAMES.join(', ')})`);
  const child = arg('--child', '');
  if (child !== '') {
    process.stdout.write(JSON.stringify(await runTree(loadTree(child), o)));
    return;
  }
  const runs = Number(arg('--runs', '3'));
  const ref = arg('--baseline', 'main');
  const baseRoot = ref === 'none' ? null : baselineRoot(ref);
  const headRoot = join(__dirname, '..');
  const base: CaseResult[][] = [];
  const head: CaseResult[][] = [];
  for (let r = 0; r < runs; r++) {
    if (baseRoot) base.push(childRun(baseRoot, o));
    head.push(childRun(headRoot, o));
    process.stderr.write(`run ${r + 1}/${runs} done\n`);
  }
  const json = arg('--json', '');
  if (json !== '') writeFileSync(json, JSON.stringify({ options: o, baseline: ref, base, head }, null, 1));
  process.stdout.write(`${report(baseRoot ? base : null, head, o)}\n`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  });
}
