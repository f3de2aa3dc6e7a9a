// The kernel's neighbour entries in state REACHABLE, kept from RTM_NEWNEIGH/RTM_DELNEIGH
// (a dump at start, then events on RTNLGRP_NEIGH): `probe` rules count a target REACHABLE
// on the probed interface as alive without sending a probe. Only REACHABLE entries are
// kept, at most `max` (the kernel's own table is bounded by gc_thresh3 anyway).
import { Family, type Ip4, type Ip6 } from '../net/addr';
import * as C from './constants';
import { parseNeigh, type NlMessage } from './message';

export class NeighbourTable {
  private readonly reachable = new Set<string>();

  constructor(private readonly max = 65536) {}

  /** Applies one RTM_NEWNEIGH or RTM_DELNEIGH (event or dump answer). */
  apply(m: NlMessage): void {
    const n = parseNeigh(m.body);
    if (!n || !n.dst) return;
    const key = n.dst.family === Family.V4 ? keyOf(n.index, Family.V4, n.dst.v4) : keyOf(n.index, Family.V6, n.dst.v6);
    if (m.type === C.RTM_NEWNEIGH && (n.state & C.NUD_REACHABLE) !== 0) {
      if (this.reachable.size < this.max) this.reachable.add(key);
    } else {
      this.reachable.delete(key);
    }
  }

  isReachable(ifindex: number, family: Family, addr: Ip4 | Ip6): boolean {
    return this.reachable.size > 0 && this.reachable.has(keyOf(ifindex, family, addr));
  }

  clear(): void {
    this.reachable.clear();
  }

  get size(): number {
    return this.reachable.size;
  }
}

function keyOf(ifindex: number, family: Family, addr: Ip4 | Ip6): string {
  if (family === Family.V4) return `${ifindex}/${addr as Ip4}`;
  const a = addr as Ip6;
  return `${ifindex}/${a[0]}:${a[1]}:${a[2]}:${a[3]}`;
}
