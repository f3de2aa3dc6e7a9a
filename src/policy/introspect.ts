// Introspection for the control socket, metrics and tests: figures and plain-object
// dumps read from the parts that own them (nothing here is state, nothing runs per frame).
import { Family, formatIp4, formatIp6, formatMac, type IpAddress, type Mac } from '../net/addr';
import { metaIsV6, metaSlot, metaVlan, metaWord } from './addrtable';
import type { NeighborCache } from './cache';
import type { DecisionCore } from './core';
import { REASON_COUNT, REASON_NAMES } from './decision';
import type { InterfaceTable } from './interfaces';
import type { RedirectQueue } from './redirect';
import type { ActionResolver } from './resolver';
import type { StaticTable } from './statics';
import type { TakeoverGuard } from './guard';
import { LIMIT_REASON_NAMES, type SourceLimiter } from './limiter';

export interface CacheEntryInfo {
  interface: string;
  vlan: number;
  family: 4 | 6;
  address: string;
  /** null while a resolution is under way. */
  mac: string | null;
  state: 'fresh' | 'probing' | 'incomplete' | 'stale' | string;
}

export interface PolicyStats {
  /** Decisions per reason name. */
  reasons: Record<string, number>;
  /** Answers: to the frame in hand, plus queued redirect answers sent later. */
  answers: number;
  cache: {
    size: number;
    capacity: number;
    learned: number;
    updated: number;
    refreshed: number;
    evictions: number;
    expired: number;
    refreshFailures: number;
    refreshProbes: number;
    resolutions: number;
    resolveFailures: number;
    /** Entries dropped unprobed at their refresh time: nobody asked for them. */
    unusedExpired: number;
    /** Learns refused: the MAC holds `limit entries` addresses already. */
    quotaRefused: number;
    /** Entries promoted to protected by their first lookup. */
    promotions: number;
    bytes: number;
  };
  /** Per-source and per-interface limits (limiter.ts): requests not answered and frames not sent, by reason. */
  limits: {
    requests: Record<string, number>;
    sends: Record<string, number>;
    /** Resolution retries not sent because no answer waited for them any more. */
    retriesSkipped: number;
    sources: number;
    evictions: number;
    bytes: number;
  };
  pending: { waiting: number; queued: number; answered: number; expired: number; refused: number };
  delay: { capacity: number; evictions: number };
  /** Takeover guard (guard.ts): probes to old owners, conflicts, moves, dampening freezes, refusals. */
  guard: {
    conflicts: number;
    moves: number;
    freezes: number;
    frozenRefused: number;
    challenges: number;
    challengesRefused: number;
    pending: number;
    pinnedRefused: number;
    badMacRefused: number;
    bytes: number;
  };
  statics: { size: number; announcements: number };
  rules: { interface: string; v4: number; v6: number; v4Groups: number; v6Groups: number }[];
}

/** The parts introspection reads. */
export interface PolicyParts {
  ifaces: InterfaceTable;
  cache: NeighborCache;
  core: DecisionCore;
  resolver: ActionResolver;
  redirects: RedirectQueue;
  statics: StaticTable;
  guard: TakeoverGuard;
  limiter: SourceLimiter;
}

export class Introspection {
  constructor(private readonly p: PolicyParts) {}

  /** Answers to frames plus deferred redirect answers. */
  get answers(): number {
    return this.p.core.answers + this.p.redirects.answered;
  }

  stats(): PolicyStats {
    const { cache: c, core, resolver, redirects, statics, ifaces, guard: g, limiter: l } = this.p;
    const byReason = (a: Float64Array): Record<string, number> => Object.fromEntries(LIMIT_REASON_NAMES.slice(0, a.length).map((n, i) => [n, a[i]!]));
    const reasons: Record<string, number> = {};
    for (let r = 0; r < REASON_COUNT; r++) reasons[REASON_NAMES[r]!] = core.reasonCounts[r]!;
    const q = redirects.pending;
    return {
      reasons,
      answers: this.answers,
      cache: {
        size: c.size,
        capacity: c.capacity,
        learned: c.learned,
        updated: c.updated,
        refreshed: c.refreshed,
        evictions: c.evictions,
        expired: c.expired,
        refreshFailures: c.refreshFailures,
        refreshProbes: c.refreshProbes,
        resolutions: c.resolutions,
        resolveFailures: c.resolveFailures,
        unusedExpired: c.unusedExpired,
        quotaRefused: c.quotaRefused,
        promotions: c.lru.promotions,
        bytes: c.bytes(),
      },
      limits: {
        requests: byReason(l.requestsLimited),
        sends: byReason(l.sendsLimited),
        retriesSkipped: redirects.retriesSkipped,
        sources: l.capacity,
        evictions: l.evictions,
        bytes: l.bytes(),
      },
      pending: { waiting: q.count, queued: q.queued, answered: redirects.answered, expired: q.expired, refused: q.refused },
      delay: { capacity: resolver.delays.capacity, evictions: resolver.delays.evictions },
      guard: {
        conflicts: g.conflicts,
        moves: g.moves,
        freezes: g.freezes,
        frozenRefused: g.frozenRefused,
        challenges: g.challenges,
        challengesRefused: g.challengesRefused,
        pending: g.pending,
        pinnedRefused: g.pinnedRefused,
        badMacRefused: g.badMacRefused,
        bytes: g.bytes(),
      },
      statics: { size: statics.size, announcements: statics.announcements },
      rules: ifaces.list.map((s) => ({
        interface: s.cfg.name,
        v4: s.m4.rules,
        v6: s.m6.rules,
        v4Groups: s.m4.groups,
        v6Groups: s.m6.groups,
      })),
    };
  }

  /** Every cache entry as plain objects, most recently used first (control socket; allocates). */
  dumpCache(now: number): CacheEntryInfo[] {
    const c = this.p.cache;
    const out: CacheEntryInfo[] = [];
    const states = ['free', 'fresh', 'probing', 'incomplete'];
    c.forEach((id) => {
      const w0 = c.key(id, 0);
      const v6 = metaIsV6(w0);
      const mac = c.macOf(id);
      const a = new Uint32Array([c.key(id, 1), c.key(id, 2), c.key(id, 3), c.key(id, 4)]);
      out.push({
        interface: this.p.ifaces.slotName(metaSlot(w0)) ?? `#${metaSlot(w0)}`,
        vlan: metaVlan(w0),
        family: v6 ? 6 : 4,
        address: v6 ? formatIp6(a) : formatIp4(a[3]!),
        mac: mac < 0 ? null : formatMac(mac),
        state: c.isStale(id, now) ? 'stale' : states[c.stateOf(id)]!,
      });
    });
    return out;
  }

  /** Learned MAC for an address on an interface and VLAN; -1 when unknown. */
  lookup(ifIndex: number, vlan: number, address: IpAddress, now: number): Mac | -1 {
    const st = this.p.ifaces.at(ifIndex);
    if (!st) return -1;
    const c = this.p.cache;
    if (address.family === Family.V4) return c.lookup(metaWord(false, st.slot, vlan), 0, 0, 0, address.v4, now);
    const v = address.v6;
    return c.lookup(metaWord(true, st.slot, vlan), v[0]!, v[1]!, v[2]!, v[3]!, now);
  }
}
