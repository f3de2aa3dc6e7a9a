// The packets-per-second bench: neighproxy against the kernel's proxy_arp/proxy_ndp,
// ndppd and npd6, measured in one run, interleaved (A B C A B C ...), on a namespace
// testbed. See docs/bench.md.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { capacityTable, checkBelowCapacity, parseFractions, type CapacityCheck } from './capacity';
import { renderChart, type ChartSeries } from './chart';
import { formatProfile } from './cpuprofile';
import { senderCount, targetCount } from './frames';
import { StandinDriver, type LoadDriver } from './load';
import { matchReplies } from './match';
import { formatSplit, perfSplit } from './perfsplit';
import { peakRssKiB, processCpuSplit, softirqSeconds } from './procstat';
import { RateSearch, type Probe } from './ratesearch';
import { Progress, evaluateGoals, goalStatus, goalsTable, resultsTable, type ResponderSummary } from './report';
import {
  ALL_RESPONDERS,
  EXTRA_RESPONDERS,
  installThirdParty,
  setupKernel,
  setupNdppd,
  setupNpd6,
  thirdPartyMissing,
  type Responder,
} from './responders';
import { median } from './stats';
import { summarizeLatencyNs } from './stats';
import { Testbed, type Placement } from './testbed';

export interface BenchOptions {
  quick: boolean;
  responders: string[];
  /** Seconds per load (flood and each rate probe). */
  duration: number;
  /** Offered rates of the rate search grid, requests/s. */
  rates: number[];
  rounds: number;
  refineSteps: number;
  latencyRate: number;
  arpRate: number;
  json?: string;
  chart?: string;
  install: boolean;
  generator: 'auto' | 'native' | 'trafgen' | 'standin';
  /** Upper bound of frames in one load. */
  maxFrames: number;
  /** Run neighproxy under the V8 profiler (`node --cpu-prof`), profiles written here. */
  profile?: string;
  /** Record `perf record -g` of each process responder during its first flood, into this directory. */
  perf?: string;
  /** Generator side on CPU 0, responder side on CPU 1 (processes pinned, receive work steered with RPS). */
  pin: boolean;
  /** Responder processes under SCHED_FIFO. */
  realtime: boolean;
  /** --pace: the daemon's `ring pace` ('off' or frames/s); absent: no ring line, the daemon's default. */
  pace?: string;
  /** Fractions of each neighproxy responder's flood capacity probed for loss after the rounds. */
  capacityFractions: number[];
  /** --generator LIST: the bench runs once per generator (run.ts), `generator` is the current one. */
  generators?: BenchOptions['generator'][];
}

export const USAGE = `usage: neighproxy bench [options]     (also: npm run bench -- [options])

Packets-per-second bench: neighproxy against the kernel's proxy_arp/proxy_ndp,
ndppd and npd6, on network namespaces it builds (documentation addresses only) and
removes. Needs root. Prints a table and the goals with PASS/MISS.

options:
  --quick               short smoke run (seconds): 1 round, few rates
  --responders LIST     comma-separated, from: ${ALL_RESPONDERS.join(',')}
                        (also: neighproxy, kernel, arp, ns); default all of these;
                        and, only when named, ${EXTRA_RESPONDERS.join(',')}
                        (or engine, pipeline): the engine turnaround without policy,
                        and the daemon's pipeline without metrics/logging
  --duration SECONDS    length of each load (default 0.5, quick 0.15)
  --rates LIST          offered rates of the rate search, e.g. 50k,100k,400k,1M
                        (default 25k,50k,100k,200k,400k,800k)
  --latency-rate RATE   offered rate whose probe gives the latency figures (default 100k)
  --rounds N            interleaved rounds; figures are medians (default 3, quick 1)
  --json FILE           write every figure as JSON
  --chart FILE          write an SVG chart of share answered against offered rate
  --install             apt-get install ndppd and npd6 when missing
  --pin                 generator side on CPU 0, responder side on CPU 1: processes
                        pinned, receive processing steered there with RPS (as two
                        hosts with a NIC each); needs otherwise idle CPUs
  --rt                  run responder processes under SCHED_FIFO (chrt -f 10): shows
                        how much of their latency is waiting for a CPU
  --pace PPS|off        the daemon's 'ring pace' (default: not written, so the
                        daemon's own, 10000): 'off' answers every batch at once
  --generator LIST      native (the engine's TX-ring generator), trafgen (Debian
                        netsniff-ng: burstier pacing; requests timestamped at the
                        responder), standin (Python, harness smoke tests only) or
                        auto (default: native if built); a list such as
                        native,trafgen runs the whole bench once per generator
  --capacity LIST       after the rounds, probe each neighproxy responder at these
                        fractions of its measured flood capacity for loss (default
                        0.2,0.4,0.6,0.8; quick 0.8; 'none' to skip)
  --profile DIR         run neighproxy under the V8 profiler (node --cpu-prof);
                        open DIR/*.cpuprofile in Chrome DevTools or speedscope
  --perf DIR            perf record -g each responder process during its first flood
                        and its first probe at the latency rate (kernel and user
                        stacks): summary and the split of its CPU (JS, send path,
                        veth's far side inside sendto, epoll, ...) printed, per
                        reply; DIR/NAME.data and DIR/NAME@RATE.data kept
`;

export class BenchUsageError extends Error {}

function parseRate(t: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(t.trim());
  if (!m) throw new BenchUsageError(`expected a rate like 50000, 50k or 1.5M, got '${t}'`);
  const v = Number(m[1]) * (m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1e3 : 1e6);
  if (!(v >= 1 && v <= 1e8)) throw new BenchUsageError(`rate out of range 1..100M: '${t}'`);
  return Math.round(v);
}

export function expandResponders(list: string): string[] {
  const out: string[] = [];
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    let matches = (ALL_RESPONDERS as readonly string[]).filter(
      (n) => n === raw || n.startsWith(`${raw}-`) || (raw === 'arp' && n.endsWith('-arp')) ||
        (raw === 'ns' && !n.endsWith('-arp')),
    );
    if (matches.length === 0) matches = (EXTRA_RESPONDERS as readonly string[]).filter((n) => n === raw || n.startsWith(`${raw}-`));
    if (matches.length === 0) {
      throw new BenchUsageError(`unknown responder '${raw}' (known: ${[...ALL_RESPONDERS, ...EXTRA_RESPONDERS].join(', ')})`);
    }
    for (const m of matches) if (!out.includes(m)) out.push(m);
  }
  return out;
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const o: BenchOptions = {
    quick,
    responders: [...ALL_RESPONDERS],
    duration: quick ? 0.15 : 0.5,
    rates: quick ? [100_000, 400_000] : [25_000, 50_000, 100_000, 200_000, 400_000, 800_000],
    rounds: quick ? 1 : 3,
    refineSteps: quick ? 1 : 3,
    latencyRate: 100_000,
    arpRate: 400_000,
    install: false,
    generator: 'auto',
    maxFrames: 4_000_000,
    pin: false,
    realtime: false,
    capacityFractions: quick ? [0.8] : [0.2, 0.4, 0.6, 0.8],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new BenchUsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--quick':
        break;
      case '--install':
        o.install = true;
        break;
      case '--pin':
        o.pin = true;
        break;
      case '--rt':
        o.realtime = true;
        break;
      case '--pace': {
        const v = val();
        if (v !== 'off' && !/^\d+$/.test(v)) throw new BenchUsageError(`--pace: expected frames/s or 'off', got '${v}'`);
        o.pace = v;
        break;
      }
      case '--responders':
        o.responders = expandResponders(val());
        break;
      case '--duration': {
        const d = Number(val());
        if (!(d > 0 && d <= 30)) throw new BenchUsageError(`--duration: expected seconds in (0, 30], got '${argv[i]}'`);
        o.duration = d;
        break;
      }
      case '--rates':
        o.rates = val().split(',').map(parseRate);
        break;
      case '--rounds': {
        const n = Number(val());
        if (!(Number.isInteger(n) && n >= 1 && n <= 20)) throw new BenchUsageError(`--rounds: expected 1..20, got '${argv[i]}'`);
        o.rounds = n;
        break;
      }
      case '--json':
        o.json = val();
        break;
      case '--chart':
        o.chart = val();
        break;
      case '--latency-rate':
        o.latencyRate = parseRate(val());
        break;
      case '--profile':
        o.profile = val();
        break;
      case '--capacity':
        try {
          o.capacityFractions = parseFractions(val());
        } catch (err) {
          throw new BenchUsageError(`--capacity: ${(err as Error).message}`);
        }
        break;
      case '--perf':
        o.perf = val();
        break;
      case '--generator': {
        const list = val().split(',');
        for (const g of list) {
          if (g !== 'auto' && g !== 'native' && g !== 'trafgen' && g !== 'standin') {
            throw new BenchUsageError(`--generator: expected native, trafgen, standin or auto, got '${g}'`);
          }
        }
        o.generator = list[0] as BenchOptions['generator'];
        o.generators = list as BenchOptions['generator'][];
        break;
      }
      default:
        throw new BenchUsageError(`unknown option '${a}'`);
    }
  }
  // The goals are read at these rates: always probe them.
  for (const r of [o.latencyRate, o.arpRate]) if (!o.rates.includes(r)) o.rates.push(r);
  o.rates.sort((a, b) => a - b);
  return o;
}

interface Acc {
  r: Responder;
  cpuSec: number;
  userSec: number;
  sysSec: number;
  softSec: number;
  replies: number;
  /** Replies the capture ring dropped (the measurement, not the responder, saturated). */
  captureDrops: number;
  flood: Array<{ offered: number; replies: number }>;
  probes: Probe[][];
  maxRates: Array<{ rate: number; bound: 'found' | 'max' | 'none' }>;
  latency: Float64Array[];
  latencyClock: string[];
  error?: string;
}

async function pickDriver(kind: BenchOptions['generator'], log: (s: string) => void): Promise<LoadDriver> {
  if (kind === 'trafgen') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const t = require('./generator-trafgen') as { createTrafgenDriver(): LoadDriver };
    return t.createTrafgenDriver();
  }
  if (kind !== 'standin') {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const native = require('./generator-native') as { createNativeDriver(): LoadDriver };
      return native.createNativeDriver();
    } catch (err) {
      if (kind === 'native') throw err;
      log(`native generator unavailable (${(err as Error).message}); using the Python stand-in: figures are NOT valid`);
    }
  }
  return new StandinDriver();
}

async function setupEngine(tb: Testbed, dir: string, names: string[], profileDir?: string): Promise<Responder[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('./responder-neighproxy') as {
    setupEngineTurnaround(tb: Testbed, dir: string, names: string[], profileDir?: string): Promise<Responder[]>;
  };
  return mod.setupEngineTurnaround(tb, dir, names, profileDir);
}

async function setupPipe(tb: Testbed, dir: string, names: string[], profileDir?: string): Promise<Responder[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('./responder-neighproxy') as {
    setupPipeline(tb: Testbed, dir: string, names: string[], profileDir?: string): Promise<Responder[]>;
  };
  return mod.setupPipeline(tb, dir, names, profileDir);
}

async function setupNeighproxy(
  tb: Testbed,
  dir: string,
  names: string[],
  log: (s: string) => void,
  profileDir?: string,
  pace?: string,
): Promise<Responder[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('./responder-neighproxy') as {
    setupNeighproxy(tb: Testbed, dir: string, names: string[], log: (s: string) => void, profileDir?: string, pace?: string): Promise<Responder[]>;
  };
  return mod.setupNeighproxy(tb, dir, names, log, profileDir, pace);
}

export async function runBench(o: BenchOptions, out: (s: string) => void, log: (s: string) => void): Promise<number> {
  if (process.getuid?.() !== 0) {
    log('the pps bench needs root (network namespaces, raw sockets)');
    return 2;
  }
  const started = new Date();
  if (o.profile) mkdirSync(o.profile, { recursive: true });
  const driver = await pickDriver(o.generator, log);
  const dir = mkdtempSync(join(tmpdir(), 'neighproxy-pps-'));
  const placement: Placement | null = o.pin && cpus().length >= 2 ? { gen: 0, responder: 1 } : null;
  if (placement) pinSelf(String(placement.gen));
  const tb = new Testbed(placement, o.realtime);
  const onSignal = (): void => {
    tb.destroy();
    driver.close();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const accs: Acc[] = [];
  // --perf: the first flood and the first probe at the latency rate of each process responder.
  const perfRuns = new Map<string, { cpuUs: number; replies: number }>();
  const failed: Array<{ name: string; error: string }> = [];
  try {
    const want = new Set(o.responders);
    const third = (['ndppd', 'npd6'] as const).filter((n) => want.has(n));
    if (o.install && third.length) installThirdParty([...third], log);
    const setups: Array<Promise<Responder[]>> = [];
    const np = o.responders.filter((n) => n.startsWith('neighproxy'));
    if (np.length) setups.push(setupNeighproxy(tb, dir, np, log, o.profile, o.pace).catch((e: Error) => fail(np, e)));
    const eng = o.responders.filter((n) => n.startsWith('engine'));
    if (eng.length) setups.push(setupEngine(tb, dir, eng, o.profile).catch((e: Error) => fail(eng, e)));
    const pipe = o.responders.filter((n) => n.startsWith('pipeline'));
    if (pipe.length) setups.push(setupPipe(tb, dir, pipe, o.profile).catch((e: Error) => fail(pipe, e)));
    if (o.responders.some((n) => n.startsWith('kernel'))) {
      setups.push(Promise.resolve().then(() => setupKernel(tb).filter((r) => want.has(r.name))));
    }
    for (const n of third) {
      const missing = thirdPartyMissing(n);
      if (missing) setups.push(Promise.resolve(fail([n], new Error(missing))));
      else setups.push((n === 'ndppd' ? setupNdppd(tb, dir) : setupNpd6(tb, dir)).then((r) => [r], (e: Error) => fail([n], e)));
    }
    function fail(names: string[], e: Error): Responder[] {
      for (const name of names) failed.push({ name, error: e.message });
      return [];
    }
    const responders = (await Promise.all(setups)).flat();
    // Keep the order the user asked for: that is the interleaving order.
    responders.sort((a, b) => o.responders.indexOf(a.name) - o.responders.indexOf(b.name));

    // Verify: every responder answers a slow, small load before anything is measured.
    // Daemons may still be starting: a few tries, 300 ms apart.
    for (const r of responders) {
      let answered = 0;
      let sent = 0;
      for (let attempt = 0; attempt < 8; attempt++) {
        if (attempt) await new Promise((res) => setTimeout(res, 300));
        const res = await driver.run({
          family: r.family, netns: tb.gen, ifname: r.wire.genIf, rate: 2000, count: 300, maxSeconds: 2, drainMs: 100,
          responderNetns: r.wire.ns, responderIf: r.wire.ifname,
        });
        const m = matchReplies(res.cycle ?? senderCount(r.family) * targetCount(r.family), res.sent, res.txNs, res.rxResidue, res.rxNs, res.rxCount);
        answered = m.answered;
        sent = res.sent;
        if (sent > 0 && answered >= 0.99 * sent) break;
      }
      if (sent === 0 || answered < 0.99 * sent) {
        failed.push({ name: r.name, error: `verification: answered ${answered} of ${sent} requests at 2000/s` });
        continue;
      }
      accs.push({ r, cpuSec: 0, userSec: 0, sysSec: 0, softSec: 0, replies: 0, captureDrops: 0, flood: [], probes: [], maxRates: [], latency: [], latencyClock: [] });
    }
    for (const f of failed) log(`${f.name}: ${f.error}`);
    if (accs.length === 0) {
      log('no responder to measure');
      return 1;
    }

    const slotsPerRound = accs.length * (1 + o.rates.length + o.refineSteps);
    const capacitySlots = accs.filter((a) => a.r.name.startsWith('neighproxy')).length * o.capacityFractions.length * o.rounds;
    const progress = new Progress(slotsPerRound * o.rounds + capacitySlots);
    const slot = async (a: Acc, rate: number, label: string): Promise<{ offered: number; answered: number; replies: number; sent: number; latencyNs: Float64Array }> => {
      progress.draw(label);
      const r = a.r;
      const pid = r.pid();
      const count = Math.min(o.maxFrames, rate > 0 ? Math.ceil(rate * o.duration) : o.maxFrames);
      const cpu0 = pid ? processCpuSplit(pid) : { user: NaN, system: NaN };
      const soft0 = softirqSeconds(placement?.responder);
      const perfName = rate === 0 ? r.name : `${r.name}@${rate}`;
      const rec = o.perf && pid && (rate === 0 || rate === o.latencyRate) && !perfRuns.has(perfName) ? startPerf(o.perf, perfName, pid, o.duration) : undefined;
      if (rec) perfRuns.set(perfName, { cpuUs: NaN, replies: 0 });
      const res = await driver.run({
        family: r.family, netns: tb.gen, ifname: r.wire.genIf, rate, count, maxSeconds: rate > 0 ? o.duration * 1.5 + 0.1 : o.duration, drainMs: 60,
        // Request timestamps double the capture's work: only where latency is read.
        timestampRequests: rate > 0 && rate <= o.latencyRate,
        responderNetns: r.wire.ns,
        responderIf: r.wire.ifname,
      });
      if (rate === o.latencyRate) a.latencyClock.push(res.txClock ?? 'generator');
      const soft = softirqSeconds(placement?.responder) - soft0;
      if (rec) await rec;
      const cpu1 = pid ? processCpuSplit(pid) : { user: NaN, system: NaN };
      const user = cpu1.user - cpu0.user;
      const system = cpu1.system - cpu0.system;
      const cpu = pid ? user + system : soft;
      const m = matchReplies(res.cycle ?? senderCount(r.family) * targetCount(r.family), res.sent, res.txNs, res.rxResidue, res.rxNs, res.rxCount);
      a.cpuSec += cpu;
      if (rec) perfRuns.set(perfName, { cpuUs: cpu * 1e6, replies: m.answered });
      if (pid) {
        a.userSec += user;
        a.sysSec += system;
      }
      a.softSec += soft;
      a.replies += m.answered;
      a.captureDrops += res.captureDrops ?? 0;
      progress.step(label);
      return {
        offered: res.sendSeconds > 0 ? res.sent / res.sendSeconds : 0,
        answered: res.sent > 0 ? m.answered / res.sent : 0,
        replies: m.answered,
        sent: res.sent,
        latencyNs: m.latencyNs,
      };
    };

    for (let round = 0; round < o.rounds; round++) {
      const tag = `round ${round + 1}/${o.rounds}`;
      for (const a of accs) {
        const s = await slot(a, 0, `${tag} flood ${a.r.name}`);
        // Replies per second over the sending time: answered share times achieved rate.
        a.flood.push({ offered: s.offered, replies: s.answered * s.offered });
      }
      const searches = accs.map(() => new RateSearch({ grid: o.rates, refineSteps: o.refineSteps }));
      for (;;) {
        let any = false;
        for (let k = 0; k < accs.length; k++) {
          const a = accs[k]!;
          const rate = searches[k]!.next();
          if (rate === undefined) continue;
          any = true;
          const s = await slot(a, rate, `${tag} ${a.r.name} @ ${rate}/s`);
          searches[k]!.record({ nominal: rate, offered: s.offered, answered: s.answered });
          if (rate === o.latencyRate) a.latency.push(s.latencyNs);
        }
        if (!any) break;
      }
      accs.forEach((a, k) => {
        a.probes.push(searches[k]!.probes);
        a.maxRates.push(searches[k]!.result());
      });
    }
    const capacity: CapacityCheck[] = [];
    for (const a of accs) {
      if (!a.r.name.startsWith('neighproxy') || o.capacityFractions.length === 0) continue;
      const cap = median(a.flood.map((f) => f.replies));
      capacity.push(await checkBelowCapacity(a.r.name, cap, o.capacityFractions, o.rounds, (rate, label) => slot(a, rate, label)));
    }
    progress.end();

    const summaries: ResponderSummary[] = accs.map((a) => summarize(a, o));
    for (const f of failed) {
      const r = accs.find((x) => x.r.name === f.name);
      if (!r) summaries.push(errorSummary(f.name, f.error));
    }
    summaries.sort((x, y) => o.responders.indexOf(x.name) - o.responders.indexOf(y.name));
    const goals = evaluateGoals(summaries, { latencyRate: o.latencyRate, arpRate: o.arpRate });
    const load = loadavg();
    out(
      `neighproxy pps bench: ${o.rounds} round(s), ${o.duration}s per load, generator: ${driver.name}\n` +
        `machine: ${cpus().length} CPUs, Linux ${release()}, load average ${load.map((l) => l.toFixed(2)).join(' ')}` +
        (placement ? `; generator side on CPU ${placement.gen}, responders on CPU ${placement.responder}` : '; unpinned') +
        (o.realtime ? '; responder processes SCHED_FIFO' : '') +
        (load[0]! > 0.5 ? ' (busy: figures are noisy)' : '') +
        '\n\n',
    );
    out(resultsTable(summaries, o.latencyRate));
    for (const sm of summaries) {
      if (sm.captureDrops > 0) out(`warning: the capture ring dropped ${sm.captureDrops} replies of ${sm.name}: its figures are a lower bound\n`);
    }
    for (const sm of summaries) if (sm.description) out(`${sm.name}: ${sm.description}\n`);
    out('\n');
    out(capacityTable(capacity));
    out(goalsTable(goals));
    if (o.chart) {
      writeFileSync(o.chart, renderChart(chartSeries(accs), { title: 'Share answered against offered rate' }));
      out(`chart: ${o.chart}\n`);
    }
    if (o.json) {
      const doc = {
        bench: 'pps',
        started: started.toISOString(),
        finished: new Date().toISOString(),
        generator: driver.name,
        machine: { cpus: cpus().length, kernel: release(), loadavg: load },
        options: o,
        placement,
        cpuAccounting:
          'process responders: utime+stime of the responder process (/proc/PID/stat); kernel responders: softirq time ' +
          (placement ? `of the responder CPU ${placement.responder}` : 'summed over all CPUs') +
          ' (/proc/stat), tick-sampled, summed over all loads of the responder',
        responders: summaries,
        raw: accs.map((a) => ({ name: a.r.name, flood: a.flood, probes: a.probes, maxRates: a.maxRates })),
        belowCapacity: capacity,
        goals: goals.map((g) => ({ ...g, status: goalStatus(g) })),
      };
      writeFileSync(o.json, JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
      out(`json: ${o.json}\n`);
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    for (const a of accs) await a.r.stop().catch(() => undefined);
    if (o.profile) printProfiles(o.profile, started, out);
    if (o.perf) {
      for (const [name, run] of perfRuns) {
        out(perfSummary(o.perf, name));
        out(formatSplit(name, perfSplit(join(o.perf, `${name}.data`)), run.replies > 0 ? run.cpuUs / run.replies : undefined));
      }
    }
    tb.destroy();
    driver.close();
    rmSync(dir, { recursive: true, force: true });
    if (placement) pinSelf(`0-${cpus().length - 1}`);
  }
}

/** Sets the CPU affinity of every thread of this process (threads started later inherit it). */
function pinSelf(list: string): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', list, String(process.pid)], { stdio: 'ignore' });
  } catch {
    /* no taskset: unpinned */
  }
}

/** perf record -g of `pid` for `seconds`; resolves when perf has written its file. */
function startPerf(dir: string, name: string, pid: number, seconds: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  return new Promise((resolve) => {
    const p = spawn('perf', ['record', '-q', '-g', '-p', String(pid), '-o', join(dir, `${name}.data`), '--', 'sleep', String(seconds)], {
      stdio: 'ignore',
    });
    p.on('error', () => resolve());
    p.on('close', () => resolve());
  });
}

/** Where a responder's CPU went during its first flood, from its perf.data. */
function perfSummary(dir: string, name: string): string {
  const file = join(dir, `${name}.data`);
  const report = (args: string[]): string => {
    try {
      return execFileSync('perf', ['report', '-i', file, '--stdio', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return '';
    }
  };
  const pick = (text: string, n: number): string[] =>
    text.split('\n').filter((l) => /^\s+\d+\.\d+%/.test(l)).slice(0, n);
  const dso = pick(report(['--no-children', '--sort', 'dso']), 6);
  if (dso.length === 0) return `perf: no samples for ${name} in ${file}\n`;
  const inclusive = pick(report(['--children', '--sort', 'sym', '-g', 'none']), 40);
  return [`\nperf ${name} (${name.includes('@') ? 'first probe at that rate' : 'first flood'}; ${file}):`, 'by object (self):', ...dso, 'by symbol (with callees):', ...inclusive, ''].join('\n');
}

/** Summaries of the V8 profiles neighproxy wrote into `dir` during this run. */
function printProfiles(dir: string, since: Date, out: (s: string) => void): void {
  let files: string[] = [];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(dir, f))
      .filter((f) => statSync(f).mtimeMs >= since.getTime());
  } catch {
    /* no directory */
  }
  if (files.length === 0) out(`profile: none written to ${dir}\n`);
  for (const f of files) {
    out(`\nprofile ${f} (neighproxy, whole run: idle = waiting in the kernel or for frames)\n`);
    out(formatProfile(JSON.parse(readFileSync(f, 'utf8')) as Parameters<typeof formatProfile>[0], 15));
  }
}

function errorSummary(name: string, error: string): ResponderSummary {
  return {
    name, family: name.endsWith('-arp') ? 'arp' : 'ns', description: '', floodRepliesPerSec: NaN, floodOfferedPerSec: NaN,
    maxRate999: NaN, maxRateBound: 'none', answeredAt: {}, offeredAt: {}, latency: null, cpuUsPerReply: NaN, userUsPerReply: NaN,
    systemUsPerReply: NaN, softirqUsPerReply: NaN,
    cpuModel: name.startsWith('kernel') ? 'kernel' : 'process', peakRssKiB: NaN, replies: 0, captureDrops: 0, error,
  };
}

function summarize(a: Acc, o: BenchOptions): ResponderSummary {
  const answeredAt: Record<string, number> = {};
  const offeredAt: Record<string, number> = {};
  for (const rate of o.rates) {
    const ps = a.probes.map((round) => round.find((p) => p.nominal === rate)).filter((p): p is Probe => p !== undefined);
    if (ps.length) {
      answeredAt[String(rate)] = median(ps.map((p) => p.answered));
      offeredAt[String(rate)] = median(ps.map((p) => p.offered));
    }
  }
  let latency: ResponderSummary['latency'] = null;
  const n = a.latency.reduce((s, l) => s + l.length, 0);
  if (n > 0) {
    const all = new Float64Array(n);
    let k = 0;
    for (const l of a.latency) {
      all.set(l, k);
      k += l.length;
    }
    const sum = summarizeLatencyNs(all);
    const clock = a.latencyClock.every((c) => c === 'ring') ? 'ring' : a.latencyClock.every((c) => c === 'generator') ? 'generator' : 'mixed';
    latency = { rate: o.latencyRate, samples: n, p50us: sum.p50us, p99us: sum.p99us, p999us: sum.p999us, sendClock: clock };
  }
  const pid = a.r.pid();
  const found = a.maxRates.filter((m) => m.bound !== 'none');
  return {
    name: a.r.name,
    family: a.r.family,
    description: a.r.description,
    floodRepliesPerSec: median(a.flood.map((f) => f.replies)),
    floodOfferedPerSec: median(a.flood.map((f) => f.offered)),
    maxRate999: median(a.maxRates.map((m) => m.rate)),
    maxRateBound: found.length === 0 ? 'none' : found.every((m) => m.bound === 'max') ? 'max' : 'found',
    answeredAt,
    offeredAt,
    latency,
    cpuUsPerReply: a.replies > 0 ? (a.cpuSec / a.replies) * 1e6 : NaN,
    userUsPerReply: a.replies > 0 && a.r.cpuModel === 'process' ? (a.userSec / a.replies) * 1e6 : NaN,
    systemUsPerReply: a.replies > 0 && a.r.cpuModel === 'process' ? (a.sysSec / a.replies) * 1e6 : NaN,
    softirqUsPerReply: a.replies > 0 ? (a.softSec / a.replies) * 1e6 : NaN,
    cpuModel: a.r.cpuModel,
    peakRssKiB: pid ? peakRssKiB(pid) : NaN,
    replies: a.replies,
    captureDrops: a.captureDrops,
  };
}

/** One line per responder: per nominal rate, the median offered rate and share answered. */
function chartSeries(accs: Acc[]): ChartSeries[] {
  return accs.map((a) => {
    const byRate = new Map<number, Probe[]>();
    for (const p of a.probes.flat()) {
      const l = byRate.get(p.nominal) ?? [];
      l.push(p);
      byRate.set(p.nominal, l);
    }
    const points = [...byRate.values()].map((ps) => ({
      offered: median(ps.map((p) => p.offered)),
      answered: median(ps.map((p) => p.answered)),
    }));
    return { name: a.r.name, points };
  });
}
