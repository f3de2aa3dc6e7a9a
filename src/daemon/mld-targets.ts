// Solicited-node groups of the targets an interface answered or learned (issue 13 item 3,
// the rest): added to the statics' and /128 rules' groups at each reconcile, bounded so the
// interface never holds more than MLD_MAX_GROUPS in all (newest answers first, then learned
// entries), and left when they age out of the cache timeout. And the join metrics.
import { Counter, Gauge, type Registry } from 'prom-client';
import { solicitedNodeGroup } from '../config/joins';
import { newIp6, parseIp6 } from '../net/addr';
import type { IfaceSlot } from '../pipeline/pipeline';
import type { MulticastJoins } from './mld';
import type { PolicyCore } from './ports';

/** Seconds between two reconciles driven by answered and learned targets. */
export const DYNAMIC_JOIN_INTERVAL = 5;

/** A learned cache entry as `ctl show cache` lists it. */
export interface LearnedEntry {
  interface: string;
  family: number;
  address: string;
}

/**
 * The learned entries as the cache snapshot reads them (cache-dump.ts EntrySource.v6At):
 * entry `i`'s interface when it is IPv6, its words in `out`. No object or string per
 * entry: the objects of a 65 536-entry dump, parsed back, held one thread 0.6-2.2 s every
 * DYNAMIC_JOIN_INTERVAL under a flood (issue 12; kernel ring drops with workers 1).
 */
export interface LearnedV6 {
  readonly length: number;
  v6At(i: number, out: Uint32Array): string | undefined;
}

/** LearnedV6 over entries as objects (a policy without a compact snapshot: test fakes). */
export function learnedFromEntries(list: readonly LearnedEntry[]): LearnedV6 {
  return {
    length: list.length,
    v6At: (i, out) => {
      const e = list[i]!;
      const a = e.family === 6 ? parseIp6(e.address) : undefined;
      if (!a) return undefined;
      out.set(a);
      return e.interface;
    },
  };
}

/** The policy's IPv6 entries for the joins: its compact snapshot (typed arrays) when it has one. */
export function learnedOf(p: Pick<PolicyCore, 'cacheSnapshot' | 'cacheEntries'> | null, now: number): LearnedV6 {
  if (!p) return learnedFromEntries([]);
  const snap = p.cacheSnapshot?.(now);
  if (snap?.v6At) return snap as LearnedV6;
  return learnedFromEntries(p.cacheEntries(now) as unknown as LearnedEntry[]);
}

/**
 * Adds to `groups` (the interface's static groups) the groups of IPv6 targets answered since
 * `since`, then of learned IPv6 entries, until `max` groups in all. Returns how many were
 * left out (once the bound is reached, learned entries are counted unformatted: one whose
 * group is in already counts too).
 */
export function addDynamicGroups(groups: Set<string>, slot: IfaceSlot, since: number, learned: LearnedV6, max: number): number {
  let left = 0;
  const add = (g: string): void => {
    if (groups.has(g)) return;
    if (groups.size >= max) left++;
    else groups.add(g);
  };
  for (const t of slot.answered.since(since)) if (t.family === 6) add(solicitedNodeGroup(t.words));
  const a = newIp6();
  for (let i = 0; i < learned.length; i++) {
    if (learned.v6At(i, a) !== slot.name) continue;
    if (groups.size >= max) left++;
    else add(solicitedNodeGroup(a));
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
