// Issue 12's flood figure through a real daemon in namespaces: 1 000 000 distinct spoofed
// sources per family (every frame its own MAC, and for IPv6 its own address too) while a
// legitimate client keeps asking for two learned hosts (one per family). Printed per run
// and family: the client's answered share (target at least 99 %), the daemon's RSS (now
// and peak), the cache per partition (interface x family, neighproxy_cache_entries),
// evictions, the limiter's counts by reason and the takeover guard's; after the last
// phase, whether both hosts kept their entries (one `show cache`). Medians of the runs at
// the end. Default settings throughout (tablesize 65 536, default limits): the figures
// are what an operator who changed nothing gets.
//
// The load is the project's generator (src/engine/generator.ts), which adds i % varySender
// to the sender's address and to the low 16 bits of its MAC. Distinct sources without a
// million templates: T templates whose MACs differ in bytes 2-3, T odd, so (i mod T,
// i mod 2^16) and (i mod T, i mod 128) are distinct for every i below T x 2^16 or T x 128
// (Chinese remainder theorem).
//   IPv6: multicast NS with a source link-layer option from 2001:db8:1::3:0:0 + i (in the
//         `tell` prefix, so the kernel filter passes them and every one is learned), for
//         2001:db8:4::1, which no rule covers (never answered).
//   IPv4: ARP requests from 198.51.100.1-128 (documentation space allows no more: the
//         IPv4 sources are distinct by MAC, 128 addresses between them, each claim a
//         takeover attempt), for 198.51.100.250, which nobody holds (never answered).
// The client (198.51.100.201, 2001:db8:1::65) asks for 198.51.100.200 and 2001:db8:1::77,
// learned before the flood, in turn, from a second TX ring at --client-rate.
// Also per phase: the daemon's CPU per flood frame (/proc/PID/stat, all threads, and per
// thread), frames per batch, kernel ring drops per worker, the client capture's drops, and
// RSS split by /proc/PID/smaps (anonymous, packet rings, files) with the main heap.
// Run: `npm run compile && node dist/bench/flood-sources.js [--sources N] [--rate PPS]
//       [--client-rate PPS] [--runs N] [--workers N] [--pace PPS]` (root; a run of the
//       defaults sends 2 M frames; --workers sets `workers`, default auto; --pace the
//       interface's `ring pace`, 0 = off, default none written). NP_DAEMON_PROF=DIR runs the
//       daemon under node --cpu-prof (read the profiles with bench/pps/cpuprofile.js).
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { generate } from '../src/engine/generator';
import { REJECT_ALL_FILTER } from '../src/engine/filters';
import { Ring } from '../src/engine/ring';
import { parseIp4, parseIp6 } from '../src/net/addr';
import { buildArpRequest, buildNsResolve } from '../src/wire/build';
import { generatorPair, templateFrame, type GeneratorPair } from '../test/helpers/generator-pair';
import { needsNetns } from '../test/helpers/netns';
import { ctlJson, startResponder, type Responder } from '../test/daemon/fixtures/responder';
import { scrapeMetrics } from '../test/daemon/fixtures/prom';

type Fam = 'ipv4' | 'ipv6';
const PORT = 9475;
const CLIENT = 0x02005e005365;
const HOST = 0x02005e005377;
const HOST4 = '198.51.100.200';
const HOST6 = '2001:db8:1::77';
/** IPv4 sources share this many addresses (198.51.100.1 + i % 128). */
const V4_ADDRS = 128;
const CONFIG = 'interface c0\n rule 0.0.0.0/0 198.51.100.0/24 tell\n rule ::/0 2001:db8:1::/64 tell\nend\n';

export interface Options {
  sources: number; rate: number; clientRate: number; runs: number; /** `workers` setting; 0 = the default (auto). */ workers: number;
  /** `ring pace` (--pace N, 0 = off); -1: no ring line, the daemon's default. */ pace: number;
}

export interface PhaseResult {
  family: Fam;
  sent: number;
  seconds: number;
  /** Client requests sent and answered, per family asked for. */
  asked: { ipv4: number; ipv6: number };
  answered: { ipv4: number; ipv6: number };
  share: number;
  rssMB: number;
  peakMB: number;
  cache: { ipv4: number; ipv6: number; evictions: number };
  /** Both hosts' entries in `show cache` with their MAC; read after the last phase only (null before: the dump costs memory). */
  hostsKept: boolean | null;
  daemonSaw: { ipv4: number; ipv6: number };
  /** The daemon's own split of requests it did not answer (ctl show stats: ring drops, TX ring full, reasons). */
  loss: Record<string, unknown>;
  /** Log lines the daemon wrote (at info) during the phase. */
  logLines: number;
  limited: { requests: Record<string, number>; sends: Record<string, number> };
  guard: { conflicts: number; moves: number; freezes: number };
  /** The daemon's CPU (all threads, /proc/PID/stat utime+stime) per flood frame sent, in microseconds. */
  cpuUsPerFrame: number;
  /** Of cpuUsPerFrame, the kernel's part (stime). */
  sysUsPerFrame: number;
  /** CPU seconds of the phase per thread name (/proc/PID/task/TID: node main, the workers). */
  cpuByThread: Record<string, number>;
  /** Per worker (with workers > 1): frames its rings received and the kernel dropped. */
  perWorker: { framesReceived: number; kernelDrops: number; batches: number; forwardedLearns: number; receivedLearns: number }[];
  /** /proc/PID/smaps split, MB: anonymous (V8 heaps, malloc), packet rings and other shared, files. */
  smaps: { anonMB: number; ringsMB: number; filesMB: number };
  /** The main thread's V8 heap (used, total) and external memory, MB (prom-client's nodejs_* metrics). */
  mainHeap: { usedMB: number; totalMB: number; externalMB: number };
  /** Replies the client's capture ring dropped (counted as unanswered if any: a stage of its own). */
  captureDrops: number;
  /** Frames per batch handed to the pipeline over the daemon's life so far (all workers). */
  framesPerBatch: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The flood of one family: T templates and the generator's varySender, checked to give `n` distinct sources. */
export function floodPlan(family: Fam, n: number): { templates: Uint8Array[]; varySender: number } {
  const macCycle = family === 'ipv6' ? 0x10000 : V4_ADDRS; // the generator's MAC varies over 2^16; IPv4 addresses over 128
  let t = Math.ceil(n / macCycle);
  if (t % 2 === 0) t++;
  if (gcd(t, macCycle) !== 1 || t * macCycle < n || t > 0xffff) throw new Error(`no distinct plan for ${n} ${family} sources`);
  const templates: Uint8Array[] = [];
  for (let k = 0; k < t; k++) {
    const mac = 0x020000000000 + (family === 'ipv6' ? 0x0600000000 : 0x0400000000) + k * 0x10000;
    templates.push(family === 'ipv6'
      ? templateFrame((b) => buildNsResolve(b, 0, -1, mac, parseIp6('2001:db8:1::3:0:0')!, parseIp6('2001:db8:4::1')!))
      : templateFrame((b) => buildArpRequest(b, 0, -1, 0xffffffffffff, mac, parseIp4('198.51.100.1')!, parseIp4('198.51.100.250')!)));
  }
  return { templates, varySender: family === 'ipv6' ? n : V4_ADDRS };
}

/** utime+stime (or stime alone) of the process, or of one thread, in seconds (USER_HZ 100). */
function cpuSeconds(statPath: string, which: 'all' | 'sys' = 'all'): number {
  const s = readFileSync(statPath, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return ((which === 'all' ? Number(f[11]) : 0) + Number(f[12])) / 100;
}

function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(`${comm}/${tid}`, cpuSeconds(`/proc/${pid}/task/${tid}/stat`));
    } catch { /* the thread ended */ }
  }
  return out;
}

/** Resident memory by kind from /proc/PID/smaps: anonymous, packet rings (mapped from a socket), files. */
export function smapsSplit(text: string): { anonMB: number; ringsMB: number; filesMB: number } {
  let anon = 0;
  let rings = 0;
  let files = 0;
  let name = '';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) { name = head[1]!; continue; }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const kb = Number(rss[1]);
    if (name.startsWith('socket:') || name.includes('packet')) rings += kb;
    else if (name.startsWith('/') && !name.startsWith('/memfd') && !name.startsWith('/dev/zero')) files += kb;
    else anon += kb;
  }
  return { anonMB: anon / 1024, ringsMB: rings / 1024, filesMB: files / 1024 };
}

function memory(pid: number): { rssMB: number; peakMB: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `show cache` over the control socket, read to its end (`ctl` gives up after 3 s; a 65 536-entry dump streams for longer). */
function dumpCache(sock: string, ms = 120_000): Promise<{ address: string; mac: string | null }[]> {
  return new Promise((resolve, reject) => {
    const s = connect(sock);
    const parts: Buffer[] = [];
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`show cache: no full answer within ${ms} ms`)); }, ms);
    s.on('connect', () => s.write('{"cmd":"show","what":"cache"}\n'));
    s.on('data', (d: Buffer) => {
      parts.push(d);
      if (d[d.length - 1] !== 10) return;
      clearTimeout(timer);
      s.destroy();
      resolve((JSON.parse(Buffer.concat(parts).toString()) as { entries: { address: string; mac: string | null }[] }).entries);
    });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** The hosts announce themselves (learned), the client asks once for each (the entries are now in use). */
async function prime(r: Responder): Promise<void> {
  await generate(r.tx, { templates: [
    templateFrame((b) => buildArpRequest(b, 0, -1, 0xffffffffffff, HOST, parseIp4(HOST4)!, parseIp4('198.51.100.254')!)),
    templateFrame((b) => buildNsResolve(b, 0, -1, HOST, parseIp6(HOST6)!, parseIp6('2001:db8:1::1')!)),
  ], count: 2 });
  await sleep(300);
  await generate(r.tx, { templates: clientAsks(), count: 2 });
  await sleep(300);
  if (r.replies.arp < 1 || r.replies.na < 1) throw new Error(`the client is not answered before the flood (ARP ${r.replies.arp}, NA ${r.replies.na})`);
}

function clientAsks(): Uint8Array[] {
  return [
    templateFrame((b) => buildArpRequest(b, 0, -1, 0xffffffffffff, CLIENT, parseIp4('198.51.100.201')!, parseIp4(HOST4)!)),
    templateFrame((b) => buildNsResolve(b, 0, -1, CLIENT, parseIp6('2001:db8:1::65')!, parseIp6(HOST6)!)),
  ];
}

/** One family's flood with the client asking throughout; the figures read when it is over. */
async function phase(pair: GeneratorPair, r: Responder, clientTx: Ring, family: Fam, o: Options): Promise<PhaseResult> {
  const plan = floodPlan(family, o.sources);
  const before = { ipv4: r.replies.arp, ipv6: r.replies.na };
  const clientCount = 2 * Math.max(1, Math.round((o.clientRate * o.sources) / o.rate / 2));
  const t0 = Date.now();
  const logs0 = r.daemon.logs.length;
  const pid = r.daemon.pid;
  const cpu0 = cpuSeconds(`/proc/${pid}/stat`);
  const sys0 = cpuSeconds(`/proc/${pid}/stat`, 'sys');
  const threads0 = threadCpu(pid);
  const [flood] = await Promise.all([
    generate(r.tx, { templates: plan.templates, count: o.sources, ratePps: o.rate, varySender: plan.varySender }),
    generate(clientTx, { templates: clientAsks(), count: clientCount, ratePps: o.clientRate }),
  ]);
  const seconds = (Date.now() - t0) / 1000;
  const asked = { ipv4: clientCount / 2, ipv6: clientCount / 2 };
  const got = (): { ipv4: number; ipv6: number } => ({ ipv4: r.replies.arp - before.ipv4, ipv6: r.replies.na - before.ipv6 });
  for (let i = 0; i < 30 && (got().ipv4 < asked.ipv4 || got().ipv6 < asked.ipv6); i++) await sleep(100);
  const answered = got();
  const cpu = cpuSeconds(`/proc/${pid}/stat`) - cpu0;
  const sys = cpuSeconds(`/proc/${pid}/stat`, 'sys') - sys0;
  const cpuByThread: Record<string, number> = {};
  for (const [k, v] of threadCpu(pid)) {
    const d = v - (threads0.get(k) ?? 0);
    if (d >= 0.05) cpuByThread[k] = Math.round(d * 100) / 100;
  }
  const m = scrapeMetrics(pair.lab, pair.rt, PORT);
  const stats = ctlJson(r.sock, ['show', 'stats']) as {
    interfaces: { requests: { ipv4: number; ipv6: number }; loss: Record<string, unknown>; ring: { framesReceived: number; batches: number } }[];
    limits?: { requests: Record<string, number>; sends: Record<string, number> };
    workers?: { forwardedLearns: number; receivedLearns: number; interfaces: { framesReceived: number; kernelDrops?: number; batches?: number }[] }[];
  };
  const mem = memory(r.daemon.pid);
  const metric = (k: string): number => m.get(k) ?? 0;
  return {
    family, sent: flood.sent, seconds, asked, answered,
    share: (answered.ipv4 + answered.ipv6) / clientCount,
    ...mem,
    cache: {
      ipv4: metric('neighproxy_cache_entries{interface="c0",family="ipv4"}'),
      ipv6: metric('neighproxy_cache_entries{interface="c0",family="ipv6"}'),
      evictions: metric('neighproxy_cache_evictions_total'),
    },
    hostsKept: null,
    daemonSaw: stats.interfaces[0]!.requests,
    loss: stats.interfaces[0]!.loss,
    logLines: r.daemon.logs.length - logs0,
    limited: { requests: stats.limits?.requests ?? {}, sends: stats.limits?.sends ?? {} },
    guard: {
      conflicts: metric('neighproxy_takeover_conflicts_total'),
      moves: metric('neighproxy_takeover_moves_total'),
      freezes: metric('neighproxy_takeover_freezes_total'),
    },
    cpuUsPerFrame: (cpu / flood.sent) * 1e6,
    sysUsPerFrame: (sys / flood.sent) * 1e6,
    captureDrops: r.replies.drops,
    framesPerBatch: stats.interfaces[0]!.ring.framesReceived / Math.max(1, stats.interfaces[0]!.ring.batches),
    cpuByThread,
    perWorker: (stats.workers ?? []).map((w) => ({
      framesReceived: w.interfaces[0]?.framesReceived ?? 0, kernelDrops: w.interfaces[0]?.kernelDrops ?? 0, batches: w.interfaces[0]?.batches ?? 0,
      forwardedLearns: w.forwardedLearns, receivedLearns: w.receivedLearns,
    })),
    smaps: smapsSplit(readFileSync(`/proc/${pid}/smaps`, 'utf8')),
    mainHeap: {
      usedMB: metric('nodejs_heap_size_used_bytes') / 1048576,
      totalMB: metric('nodejs_heap_size_total_bytes') / 1048576,
      externalMB: metric('nodejs_external_memory_bytes') / 1048576,
    },
  };
}

/** A fresh pair and daemon; the IPv6 flood, then the IPv4 flood (figures are cumulative over the run). */
export async function oneRun(o: Options, tag: string): Promise<PhaseResult[]> {
  const teardown: (() => void)[] = [];
  try {
    const pair = generatorPair({ after: (fn) => teardown.push(fn) }, tag);
    // NP_DAEMON_PROF=DIR: the daemon runs under node --cpu-prof (a profile per thread in DIR at exit).
    const prof = process.env.NP_DAEMON_PROF;
    const wrap = prof ? ['/bin/sh', '-c', `exec "$0" --cpu-prof --cpu-prof-dir=${prof} "$@"`] : [];
    const conf = o.pace >= 0 ? CONFIG.replace('interface c0\n', `interface c0\n ring pace ${o.pace || 'off'}\n`) : CONFIG;
    const r = await startResponder(pair, (o.workers > 0 ? `workers ${o.workers}\n` : '') + conf, ['--log-level', 'info', '--metrics', `127.0.0.1:${PORT}`], 'g0', wrap);
    const clientTx = Ring.open('g0', { netns: pair.netns, filter: REJECT_ALL_FILTER, rxFrames: 16, txFrames: 256, frameSize: 256, qdiscBypass: true });
    pair.cleanup.push(() => clientTx.close());
    await prime(r);
    const out: PhaseResult[] = [];
    for (const f of ['ipv6', 'ipv4'] as const) out.push(await phase(pair, r, clientTx, f, o));
    const entries = await dumpCache(r.sock);
    const kept = (a: string): boolean => entries.some((e) => e.address === a && e.mac === '02:00:5e:00:53:77');
    out[out.length - 1]!.hostsKept = kept(HOST4) && kept(HOST6);
    await r.daemon.signal('SIGTERM', 10_000);
    return out;
  } finally {
    for (const fn of teardown) fn();
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').replace(/,/g, ' ');
const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
const nonZero = (r: Record<string, number>): string => Object.entries(r).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${fmt(v)}`).join(', ') || 'none';

export function describe(p: PhaseResult): string {
  return `${p.family} flood: ${fmt(p.sent)} sources in ${p.seconds.toFixed(1)} s; client answered ${pct(p.share)} ` +
    `(ARP ${fmt(p.answered.ipv4)}/${fmt(p.asked.ipv4)}, NS ${fmt(p.answered.ipv6)}/${fmt(p.asked.ipv6)}), ${p.hostsKept === null ? '' : `hosts kept: ${p.hostsKept ? 'yes' : 'NO'}; `}` +
    `RSS ${p.rssMB.toFixed(0)} MB (peak ${p.peakMB.toFixed(0)} MB); cache c0/ipv4 ${fmt(p.cache.ipv4)}, c0/ipv6 ${fmt(p.cache.ipv6)}, ` +
    `evictions ${fmt(p.cache.evictions)}; daemon saw ARP ${fmt(p.daemonSaw.ipv4)}, NS ${fmt(p.daemonSaw.ipv6)}, loss ${JSON.stringify(p.loss)}; ` +
    `limited requests: ${nonZero(p.limited.requests)}; sends: ${nonZero(p.limited.sends)}; ` +
    `guard conflicts ${fmt(p.guard.conflicts)}, moves ${fmt(p.guard.moves)}, freezes ${fmt(p.guard.freezes)}; ${fmt(p.logLines)} log lines; ` +
    `${p.framesPerBatch.toFixed(1)} frames/batch; CPU ${p.cpuUsPerFrame.toFixed(1)} us/frame (sys ${p.sysUsPerFrame.toFixed(1)}) ${JSON.stringify(p.cpuByThread)}; ` +
    `smaps anon ${p.smaps.anonMB.toFixed(0)} MB, rings ${p.smaps.ringsMB.toFixed(0)} MB, files ${p.smaps.filesMB.toFixed(0)} MB; ` +
    `main heap ${p.mainHeap.usedMB.toFixed(0)}/${p.mainHeap.totalMB.toFixed(0)} MB, external ${p.mainHeap.externalMB.toFixed(0)} MB` +
    (p.perWorker.length > 0 ? `; workers ${JSON.stringify(p.perWorker)}` : '');
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;

/** The medians of a family's phases over the runs, as one PhaseResult (counts by reason: medians per reason). */
export function medianOf(ps: PhaseResult[]): PhaseResult {
  const m = (f: (p: PhaseResult) => number): number => median(ps.map(f));
  const byReason = (f: (p: PhaseResult) => Record<string, number>): Record<string, number> =>
    Object.fromEntries([...new Set(ps.flatMap((p) => Object.keys(f(p))))].map((k) => [k, m((p) => f(p)[k] ?? 0)]));
  return {
    family: ps[0]!.family, sent: m((p) => p.sent), seconds: m((p) => p.seconds),
    asked: { ipv4: m((p) => p.asked.ipv4), ipv6: m((p) => p.asked.ipv6) },
    answered: { ipv4: m((p) => p.answered.ipv4), ipv6: m((p) => p.answered.ipv6) },
    share: m((p) => p.share), rssMB: m((p) => p.rssMB), peakMB: m((p) => p.peakMB),
    cache: { ipv4: m((p) => p.cache.ipv4), ipv6: m((p) => p.cache.ipv6), evictions: m((p) => p.cache.evictions) },
    hostsKept: ps[0]!.hostsKept === null ? null : ps.every((p) => p.hostsKept),
    daemonSaw: { ipv4: m((p) => p.daemonSaw.ipv4), ipv6: m((p) => p.daemonSaw.ipv6) },
    loss: [...ps].sort((a, b) => a.share - b.share)[ps.length >> 1]!.loss, // the median-share run's
    logLines: m((p) => p.logLines),
    limited: { requests: byReason((p) => p.limited.requests), sends: byReason((p) => p.limited.sends) },
    guard: { conflicts: m((p) => p.guard.conflicts), moves: m((p) => p.guard.moves), freezes: m((p) => p.guard.freezes) },
    cpuUsPerFrame: m((p) => p.cpuUsPerFrame),
    sysUsPerFrame: m((p) => p.sysUsPerFrame),
    framesPerBatch: m((p) => p.framesPerBatch),
    captureDrops: m((p) => p.captureDrops),
    cpuByThread: {},
    perWorker: [],
    smaps: { anonMB: m((p) => p.smaps.anonMB), ringsMB: m((p) => p.smaps.ringsMB), filesMB: m((p) => p.smaps.filesMB) },
    mainHeap: { usedMB: m((p) => p.mainHeap.usedMB), totalMB: m((p) => p.mainHeap.totalMB), externalMB: m((p) => p.mainHeap.externalMB) },
  };
}

export function parseOptions(argv: string[]): Options {
  const o: Options = { sources: 1_000_000, rate: 20_000, clientRate: 200, runs: 3, workers: 0, pace: -1 };
  const names: Record<string, keyof Options> = { '--sources': 'sources', '--rate': 'rate', '--client-rate': 'clientRate', '--runs': 'runs', '--workers': 'workers', '--pace': 'pace' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = names[argv[i]!];
    const v = Number(argv[i + 1]);
    if (!k || !Number.isInteger(v) || v < (k === 'pace' ? 0 : 1)) throw new Error(`usage: flood-sources [--sources N] [--rate PPS] [--client-rate PPS] [--runs N] [--workers N] [--pace PPS, 0 = off] (got ${argv[i]} ${argv[i + 1]})`);
    o[k] = v;
  }
  return o;
}

async function main(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  const why = needsNetns();
  if (why) throw new Error(why);
  console.log(`${fmt(o.sources)} spoofed sources per family at ${fmt(o.rate)}/s, client ${fmt(o.clientRate)}/s, ${o.runs} runs, ` +
    `workers ${o.workers || 'auto'}, ring pace ${o.pace < 0 ? 'default' : o.pace || 'off'} (otherwise default settings); ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  const runs: PhaseResult[][] = [];
  for (let k = 0; k < o.runs; k++) {
    const res = await oneRun(o, `fs${k}`);
    runs.push(res);
    for (const p of res) console.log(`run ${k + 1} ${describe(p)}`);
  }
  for (let f = 0; f < 2; f++) console.log(`median ${describe(medianOf(runs.map((r) => r[f]!)))}`);
  return runs.every((r) => r.every((p) => p.share >= 0.99 && p.hostsKept !== false)) ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code), (err: Error) => {
    process.stderr.write(`flood-sources: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  });
}
