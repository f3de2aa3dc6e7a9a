// Counters for operators. The hot path only bumps numbers in typed arrays owned by an
// InterfaceStats; prom-client reads them when Prometheus scrapes (collect callbacks),
// so a frame never costs a prom-client call, a label lookup or an allocation.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { RingCounters } from '../engine/types';
import { REASON_COUNT, REASON_NAMES } from '../policy/decision';
import type { ListenAddress } from './args';

export const FAMILY_V4 = 0;
export const FAMILY_V6 = 1;
export const FAMILY_NAMES = ['ipv4', 'ipv6'] as const;

/**
 * What an answer was, for `neighproxy_replies_total{action}`. Indexes are stable: the
 * pipeline maps the policy's answer kind to one of these.
 */
export const REPLY_ACTIONS = ['tell', 'redirect', 'mac', 'self', 'route', 'template', 'static', 'other'] as const;
export const REPLY_OTHER = REPLY_ACTIONS.length - 1;

/** Decision time histogram bounds, seconds. */
export const DECISION_BUCKETS = [1e-6, 2e-6, 5e-6, 10e-6, 20e-6, 50e-6, 100e-6, 250e-6, 1e-3, 10e-3];
const NB = DECISION_BUCKETS.length + 1; // + Inf

/** Size of the per-interface drop table; codes at or above it count in the last slot. */
export const MAX_DROP_CODES = 64;

/** Counters of one interface. Kept across reloads and ring reopenings: they never go back. */
export class InterfaceStats {
  readonly requests = new Float64Array(2);
  /** [family * REPLY_ACTIONS.length + action] */
  readonly replies = new Float64Array(2 * REPLY_ACTIONS.length);
  /** Requests a policy decided not to answer (ignore, unknown target, delay not yet due). */
  readonly unanswered = new Float64Array(2);
  /** Answers sent after a `delay` window or a wait for a redirect target's MAC. */
  readonly delayedAnswered = new Float64Array(2);
  /** Frames the wire parser rejected, by drop code. */
  readonly drops = new Float64Array(MAX_DROP_CODES);
  /** Replies that found the TX ring full. */
  readonly txFull = new Float64Array(1);
  /** Requests not answered, by the decision's reason: [family * REASON_COUNT + reason] (silent and dropped verdicts). */
  readonly unansweredByReason = new Float64Array(2 * REASON_COUNT);
  /** Requests the policy answered whose reply found the TX ring full, per family. */
  readonly answerTxFull = new Float64Array(2);
  /** [family * NB + bucket], plus sums per family. */
  readonly decisionBuckets = new Float64Array(2 * NB);
  readonly decisionSum = new Float64Array(2);
  /** Ring counters accumulated over closed rings, so reopening never resets a series. */
  readonly ringBase: RingCounters = emptyRingCounters();
  /** The open ring's counters, or null while the interface has no ring. */
  ringCounters: (() => RingCounters) | null = null;

  constructor(readonly name: string) {}

  /** Hot path: one observation of a decision's duration in seconds. */
  observeDecision(family: number, seconds: number): void {
    let b = 0;
    while (b < DECISION_BUCKETS.length && seconds > DECISION_BUCKETS[b]!) b++;
    this.decisionBuckets[family * NB + b]!++;
    this.decisionSum[family]! += seconds;
  }

  countDrop(code: number): void {
    this.drops[code < MAX_DROP_CODES ? code : MAX_DROP_CODES - 1]!++;
  }

  /** Current ring counters including those of rings closed before. */
  ring(): RingCounters {
    const now = this.ringCounters?.() ?? emptyRingCounters();
    const out = emptyRingCounters();
    for (const k of Object.keys(out) as (keyof RingCounters)[]) out[k] = this.ringBase[k] + now[k];
    return out;
  }

  /** Called when the ring closes: its counters fold into the base. */
  retireRing(): void {
    if (!this.ringCounters) return;
    const last = this.ringCounters();
    for (const k of Object.keys(last) as (keyof RingCounters)[]) this.ringBase[k] += last[k];
    this.ringCounters = null;
  }
}

export function emptyRingCounters(): RingCounters {
  return { framesReceived: 0, batches: 0, repliesSent: 0, txRingFull: 0, kernelDrops: 0, kernelFreezes: 0, kernelPackets: 0, txErrors: 0, socketErrors: 0 };
}

/**
 * Cache figures at scrape time. The policy keeps one table for all interfaces: entries are
 * counted per interface and family, the event counters are for the whole table.
 */
export interface CacheFigures {
  entries: { iface: string; family: number; size: number }[];
  capacity: number;
  evictions: number;
  /** Entries dropped after their refresh probes went unanswered. */
  refreshFailures: number;
  /** Redirect targets whose MAC could not be resolved. */
  resolveFailures: number;
}

export interface MetricsSources {
  /** Every interface's stats, including interfaces no longer configured (their series stay). */
  interfaces(): Iterable<InterfaceStats>;
  /** Name of a drop code (src/wire drop table). */
  dropName(code: number): string;
  cache(): CacheFigures;
  reloads(): { ok: number; failed: number };
}

/** A histogram whose buckets live in InterfaceStats; prom-client only formats it. */
class DecisionHistogram {
  readonly name = 'neighproxy_decision_seconds';
  readonly help = 'Time from parsed frame to decision (policy.handle plus reply build), seconds.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(private readonly src: MetricsSources) {}
  async get(): Promise<unknown> {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const s of this.src.interfaces()) {
      for (let f = 0; f < 2; f++) {
        const labels = { interface: s.name, family: FAMILY_NAMES[f]! };
        let cum = 0;
        for (let b = 0; b < NB; b++) {
          cum += s.decisionBuckets[f * NB + b]!;
          const le = b < DECISION_BUCKETS.length ? DECISION_BUCKETS[b]! : '+Inf';
          values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: cum });
        }
        values.push({ metricName: `${this.name}_sum`, labels, value: s.decisionSum[f]! });
        values.push({ metricName: `${this.name}_count`, labels, value: cum });
      }
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
  reset(): void {}
}

/** Builds the registry; every value is read from `src` at scrape time. */
export function createRegistry(src: MetricsSources): Registry {
  const registry = new Registry();
  const counter = (name: string, help: string, labelNames: string[], fill: (c: Counter) => void): void => {
    new Counter({
      name, help, labelNames, registers: [registry],
      collect(this: Counter) { this.reset(); fill(this); },
    });
  };
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge) => void): void => {
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect(this: Gauge) { this.reset(); fill(this); },
    });
  };
  const perFamily = (pick: (s: InterfaceStats) => Float64Array) => (c: Counter) => {
    for (const s of src.interfaces()) {
      const a = pick(s);
      for (let f = 0; f < 2; f++) c.inc({ interface: s.name, family: FAMILY_NAMES[f]! }, a[f]!);
    }
  };

  counter('neighproxy_requests_total', 'ARP requests and neighbor solicitations handed to the policy.',
    ['interface', 'family'], perFamily((s) => s.requests));
  counter('neighproxy_replies_total', 'Replies sent, by what the answer was.', ['interface', 'family', 'action'], (c) => {
    for (const s of src.interfaces()) {
      for (let f = 0; f < 2; f++) {
        for (let a = 0; a < REPLY_ACTIONS.length; a++) {
          const v = s.replies[f * REPLY_ACTIONS.length + a]!;
          if (v > 0 || a < REPLY_OTHER) c.inc({ interface: s.name, family: FAMILY_NAMES[f]!, action: REPLY_ACTIONS[a]! }, v);
        }
      }
    }
  });
  counter('neighproxy_unanswered_total', 'Requests the policy decided not to answer.',
    ['interface', 'family'], perFamily((s) => s.unanswered));
  counter('neighproxy_unanswered_by_reason_total', 'Requests not answered by decision, by the decision\'s reason (loss.ts).',
    ['interface', 'family', 'reason'], (c) => {
      for (const s of src.interfaces()) {
        for (let i = 0; i < s.unansweredByReason.length; i++) {
          const v = s.unansweredByReason[i]!;
          if (v > 0) c.inc({ interface: s.name, family: FAMILY_NAMES[(i / REASON_COUNT) | 0]!, reason: REASON_NAMES[i % REASON_COUNT]! }, v);
        }
      }
    });
  counter('neighproxy_answer_tx_ring_full_total', 'Requests answered by the policy whose reply found the TX ring full.',
    ['interface', 'family'], perFamily((s) => s.answerTxFull));
  counter('neighproxy_delayed_answered_total', 'Answers sent after a delay window or a wait for a MAC.',
    ['interface', 'family'], perFamily((s) => s.delayedAnswered));
  counter('neighproxy_drops_total', 'Frames rejected by validation, by reason.', ['interface', 'reason'], (c) => {
    for (const s of src.interfaces()) {
      for (let code = 1; code < MAX_DROP_CODES; code++) {
        const v = s.drops[code]!;
        if (v > 0) c.inc({ interface: s.name, reason: src.dropName(code) }, v);
      }
    }
  });
  counter('neighproxy_tx_ring_full_total', 'Replies not sent because the TX ring was full.', ['interface'], (c) => {
    // s.txFull counts every failed reserve (answers and the policy's own frames); the ring's
    // STAT_TX_FULL counts the same events again, so it is not added.
    for (const s of src.interfaces()) c.inc({ interface: s.name }, s.txFull[0]!);
  });
  counter('neighproxy_kernel_drops_total', 'Frames the kernel dropped because the RX ring was full (PACKET_STATISTICS).',
    ['interface'], (c) => { for (const s of src.interfaces()) c.inc({ interface: s.name }, s.ring().kernelDrops); });
  counter('neighproxy_socket_errors_total', 'Socket errors read and cleared on the ring (ENETDOWN when the device went down); the ring keeps running.',
    ['interface'], (c) => { for (const s of src.interfaces()) c.inc({ interface: s.name }, s.ring().socketErrors); });
  counter('neighproxy_tx_errors_total', 'Reply sends the kernel refused (ENETDOWN while the device is down); the frames leave once it is up.',
    ['interface'], (c) => { for (const s of src.interfaces()) c.inc({ interface: s.name }, s.ring().txErrors); });
  counter('neighproxy_frames_received_total', 'Frames read from the RX ring (after the BPF filter).',
    ['interface'], (c) => { for (const s of src.interfaces()) c.inc({ interface: s.name }, s.ring().framesReceived); });
  gauge('neighproxy_cache_entries', 'Neighbour cache entries.', ['interface', 'family'], (g) => {
    for (const e of src.cache().entries) g.set({ interface: e.iface, family: FAMILY_NAMES[e.family]! }, e.size);
  });
  gauge('neighproxy_cache_capacity', 'Neighbour cache capacity (tablesize).', [], (g) => g.set(src.cache().capacity));
  counter('neighproxy_cache_evictions_total', 'Cache entries evicted because the table was full.', [], (c) => c.inc(src.cache().evictions));
  counter('neighproxy_refresh_failures_total', 'Cache entries that expired after unanswered refresh probes.', [], (c) => c.inc(src.cache().refreshFailures));
  counter('neighproxy_resolve_failures_total', 'Redirect targets whose MAC could not be resolved.', [], (c) => c.inc(src.cache().resolveFailures));
  counter('neighproxy_reloads_total', 'Configuration reloads (SIGHUP), by result.', ['result'], (c) => {
    const r = src.reloads();
    c.inc({ result: 'ok' }, r.ok);
    c.inc({ result: 'failed' }, r.failed);
  });
  registry.registerMetric(new DecisionHistogram(src) as never);
  return registry;
}

/** Serves GET /metrics. Resolves once listening; rejects with the listen error (.code EADDRINUSE...). */
export async function serveMetrics(registry: Registry, addr: ListenAddress): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
