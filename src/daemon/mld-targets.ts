// Solicited-node groups of the targets an interface answered or learned (issue 13 item 3,
// the rest): added to the statics' and /128 rules' groups at each reconcile, bounded so the
// interface never holds more than MLD_MAX_GROUPS in all (newest answers first, then learned
// entries), and left when they age out of the cache timeout. And the join metrics.
import { Counter, Gauge, type Registry } from 'prom-client';
import { solicitedNodeGroup } from '../config/joins';
import { parseIp6 } from '../net/addr';
import type { IfaceSlot } from '../pipeline/pipeline';
import type { MulticastJoins } from './mld';

/** Seconds between two reconciles driven by answered and learned targets. */
export const DYNAMIC_JOIN_INTERVAL = 5;

/** A learned cache entry as `ctl show cache` lists it. */
export interface LearnedEntry {
  interface: string;
  family: number;
  address: string;
}

/**
 * Adds to `groups` (the interface's static groups) the groups of IPv6 targets answered since
 * `since`, then of learned IPv6 entries, until `max` groups in all. Returns how many were left out.
 */
export function addDynamicGroups(groups: Set<string>, slot: IfaceSlot, since: number, learned: readonly LearnedEntry[], max: number): number {
  let left = 0;
  const add = (g: string): void => {
    if (groups.has(g)) return;
    if (groups.size >= max) left++;
    else groups.add(g);
  };
  for (const t of slot.answered.since(since)) if (t.family === 6) add(solicitedNodeGroup(t.words));
  for (const e of learned) {
    if (e.family !== 6 || e.interface !== slot.name) continue;
    const a = parseIp6(e.address);
    if (a) add(solicitedNodeGroup(a));
  }
  return left;
}

/** Joins in force, failed joins and leaves, groups left out, and rtnetlink resyncs. */
export function registerJoinMetrics(registry: Registry, mld: MulticastJoins | null, names: () => string[], kernel: () => { resyncs: number } | null): void {
  new Gauge({
    name: 'neighproxy_mld_groups_joined', help: 'Solicited-node groups joined, per interface.', labelNames: ['interface'], registers: [registry],
    collect(this: Gauge) { this.reset(); if (mld) for (const n of names()) this.set({ interface: n }, mld.groups(n).length); },
  });
  new Counter({
    name: 'neighproxy_mld_join_failures_total', help: 'Joins and leaves the kernel refused (logged as mld_join_failed / mld_leave_failed).', registers: [registry],
    collect(this: Counter) { this.reset(); if (mld) this.inc(mld.counters.failed); },
  });
  new Counter({
    name: 'neighproxy_mld_groups_over_limit_total', help: 'Groups not joined because the interface held the most allowed (MLD_MAX_GROUPS).', registers: [registry],
    collect(this: Counter) { this.reset(); if (mld) this.inc(mld.counters.overLimit); },
  });
  new Counter({
    name: 'neighproxy_mld_deferred_total', help: 'Joins and leaves of learned groups put off to a later reconcile, by reason (mld_budget: limit interface mld).',
    labelNames: ['op', 'reason'], registers: [registry],
    collect(this: Counter) {
      this.reset();
      if (!mld) return;
      this.inc({ op: 'join', reason: 'mld_budget' }, mld.counters.deferredJoins);
      this.inc({ op: 'leave', reason: 'mld_budget' }, mld.counters.deferredLeaves);
    },
  });
  new Gauge({
    name: 'neighproxy_mld_groups_held', help: 'Joined groups no longer wanted, kept for the hold (MLD_HOLD_SECONDS) so an address that comes and goes costs no reports.',
    labelNames: ['interface'], registers: [registry],
    collect(this: Gauge) { this.reset(); if (mld) for (const n of names()) this.set({ interface: n }, mld.held(n)); },
  });
  new Counter({
    name: 'neighproxy_netlink_resyncs_total', help: 'rtnetlink state read again after lost events (ENOBUFS) or a new socket.', registers: [registry],
    collect(this: Counter) { this.reset(); this.inc(kernel()?.resyncs ?? 0); },
  });
}
