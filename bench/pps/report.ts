// Output of the pps bench: the terminal table, the goals with PASS/MISS, a progress bar.
import { formatRate } from './chart';

export interface ResponderSummary {
  name: string;
  family: 'arp' | 'ns';
  description: string;
  /** Median over rounds of replies per second under flood. */
  floodRepliesPerSec: number;
  /** Median over rounds of the generator's achieved rate in the flood. */
  floodOfferedPerSec: number;
  /** Median over rounds of the highest offered rate answered at >= 99.9%. */
  maxRate999: number;
  /** 'max' when it never failed (the limit is the generator's), 'none' when it always did. */
  maxRateBound: 'found' | 'max' | 'none';
  /** Share answered at each grid rate (median over rounds), keyed by nominal rate. */
  answeredAt: Record<string, number>;
  /** Achieved offered rate at each grid rate (median over rounds), keyed by nominal rate. */
  offeredAt: Record<string, number>;
  latency: {
    rate: number;
    samples: number;
    p50us: number;
    p99us: number;
    p999us: number;
    /** 'ring': send times are ring timestamps of the requests arriving at the responder; 'generator': the generator's clock after sendto(). */
    sendClock?: string;
  } | null;
  /** Responder CPU (process: utime+stime; kernel: softirq) per reply, microseconds. */
  cpuUsPerReply: number;
  /** The process's user and system (kernel, in its syscalls) shares of cpuUsPerReply; NaN for the kernel. */
  userUsPerReply: number;
  systemUsPerReply: number;
  /** Softirq time of all CPUs per reply during this responder's slots, microseconds. */
  softirqUsPerReply: number;
  cpuModel: 'kernel' | 'process';
  /** VmHWM in KiB, NaN for the kernel. */
  peakRssKiB: number;
  replies: number;
  captureDrops: number;
  error?: string;
}

export interface Goal {
  text: string;
  measured: number;
  target: number;
  /** 'ge': pass when measured >= target; 'le': when measured <= target. */
  op: 'ge' | 'le';
  unit: string;
  /** Why it could not be measured, when it could not. */
  missing?: string;
}

export function goalStatus(g: Goal): 'PASS' | 'MISS' | 'N/A' {
  if (g.missing || !Number.isFinite(g.measured)) return 'N/A';
  return (g.op === 'ge' ? g.measured >= g.target : g.measured <= g.target) ? 'PASS' : 'MISS';
}

function byName(rs: readonly ResponderSummary[], name: string): ResponderSummary | undefined {
  return rs.find((r) => r.name === name && !r.error);
}

function ratioGoal(rs: readonly ResponderSummary[], a: string, b: string, target: number): Goal {
  const ra = byName(rs, a);
  const rb = byName(rs, b);
  const missing = !ra ? `${a} not measured` : !rb ? `${b} not measured` : undefined;
  return {
    text: `${a} flood replies/s vs ${b}`,
    measured: ra && rb && rb.floodRepliesPerSec > 0 ? ra.floodRepliesPerSec / rb.floodRepliesPerSec : NaN,
    target,
    op: 'ge',
    unit: 'x',
    missing,
  };
}

/** Tolerated shortfall of the achieved rate against the asked one before a goal read there is void. */
export const OFFER_TOLERANCE = 0.95;

/** Why a figure read at `rate` says nothing about that rate: the generator did not reach it. */
function shortOffer(r: ResponderSummary, rate: number): string | undefined {
  const offered = r.offeredAt[String(rate)];
  if (offered === undefined || offered >= OFFER_TOLERANCE * rate) return undefined;
  return `generator reached only ${formatRate(offered)}/s of ${formatRate(rate)}/s`;
}

/** The goals, evaluated on the summaries of one run. */
export function evaluateGoals(rs: readonly ResponderSummary[], opts: { latencyRate: number; arpRate: number }): Goal[] {
  const goals: Goal[] = [
    ratioGoal(rs, 'neighproxy-arp', 'kernel-arp', 1),
    ratioGoal(rs, 'neighproxy-ns', 'kernel-ns', 2),
    ratioGoal(rs, 'neighproxy-ns', 'ndppd', 10),
    ratioGoal(rs, 'neighproxy-ns', 'npd6', 10),
  ];
  const arp = byName(rs, 'neighproxy-arp');
  const at = arp?.answeredAt[String(opts.arpRate)];
  goals.push({
    text: `neighproxy-arp share answered at ${formatRate(opts.arpRate)} ARP requests/s`,
    measured: at === undefined ? NaN : at * 100,
    target: 99.9,
    op: 'ge',
    unit: '%',
    missing: !arp
      ? 'neighproxy-arp not measured'
      : at === undefined
        ? `${opts.arpRate}/s not in the rate grid`
        : shortOffer(arp, opts.arpRate),
  });
  for (const name of ['neighproxy-arp', 'neighproxy-ns']) {
    const r = byName(rs, name);
    goals.push({
      text: `${name} p99 latency at ${formatRate(opts.latencyRate)} requests/s`,
      measured: r?.latency ? r.latency.p99us : NaN,
      target: 200,
      op: 'le',
      unit: 'us',
      missing: !r ? `${name} not measured` : !r.latency ? 'no latency samples' : shortOffer(r, opts.latencyRate),
    });
  }
  for (const name of ['neighproxy-arp', 'neighproxy-ns']) {
    const r = byName(rs, name);
    goals.push({
      text: `${name} CPU per reply`,
      measured: r ? r.cpuUsPerReply : NaN,
      target: 1,
      op: 'le',
      unit: 'us',
      missing: !r ? `${name} not measured` : undefined,
    });
  }
  return goals;
}

function num(v: number, digits = 1): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v.toFixed(digits);
}

/** A fixed-width text table: first row is the header. */
export function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n') + '\n';
}

export function resultsTable(rs: readonly ResponderSummary[], latencyRate: number): string {
  const rows = [
    [
      'responder', 'flood rep/s', 'offered/s', 'max@99.9%', `p50 us`, `p99 us`, `p99.9 us`,
      'cpu us/rep', 'usr/sys', 'softirq us/rep', 'VmHWM MiB',
    ],
  ];
  for (const r of rs) {
    if (r.error) {
      rows.push([r.name, `error: ${r.error.slice(0, 60)}`, '', '', '', '', '', '', '', '', '']);
      continue;
    }
    const l = r.latency;
    rows.push([
      r.name,
      formatRate(r.floodRepliesPerSec),
      formatRate(r.floodOfferedPerSec),
      r.maxRateBound === 'none' ? 'none' : (r.maxRateBound === 'max' ? '>=' : '') + formatRate(r.maxRate999),
      l ? num(l.p50us) + (l.sendClock === 'ring' ? '' : '~') : 'n/a',
      l ? num(l.p99us) : 'n/a',
      l ? num(l.p999us) : 'n/a',
      num(r.cpuUsPerReply, 2) + (r.cpuModel === 'kernel' ? '*' : ''),
      r.cpuModel === 'kernel' ? '' : `${num(r.userUsPerReply, 2)}/${num(r.systemUsPerReply, 2)}`,
      num(r.softirqUsPerReply, 2),
      Number.isFinite(r.peakRssKiB) ? num(r.peakRssKiB / 1024) : 'n/a',
    ]);
  }
  return (
    textTable(rows) +
    `latency at ${formatRate(latencyRate)} requests/s, ring timestamps of request (at the responder) and reply (~: generator send times)\n` +
    'cpu: processes = utime+stime (/proc/PID/stat); * kernel = softirq time (/proc/stat) of the responder CPU (all CPUs when unpinned)\n'
  );
}

export function goalsTable(goals: readonly Goal[]): string {
  const rows = [['goal', 'measured', 'target', 'status']];
  for (const g of goals) {
    const st = goalStatus(g);
    rows.push([
      g.text,
      g.missing ? `n/a (${g.missing})` : `${num(g.measured, g.unit === 'x' ? 2 : 1)} ${g.unit}`,
      `${g.op === 'ge' ? '>=' : '<='} ${g.target} ${g.unit}`,
      st,
    ]);
  }
  return textTable(rows);
}

/** A one-line progress bar on stderr, drawn only when stderr is a TTY. */
export class Progress {
  private done = 0;
  private readonly tty = process.stderr.isTTY === true;
  private readonly started = Date.now();
  constructor(private total: number) {}

  setTotal(total: number): void {
    this.total = Math.max(total, this.done);
  }

  step(label: string): void {
    this.done++;
    this.draw(label);
  }

  draw(label: string): void {
    if (!this.tty) return;
    process.stderr.write(`\r${progressLine(this.done, this.total, label, (Date.now() - this.started) / 1000)}\x1b[K`);
  }

  end(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }
}

export function progressLine(done: number, total: number, label: string, elapsedSec: number, width = 30): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}% ${elapsedSec.toFixed(0)}s ${label}`;
}
