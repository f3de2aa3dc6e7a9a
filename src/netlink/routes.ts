// What the kernel would do with a packet to a target, asked once per target and kept.
// The policy asks on the hot path and must have an answer at once: a target never asked
// about answers `undefined` (silent, reason no_route) while RTM_GETROUTE is on its way, and
// from the reply on the cache answers. A route or rule event (or an overrun) makes every
// entry stale: each is asked again at once and keeps its previous answer until the new
// one arrives (stale while revalidating), so a burst of route events loses no decision.
import { Family, ip6Equal, type Ip4, type Ip6 } from '../net/addr';
import type { RouteQuery } from './message';
import { TABLE_MARK_BASE } from './tables';

/** The kernel's answer for one target: the output device's ifindex, 0 when unroutable. */
export interface RouteAnswer {
  oif: number;
  /** The table the answer came from (RTA_TABLE), for logs and `ctl`. */
  table: number;
}

interface Entry {
  family: Family;
  v4: Ip4;
  v6: Ip6 | null;
  oif: number;
  /** Answer (device ifindex, 0 unroutable); -1 while the first lookup is in flight. */
  out: number;
  table: number;
  /** Generation of the route state the answer reflects. */
  gen: number;
  inflight: boolean;
}

export interface RouteCacheStats {
  hits: number;
  misses: number;
  stale: number;
  lookups: number;
  failures: number;
  size: number;
}

const TWO32 = 0x1_0000_0000;

/** Hash of an IPv6 address; the entry keeps the address, so a collision is only a miss. */
function hash6(a: Ip6): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 4; i++) h = Math.imul(h ^ a[i]!, 0x01000193);
  return h >>> 0;
}

export class RouteCache {
  private readonly v4 = new Map<number, Entry>();
  private readonly v6 = new Map<number, Entry>();
  private gen = 0;
  private revalidating = false;
  readonly counts = { hits: 0, misses: 0, stale: 0, lookups: 0, failures: 0 };

  /**
   * `ask` sends one RTM_GETROUTE and resolves with the answer (rejects when the request
   * itself failed, e.g. ENOBUFS: the entry is asked again at the next invalidation);
   * `changed` is called when an answer differs from what the cache held.
   */
  constructor(
    private readonly ask: (q: RouteQuery) => Promise<RouteAnswer>,
    private readonly max = 4096,
    private readonly changed: () => void = () => {},
  ) {}

  /**
   * The device ifindex the kernel routes `addr` out of (through VRF device `oif` when not 0),
   * 0 when unroutable, -1 when not known yet (a lookup has been started). Allocates only on a miss.
   */
  lookup(family: Family, addr: Ip4 | Ip6, oif: number): number {
    const v6 = family === Family.V6;
    const key = (v6 ? hash6(addr as Ip6) : (addr as Ip4)) + oif * TWO32;
    const map = v6 ? this.v6 : this.v4;
    let e = map.get(key);
    if (e !== undefined && v6 && !ip6Equal(e.v6!, addr as Ip6)) e = undefined;
    if (e === undefined) {
      this.counts.misses++;
      if (map.size >= this.max) map.delete(map.keys().next().value!); // the oldest target
      e = { family, v4: v6 ? 0 : (addr as Ip4), v6: v6 ? Uint32Array.from(addr as Ip6) : null, oif, out: -1, table: 0, gen: this.gen, inflight: false };
      map.set(key, e);
      this.start(e);
      return -1;
    }
    if (e.gen !== this.gen) {
      this.counts.stale++;
      if (!e.inflight) this.start(e);
    } else {
      this.counts.hits++;
    }
    return e.out;
  }

  /** Routes or rules changed (or events were lost): every answer is asked again. */
  invalidate(): void {
    this.gen++;
    if (this.revalidating) return;
    this.revalidating = true;
    // One pass after the current burst of events (they arrive in one batch), not one per event.
    setImmediate(() => {
      this.revalidating = false;
      for (const map of [this.v4, this.v6]) for (const e of map.values()) if (e.gen !== this.gen && !e.inflight) this.start(e);
    });
  }

  /** Forgets every answer (the socket was replaced; interface indexes may have changed). */
  clear(): void {
    this.v4.clear();
    this.v6.clear();
    this.gen++;
  }

  stats(): RouteCacheStats {
    return { ...this.counts, size: this.v4.size + this.v6.size };
  }

  /** The cached answers, for `ctl` and tests. */
  entries(): { family: Family; v4: Ip4; v6: Ip6 | null; oif: number; out: number; table: number; fresh: boolean }[] {
    return [...this.v4.values(), ...this.v6.values()].map((e) => ({ family: e.family, v4: e.v4, v6: e.v6, oif: e.oif, out: e.out, table: e.table, fresh: e.gen === this.gen }));
  }

  private start(e: Entry): void {
    const asked = this.gen;
    e.inflight = true;
    this.counts.lookups++;
    // A negative scope is a `table N` lookup: its fwmark selects the table (tables.ts).
    const q = { family: e.family, dst: e.family === Family.V4 ? e.v4 : e.v6!, oif: e.oif > 0 ? e.oif : undefined, mark: e.oif < 0 ? TABLE_MARK_BASE - e.oif : undefined };
    this.ask(q).then(
      (a) => {
        e.inflight = false;
        const differs = e.out !== a.oif;
        e.out = a.oif;
        e.table = a.table;
        e.gen = asked;
        // Routes changed while this was in flight: the answer may predate them, ask again.
        if (asked !== this.gen) this.start(e);
        if (differs) this.changed();
      },
      () => {
        e.inflight = false;
        e.gen = -1; // asked again on its next use
        this.counts.failures++;
      },
    );
  }
}
