// Reproduces issue 11's NS stall and burst loss against the daemon (`neighproxy run`),
// and the same load against the kernel's proxy_ndp/proxy_arp for comparison.
//
//   node dist/bench/stall/main.js [--family ns|arp|mixed] [--rate PPS|0] [--count N]
//        [--runs N] [--targets N] [--responder daemon|kernel] [--gen native|trafgen]
//        [--rx-frames N] [--keep]
//
// Layout: bench/pps/testbed.ts (generator namespace, responder namespace with c0).
// Requests come from fe80::1 (NS) or 198.51.100.2 (ARP) for `targets` addresses of a
// `self` rule; answers are counted on an RX ring in the generator namespace. For the
// daemon it prints, per run, the loss split from `ctl show stats` and, from a probe
// preloaded into the daemon (probe.ts), the event loop's worst delay in each second.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REJECT_ALL_FILTER } from '../../src/engine/filters';
import { generate } from '../../src/engine/generator';
import { Ring } from '../../src/engine/ring';
import { Testbed } from '../pps/testbed';
import { NS_TARGET_BASE, ReplyCounter, requestFrame, responderConfig, type Family } from './load';
import { trafgenArgs, trafgenConfig } from './trafgen';

const ROOT = join(__dirname, '..', '..', '..');

interface Proc { pid: number; threads: Map<string, { comm: string; utime: number; stime: number; waitNs: number; slices: number }> }

/** Per-thread CPU (clock ticks), run-queue wait and time slices from /proc (schedstat). */
function readThreads(pid: number): Proc['threads'] {
  const out = new Map<string, { comm: string; utime: number; stime: number; waitNs: number; slices: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [, waitNs, slices] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      out.set(tid, { comm, utime: Number(f[11]), stime: Number(f[12]), waitNs: waitNs!, slices: slices! });
    } catch { /* thread gone */ }
  }
  return out;
}

function softirqs(): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const line of readFileSync('/proc/softirqs', 'utf8').split('\n').slice(1)) {
    const m = line.trim().split(/\s+/);
    if (m.length > 1) out[m[0]!.replace(':', '')] = m.slice(1).map(Number);
  }
  return out;
}

function diffSoftirqs(a: Record<string, number[]>, b: Record<string, number[]>): string {
  return ['NET_RX', 'NET_TX', 'TIMER', 'RCU', 'SCHED'].map((k) => `${k} ${b[k]!.map((v, i) => v - a[k]![i]!).join('/')}`).join(', ');
}

function ctlStats(sock: string): Record<string, unknown> | null {
  try {
    const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'neighproxy'), 'ctl', '--control', sock, '--json', 'show', 'stats'], { encoding: 'utf8', timeout: 5000 });
    return JSON.parse(out) as Record<string, unknown>;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      family: { type: 'string', default: 'ns' },
      rate: { type: 'string', default: '25000' },
      /** Comma-separated rates, each run `runs` times: the loss sweep (e.g. 25000,50000,100000,200000). */
      rates: { type: 'string' },
      count: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '4' },
      targets: { type: 'string', default: '100' },
      responder: { type: 'string', default: 'daemon' },
      gen: { type: 'string', default: 'native' },
      'rx-frames': { type: 'string' },
      'frame-size': { type: 'string', default: '512' },
      'daemon-args': { type: 'string', default: '' },
      rt: { type: 'boolean', default: false },
    },
  });
  const families: Family[] = values.family === 'mixed' ? ['ns', 'arp'] : [values.family as Family];
  const rates = (values.rates ?? values.rate!).split(',').map(Number);
  const count = Number(values.count);
  const targets = Number(values.targets);
  const dir = mkdtempSync(join(tmpdir(), 'np-stall-'));
  const tb = new Testbed();
  const w = tb.wire('np', { kernelArp: values.responder === 'kernel' });
  const sock = join(dir, 'ctl.sock');
  let pid = 0;
  const logFile = join(dir, 'daemon.log');
  try {
    if (values.responder === 'kernel') {
      tb.exec(w.ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.c0.proxy_arp=1', 'net.ipv4.neigh.c0.proxy_delay=0',
        'net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.all.proxy_ndp=1', 'net.ipv6.conf.c0.proxy_ndp=1', 'net.ipv6.neigh.c0.proxy_delay=0']);
      tb.exec(w.ns, 'ip', ['addr', 'add', '198.51.100.129/25', 'dev', 'd0']);
      const lines: string[] = [];
      for (let t = 0; t < targets; t++) lines.push(`neigh add proxy ${NS_TARGET_BASE}${(t + 1).toString(16)} dev c0`);
      tb.exec(w.ns, 'ip', ['-6', '-batch', '-'], { input: lines.join('\n') + '\n' });
    } else {
      const conf = join(dir, 'np.conf');
      const rx = values['rx-frames'];
      writeFileSync(conf, responderConfig(targets));
      const extra = values['daemon-args'] ? values['daemon-args'].split(' ') : [];
      const env = { ...process.env, ...(rx ? { STALL_RX_FRAMES: rx, STALL_FRAME_SIZE: values['frame-size'] } : {}) };
      const child = spawnDaemon(w.ns, conf, sock, logFile, extra, env, values.rt === true);
      pid = child;
      await sleep(1500);
    }
    const netns = `/run/netns/${tb.gen}`;
    const replies = new ReplyCounter(netns, w.genIf);
    const tx = Ring.open(w.genIf, { netns, filter: REJECT_ALL_FILTER, rxFrames: 16, txFrames: 4096, frameSize: 256, qdiscBypass: true });
    if (pid) console.log(`# daemon pid ${pid}, ${readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s*(\d+ kB)/)?.[1]} resident`);
    const summary: string[] = [];
    for (const rate of rates) {
      console.log(`# ${values.responder}, ${families.join('+')}, ${count} requests at ${rate || 'flat out'}/s, ${targets} targets, generator ${values.gen}`);
      const pct: number[] = [];
      const drops: number[] = [];
      for (let run = 0; run < Number(values.runs); run++) {
        const before = { arp: replies.arp, na: replies.na, stats: pid ? ctlStats(sock) : null, threads: pid ? readThreads(pid) : null, soft: softirqs() };
        const t0 = Date.now();
        if (values.gen === 'trafgen') await runTrafgen(tb.gen, w.genIf, dir, families, count, rate, targets);
        else await runNative(tx, families, count, rate, targets);
        const sendMs = Date.now() - t0;
        await sleep(1000);
        const got = { arp: replies.arp - before.arp, na: replies.na - before.na };
        const sent = count * families.length;
        const answered = got.arp + got.na;
        pct.push((100 * answered) / sent);
        console.log(`run ${run + 1}: sent ${sent} in ${sendMs} ms, answered ${answered} (${(100 * answered / sent).toFixed(3)} %: ARP ${got.arp}, NA ${got.na}), capture drops ${replies.drops}`);
        console.log(`  softirqs ${diffSoftirqs(before.soft, softirqs())}`);
        if (pid) {
          const after = ctlStats(sock);
          drops.push(kernelDrops(after) - kernelDrops(before.stats));
          report(pid, before.stats, after, before.threads!, t0, logFile);
        }
      }
      const med = [...pct].sort((a, b) => a - b)[pct.length >> 1]!;
      summary.push(`${families.join('+')} at ${rate || 'flat out'}/s: answered ${med.toFixed(3)} % (median of ${pct.length}: ${pct.map((p) => p.toFixed(3)).join(' ')})` +
        (pid ? `, kernel ring drops per run ${drops.join(' ')}` : ''));
    }
    console.log(`# summary (${values.responder}, generator ${values.gen})\n${summary.join('\n')}`);
    tx.close();
    replies.ring.close();
  } finally {
    tb.destroy();
  }
}

function kernelDrops(s: Record<string, unknown> | null): number {
  return ((s?.interfaces as { ring: { kernelDrops: number } }[] | undefined)?.[0]?.ring.kernelDrops) ?? 0;
}

function spawnDaemon(ns: string, conf: string, sock: string, logFile: string, extra: string[], env: NodeJS.ProcessEnv, rt: boolean): number {
  const fd = openSync(logFile, 'a');
  // --rt: SCHED_FIFO 10, so that no ordinary task can keep the daemon off a CPU.
  const child = spawn('ip', ['netns', 'exec', ns, ...(rt ? ['chrt', '-f', '10'] : []), process.execPath, '--require', join(__dirname, 'probe.js'),
    join(ROOT, 'bin', 'neighproxy'), 'run', '--config', conf, '--control', sock, '--no-drop', '--log-level', 'warn', ...extra],
  { stdio: ['ignore', fd, fd], env });
  process.on('exit', () => child.kill('SIGKILL'));
  // `ip netns exec` and chrt exec: same pid.
  return child.pid!;
}

function report(pid: number, a: Record<string, unknown> | null, b: Record<string, unknown> | null, t0: Proc['threads'], since: number, logFile: string): void {
  const iface = (s: Record<string, unknown> | null) => (s?.interfaces as Record<string, any>[] | undefined)?.[0];
  const x = iface(a);
  const y = iface(b);
  if (x && y) {
    const d = (f: (s: any) => number) => f(y) - f(x);
    console.log(`  daemon: requests v4 ${d((s) => s.requests.ipv4)} v6 ${d((s) => s.requests.ipv6)}, kernel drops ${d((s) => s.ring.kernelDrops)}, ` +
      `tx full ${d((s) => s.ring.txRingFull)}, tx errors ${d((s) => s.ring.txErrors)}, unanswered v4 ${d((s) => s.unanswered.ipv4)} v6 ${d((s) => s.unanswered.ipv6)}, ` +
      `wakeups ${d((s) => s.ring.wakeups ?? 0)}, batches ${d((s) => s.ring.batches)}${y.loss ? `, loss ${JSON.stringify(y.loss)}` : ''}`);
  }
  const t1 = readThreads(pid);
  const parts: string[] = [];
  for (const [tid, v] of t1) {
    const u = t0.get(tid);
    if (!u) continue;
    const cpu = v.utime + v.stime - u.utime - u.stime;
    if (cpu === 0 && v.waitNs === u.waitNs) continue;
    parts.push(`${v.comm}:${tid} cpu ${cpu * 10} ms, runq wait ${((v.waitNs - u.waitNs) / 1e6).toFixed(1)} ms, slices ${v.slices - u.slices}`);
  }
  console.log(`  threads: ${parts.join('; ')}`);
  const loop = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.startsWith('{"probe"')).map((l) => JSON.parse(l) as {
    t: number; maxMs: number; elu: number; maxRingWaitMs: number; maxBatch: number; batches: number; frames: number;
    sync: Record<string, { n: number; maxMs: number }>; waitP50Us?: number; waitP99Us?: number; workP50Us?: number; workP99Us?: number;
  })
    .filter((p) => p.t >= since);
  console.log(`  loop delay max per second (ms): ${loop.map((p) => p.maxMs.toFixed(0)).join(' ')}; elu ${loop.map((p) => p.elu.toFixed(2)).join(' ')}`);
  console.log(`  ring wait max per second (ms): ${loop.map((p) => p.maxRingWaitMs.toFixed(0)).join(' ')}; largest batch ${loop.map((p) => p.maxBatch).join(' ')}`);
  // Where a request's time goes, per batch: waiting in the ring before its batch reached JS
  // (wake-up + scheduling), then the batch's work before the one sendto of its replies.
  const busy = loop.filter((p) => p.batches > 0);
  console.log(`  per batch, p50/p99 per second (us): ring wait ${busy.map((p) => `${p.waitP50Us}/${p.waitP99Us}`).join(' ')}; ` +
    `work ${busy.map((p) => `${p.workP50Us}/${p.workP99Us}`).join(' ')}; frames per batch ${busy.map((p) => (p.frames / p.batches).toFixed(1)).join(' ')}`);
  const calls = loop.map((p) => Object.entries(p.sync ?? {}).map(([k, v]) => `${k} ${v.maxMs}`).join('+') || '-');
  console.log(`  synchronous calls per second, longest (ms): ${calls.join(' | ')}`);
}

async function runNative(tx: Ring, families: Family[], count: number, rate: number, targets: number): Promise<void> {
  // Mixed: NS and ARP alternate frame by frame (two templates in rotation, target + i % targets).
  const templates = families.map((f) => requestFrame(f));
  const vary = templates.length === 1 ? targets : 0;
  if (templates.length > 1) {
    templates.length = 0;
    for (let t = 0; t < targets; t++) for (const f of families) templates.push(requestFrame(f, t));
  }
  await generate(tx, { templates, count: count * families.length, ratePps: rate * families.length, varyTarget: vary });
}

async function runTrafgen(ns: string, ifname: string, dir: string, families: Family[], count: number, rate: number, targets: number): Promise<void> {
  const cfg = join(dir, 'trafgen.cfg');
  const frames: Uint8Array[] = [];
  for (let t = 0; t < targets; t++) for (const f of families) frames.push(requestFrame(f, t));
  writeFileSync(cfg, trafgenConfig(frames));
  const args = ['netns', 'exec', ns, 'trafgen', ...trafgenArgs(cfg, ifname, count * families.length, rate * families.length)];
  await new Promise<void>((resolve, reject) => {
    const c = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`trafgen: exit ${code}: ${err.trim()}`))));
  });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
