// Targets answered on one interface (or, on a standby, that would have been): what an HA
// takeover announces (src/daemon/ha.ts). A bounded, allocation-free record kept in typed
// arrays: a ring of entries plus a direct-mapped index, so a target asked again updates its
// entry in place. A hash collision writes a second entry; readers dedupe (they are rare).
import { HA_ANSWERED_TARGETS } from '../config/limits';
import type { Ip6, Mac } from '../net/addr';

/** Entries kept per interface: the takeover burst announces at most this many targets (plus statics). */
export const ANSWERED_CAPACITY = HA_ANSWERED_TARGETS;

export class AnsweredTargets {
  private readonly family: Uint8Array;
  private readonly vlan: Int16Array;
  private readonly words: Uint32Array;
  private readonly mac: Float64Array;
  private readonly at: Float64Array;
  /** hash -> entry id + 1 (0: empty). */
  private readonly index: Int32Array;
  private readonly mask: number;
  private next = 0;
  /** `record()`'s own cells for `recordFrom`. */
  private readonly cells = new Float64Array(2);

  constructor(readonly capacity = ANSWERED_CAPACITY) {
    this.family = new Uint8Array(capacity);
    this.vlan = new Int16Array(capacity);
    this.words = new Uint32Array(capacity * 4);
    this.mac = new Float64Array(capacity);
    this.at = new Float64Array(capacity);
    let n = 1;
    while (n < capacity * 2) n *= 2;
    this.index = new Int32Array(n);
    this.mask = n - 1;
  }

  /** Target (a0..a3; IPv4 in a3) was answered with `mac` on `vlan` at `now`. */
  record(family: 4 | 6, vlan: number, a0: number, a1: number, a2: number, a3: number, mac: Mac, now: number): void {
    const cells = this.cells;
    cells[0] = mac;
    cells[1] = now;
    this.recordFrom(family, vlan, a0, a1, a2, a3, cells);
  }

  /**
   * Hot path: `record()` with mac in cells[0] and now in cells[1], words as uint32 or int32
   * (`| 0`): a double or a uint32 >= 2^31 passed to a call V8 does not inline is boxed.
   */
  recordFrom(family: 4 | 6, vlan: number, a0: number, a1: number, a2: number, a3: number, cells: Float64Array): void {
    const mac = cells[0]!;
    const now = cells[1]!;
    const h = (Math.imul(a3 ^ Math.imul(a2, 0x9e3779b1) ^ Math.imul(a1, 0x85ebca6b) ^ a0, 0xc2b2ae35) ^ family ^ (vlan << 8)) >>> 0;
    const slot = (h ^ (h >>> 15)) & this.mask;
    let id = this.index[slot]! - 1;
    if (id < 0 || !this.same(id, family, vlan, a0, a1, a2, a3)) {
      id = this.next;
      this.next = id + 1 === this.capacity ? 0 : id + 1;
      this.index[slot] = id + 1;
      this.family[id] = family;
      this.vlan[id] = vlan;
      const w = id * 4;
      this.words[w] = a0;
      this.words[w + 1] = a1;
      this.words[w + 2] = a2;
      this.words[w + 3] = a3;
    }
    this.mac[id] = mac;
    this.at[id] = now;
  }

  /** Records an IPv6 target. */
  record6(vlan: number, t: Ip6, mac: Mac, now: number): void {
    this.record(6, vlan, t[0]!, t[1]!, t[2]!, t[3]!, mac, now);
  }

  /** Records an IPv6 target, mac and now in cells as for `recordFrom`. */
  record6From(vlan: number, t: Ip6, cells: Float64Array): void {
    this.recordFrom(6, vlan, t[0]! | 0, t[1]! | 0, t[2]! | 0, t[3]! | 0, cells);
  }

  private same(id: number, family: number, vlan: number, a0: number, a1: number, a2: number, a3: number): boolean {
    const w = id * 4;
    const x = this.words;
    return this.family[id] === family && this.vlan[id] === vlan && (x[w + 3]! | 0) === (a3 | 0) && (x[w + 2]! | 0) === (a2 | 0) && (x[w + 1]! | 0) === (a1 | 0) && (x[w]! | 0) === (a0 | 0);
  }

  /** Every distinct target recorded at or after `since` (seconds), newest answer first; allocates. */
  since(since: number): { family: 4 | 6; vlan: number; words: Uint32Array; mac: Mac }[] {
    const ids: number[] = [];
    for (let id = 0; id < this.capacity; id++) if (this.family[id] !== 0 && this.at[id]! >= since) ids.push(id);
    ids.sort((a, b) => this.at[b]! - this.at[a]!);
    const seen = new Set<string>();
    const out: { family: 4 | 6; vlan: number; words: Uint32Array; mac: Mac }[] = [];
    for (const id of ids) {
      const words = this.words.slice(id * 4, id * 4 + 4);
      const key = `${this.family[id]}/${this.vlan[id]}/${words.join(',')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ family: this.family[id] as 4 | 6, vlan: this.vlan[id]!, words, mac: this.mac[id]! });
    }
    return out;
  }
}
