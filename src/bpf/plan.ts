// What one interface's filter must pass, read from its configuration: the address sets
// (rule targets and statics; the addresses whose replies the daemon waits for) and
// whether the cache learns. The program emitters and the tcpdump expression both read it.
import type { CacheConfig, InterfaceConfig } from '../config/types';
import { ActionKind } from '../config/types';
import { Family, type Prefix } from '../net/addr';
import { aggregate6, mergeRanges, prefixRange4, toBig, type P6, type Range } from './addrset';

export interface AddrSets {
  v4: Range[];
  v6: P6[];
}

export interface FilterPlan {
  /** The cache learns (cache.timeout > 0): ARP requests and replies all pass. */
  learn: boolean;
  /** The cache timeout in seconds, for the block comments. */
  timeout: number;
  /** Non-ignore target prefixes and static addresses. */
  targets: AddrSets;
  /** Reply sources the filter must pass (see usefulReplies). */
  replies: AddrSets;
}

function collector(): { sets: AddrSets; add(p: Prefix): void } {
  const sets: AddrSets = { v4: [], v6: [] };
  return {
    sets,
    add(p: Prefix): void {
      if (p.family === Family.V4) sets.v4.push(prefixRange4(p.v4, p.bits));
      else sets.v6.push({ v: toBig(p.v6), bits: p.bits });
    },
  };
}

function merged(s: AddrSets): AddrSets {
  return { v4: mergeRanges(s.v4), v6: aggregate6(s.v6) };
}

/** Non-ignore target prefixes and static addresses of one family. */
function targets(iface: InterfaceConfig): AddrSets {
  const c = collector();
  for (const r of iface.rules) if (r.action.kind !== ActionKind.Ignore) c.add(r.target);
  for (const s of iface.statics) {
    if (s.address.family === Family.V4) c.add({ family: Family.V4, v4: s.address.v4, bits: 32 });
    else c.add({ family: Family.V6, v6: s.address.v6, bits: 128 });
  }
  return merged(c.sets);
}

/**
 * Addresses whose replies the daemon waits for even with learning off: the `via` of
 * redirect rules (the hold `timeout` resolves them on demand), the targets of `tell`
 * rules (their real MAC) and the prefixes probed on this interface (config `probed`). ARP replies from these senders and NAs for these targets pass.
 */
function replySources(iface: InterfaceConfig): AddrSets {
  const c = collector();
  for (const r of iface.rules) {
    if (r.action.kind === ActionKind.Redirect) {
      const via = r.action.via;
      c.add(via.family === Family.V4 ? { family: Family.V4, v4: via.v4, bits: 32 } : { family: Family.V6, v6: via.v6, bits: 128 });
    } else if (r.action.kind === ActionKind.Tell) c.add(r.target);
  }
  // Targets other interfaces' `probe` rules ask for here: their answers (and their own
  // unsolicited advertisements) say they are alive.
  for (const p of iface.probed ?? []) c.add(p);
  return merged(c.sets);
}

/**
 * The reply sources a filter must pass: with learning on every ARP reply passes anyway
 * (so no IPv4 list), while IPv6 stays narrowed to the addresses the cache is read for.
 */
function usefulReplies(iface: InterfaceConfig, learn: boolean): AddrSets {
  const rs = replySources(iface);
  return { v4: learn ? [] : rs.v4, v6: rs.v6 };
}

export function planFilter(iface: InterfaceConfig, cache: CacheConfig): FilterPlan {
  const learn = cache.timeout > 0;
  return { learn, timeout: cache.timeout, targets: targets(iface), replies: usefulReplies(iface, learn) };
}
