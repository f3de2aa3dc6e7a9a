// The exporter: Prometheus reads counters that other layers own and increment (the
// pipeline's InterfaceStats, the engine's ring counters, the policy's cache figures).
// prom-client reads them when Prometheus scrapes (collect callbacks), so a frame never
// costs a prom-client call, a label lookup or an allocation; nothing here increments.
import { Counter, Gauge, Registry } from 'prom-client';
import {
  DECISION_BUCKETS, DECISION_CELLS as NB, FAMILY_NAMES, MAX_DROP_CODES, REPLY_ACTIONS, REPLY_OTHER, type InterfaceStats,
} from '../pipeline/stats';
import { REASON_COUNT, REASON_NAMES } from '../policy/decision';
import type { ProbeStats } from '../policy/probe';
import type { AutowireCounts } from './autowire';

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
  /** Takeover guard (src/policy/guard.ts); absent from sources that have none. */
  takeover?: { conflicts: number; moves: number; freezes: number; pinnedRefused?: number };
  /** Per-source limits (src/policy/limiter.ts); absent from sources that have none. */
  limits?: LimitFigures;
}

/** Requests not answered and frames not sent because of a limit, by reason; learns over a MAC's quota. */
export interface LimitFigures {
  requests: Record<string, number>;
  sends: Record<string, number>;
  quotaRefused: number;
}

export interface MetricsSources {
  /** Every interface's stats, including interfaces no longer configured (their series stay). */
  interfaces(): Iterable<InterfaceStats>;
  /** Name of a drop code (src/wire drop table). */
  dropName(code: number): string;
  cache(): CacheFigures;
  reloads(): { ok: number; failed: number };
  /** `probe` rules' figures (ProbeQueue.stats); absent or null: the series read 0. */
  probes?(): ProbeStats | null;
  /** Host routes of `autowire` (Autowire.counts and its route count); absent or null: 0. */
  autowire?(): { counts: AutowireCounts; routes: number } | null;
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
  const counter: Fill<Counter> = (name, help, labelNames, fill) => {
    new Counter({
      name, help, labelNames, registers: [registry],
      collect(this: Counter) { this.reset(); fill(this); },
    });
  };
  const gauge: Fill<Gauge> = (name, help, labelNames, fill) => {
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
  counter('neighproxy_tx_ring_full_total', 'Frames not sent because the TX ring was full (counted by the ring, once per refused frame).', ['interface'], (c) => {
    for (const s of src.interfaces()) c.inc({ interface: s.name }, s.ring().txRingFull);
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
  counter('neighproxy_takeover_conflicts_total', 'Claims of a live address by another MAC refused because the owner answered our probe.', [],
    (c) => c.inc(src.cache().takeover?.conflicts ?? 0));
  counter('neighproxy_takeover_moves_total', 'Addresses moved to another MAC after the owner failed to answer a probe.', [],
    (c) => c.inc(src.cache().takeover?.moves ?? 0));
  counter('neighproxy_takeover_freezes_total', 'Addresses frozen by move dampening (more than 5 moves in 180 s; alert on any increase).', [],
    (c) => c.inc(src.cache().takeover?.freezes ?? 0));
  counter('neighproxy_limited_requests_total', 'Requests not answered because a per-source or per-interface limit was reached (reason rate_limited), by bucket.', ['reason'],
    (c) => { for (const [reason, v] of Object.entries(src.cache().limits?.requests ?? {})) c.inc({ reason }, v); });
  counter('neighproxy_limited_sends_total', 'Resolutions and probes not sent because a send limit was reached, by bucket.', ['reason'],
    (c) => { for (const [reason, v] of Object.entries(src.cache().limits?.sends ?? {})) c.inc({ reason }, v); });
  counter('neighproxy_cache_quota_refused_total', 'Learns refused because the MAC holds its quota of entries (limit entries).', [],
    (c) => c.inc(src.cache().limits?.quotaRefused ?? 0));
  counter('neighproxy_takeover_pinned_refused_total', 'Claims from another MAC refused because the address is pinned (pin or static).', [],
    (c) => c.inc(src.cache().takeover?.pinnedRefused ?? 0));
  counter('neighproxy_reloads_total', 'Configuration reloads (SIGHUP), by result.', ['result'], (c) => {
    const r = src.reloads();
    c.inc({ result: 'ok' }, r.ok);
    c.inc({ result: 'failed' }, r.failed);
  });
  probeMetrics(src, counter, gauge);
  registry.registerMetric(new DecisionHistogram(src) as never);
  return registry;
}

type Fill<T> = (name: string, help: string, labelNames: string[], fill: (m: T) => void) => void;

/** Series of `probe` rules and `autowire`: read from ProbeQueue.stats and Autowire.counts, which own them. */
function probeMetrics(src: MetricsSources, counter: Fill<Counter>, gauge: Fill<Gauge>): void {
  const p = (): ProbeStats | null => src.probes?.() ?? null;
  const tables = ['alive', 'absent'] as const;
  counter('neighproxy_probes_sent_total', 'Probes (ARP requests, neighbor solicitations) sent on probed interfaces.', [], (c) => c.inc(p()?.sent ?? 0));
  counter('neighproxy_probes_rate_limited_total', 'Probes not sent because the per-interface probe rate was exceeded.', [], (c) => c.inc(p()?.limited ?? 0));
  counter('neighproxy_probe_answers_total', 'Queued requests answered once the probed target replied.', [], (c) => c.inc(p()?.answered ?? 0));
  counter('neighproxy_probe_cache_hits_total', 'Lookups that found a live entry in the probe alive or absent table.', ['table'], (c) => {
    const s = p();
    for (const t of tables) c.inc({ table: t }, s?.[t].hits ?? 0);
  });
  counter('neighproxy_probe_cache_evictions_total', 'Probe table entries replaced before their expiry because their set was full.', ['table'], (c) => {
    const s = p();
    for (const t of tables) c.inc({ table: t }, s?.[t].evictions ?? 0);
  });
  gauge('neighproxy_probe_cache_entries', 'Live entries of the probe alive and absent tables.', ['table'], (g) => {
    const s = p();
    for (const t of tables) g.set({ table: t }, s?.[t].entries ?? 0);
  });
  gauge('neighproxy_probe_cache_capacity', 'Capacity of the probe alive and absent tables.', ['table'], (g) => {
    const s = p();
    for (const t of tables) g.set({ table: t }, s?.[t].capacity ?? 0);
  });
  const a = () => src.autowire?.() ?? null;
  counter('neighproxy_autowire_routes_installed_total', 'Host routes installed for probed hosts (proto 78).', [], (c) => c.inc(a()?.counts.added ?? 0));
  counter('neighproxy_autowire_routes_removed_total', 'Host routes of this run removed (entry expired, rule gone, stop).', [], (c) => c.inc(a()?.counts.removed ?? 0));
  counter('neighproxy_autowire_routes_flushed_total', 'Host routes with our protocol left by an earlier run and removed at start.', [], (c) => c.inc(a()?.counts.flushed ?? 0));
  counter('neighproxy_autowire_routes_existing_total', 'Host routes not installed because a route to the host existed (not ours: left alone).', [], (c) => c.inc(a()?.counts.existed ?? 0));
  counter('neighproxy_autowire_failures_total', 'Host route installs or removals the kernel refused.', [], (c) => c.inc(a()?.counts.failed ?? 0));
  gauge('neighproxy_autowire_routes', 'Host routes installed by this run now.', [], (g) => g.set(a()?.routes ?? 0));
}

export { ScrapeCache, serveMetrics, type MetricsServerOptions } from './metrics-server';
