// The neighbour cache's eviction order (issue 12: one host must not empty the cache).
// Entries are partitioned by interface and family (partition = slot * 2 + v6), and each
// partition keeps two intrusive LRU lists: probation (learned, never asked for) and
// protected (looked up at least once: someone was told this MAC, or it is a router we
// resolved). When the table is full, the victim's partition is the one that wants the
// slot if it holds at least its fair share (tablesize / partitions in use), else the
// largest; within it the probation tail goes first unless probation is under 1/8 of the
// partition. A flood of new addresses therefore churns its own partition's probation
// list: entries in use, and other interfaces' and families' shares, stay. Entries being
// resolved (Incomplete) are in no list: the flood they suppress cannot evict them.
// Links are the cache stride's prev/next words; the rest is small typed arrays.
import { randomFillSync } from 'node:crypto';

export const SEG_PROBATION = 0;
export const SEG_PROTECTED = 1;
/** Not in any list (free, or Incomplete). */
export const SEG_NONE = 2;

export class PartitionedLru {
  /** Per entry: its segment and partition. */
  readonly seg: Uint8Array;
  private readonly part: Int32Array;
  /** Per list (partition * 2 + segment): head (most recent), tail, length. */
  private head = new Int32Array(0);
  private tail = new Int32Array(0);
  private count = new Int32Array(0);
  /** Per partition: linked entries. */
  private size = new Int32Array(0);
  /** Partitions holding at least one linked entry. */
  private active = 0;
  /** Entries moved from probation to protected (their first lookup). */
  promotions = 0;

  constructor(
    private readonly iw: Int32Array,
    private readonly stride: number,
    private readonly wPrev: number,
    private readonly wNext: number,
    capacity: number,
  ) {
    this.seg = new Uint8Array(capacity).fill(SEG_NONE);
    this.part = new Int32Array(capacity);
  }

  /** Makes room for partitions 0..parts-1 (allocates only when a new interface slot appears). */
  ensure(parts: number): void {
    if (parts <= this.size.length) return;
    const n = Math.max(parts, this.size.length * 2, 4);
    const grow = (a: Int32Array, len: number, fill: number): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(len).fill(fill);
      b.set(a);
      return b;
    };
    this.head = grow(this.head, 2 * n, -1);
    this.tail = grow(this.tail, 2 * n, -1);
    this.count = grow(this.count, 2 * n, 0);
    this.size = grow(this.size, n, 0);
  }

  /** Linked entries of partition `p`, and of its protected list. */
  sizeOf(p: number): number {
    return p < this.size.length ? this.size[p]! : 0;
  }
  protectedOf(p: number): number {
    return 2 * p + 1 < this.count.length ? this.count[2 * p + 1]! : 0;
  }
  get partitions(): number {
    return this.size.length;
  }

  isProtected(id: number): boolean {
    return this.seg[id] === SEG_PROTECTED;
  }

  /** Puts entry `id` (in no list) at the head of partition `p`'s `seg` list. */
  link(id: number, p: number, seg: number): void {
    if (p >= this.size.length) this.ensure(p + 1);
    const l = 2 * p + seg;
    const iw = this.iw;
    const s = this.stride;
    const h = this.head[l]!;
    iw[s * id + this.wPrev] = -1;
    iw[s * id + this.wNext] = h;
    if (h >= 0) iw[s * h + this.wPrev] = id;
    else this.tail[l] = id;
    this.head[l] = id;
    this.count[l]!++;
    if (this.size[p]!++ === 0) this.active++;
    this.seg[id] = seg;
    this.part[id] = p;
  }

  /** Takes entry `id` out of its list (no-op when in none). */
  unlink(id: number): void {
    const seg = this.seg[id]!;
    if (seg === SEG_NONE) return;
    const p = this.part[id]!;
    const l = 2 * p + seg;
    const iw = this.iw;
    const s = this.stride;
    const prev = iw[s * id + this.wPrev]!;
    const next = iw[s * id + this.wNext]!;
    if (prev >= 0) iw[s * prev + this.wNext] = next;
    else this.head[l] = next;
    if (next >= 0) iw[s * next + this.wPrev] = prev;
    else this.tail[l] = prev;
    iw[s * id + this.wPrev] = -1;
    iw[s * id + this.wNext] = -1;
    this.count[l]!--;
    if (--this.size[p]! === 0) this.active--;
    this.seg[id] = SEG_NONE;
  }

  /** A lookup hit: to the head of the protected list (promoted on its first hit). */
  hit(id: number): void {
    const seg = this.seg[id]!;
    if (seg === SEG_NONE) return;
    if (seg === SEG_PROBATION) this.promotions++;
    const p = this.part[id]!;
    if (this.head[2 * p + SEG_PROTECTED] === id) return;
    this.unlink(id);
    this.link(id, p, SEG_PROTECTED);
  }

  /** Heard again (not asked for): to the head of the list it is in. */
  renew(id: number): void {
    const seg = this.seg[id]!;
    if (seg === SEG_NONE) return;
    const p = this.part[id]!;
    if (this.head[2 * p + seg] === id) return;
    this.unlink(id);
    this.link(id, p, seg);
  }

  /** The entry to evict so that partition `p` gets a slot in a full table of `capacity`, or -1 when none may go. */
  victim(p: number, capacity: number): number {
    const parts = this.size.length;
    const mine = p < parts ? this.size[p]! : 0;
    const share = Math.floor(capacity / (this.active + (mine === 0 ? 1 : 0)));
    let v = p;
    if (mine < share || mine === 0) {
      // Under its share: the slot comes from the largest partition.
      let best = 0;
      v = -1;
      for (let q = 0; q < parts; q++) {
        if (this.size[q]! > best) {
          best = this.size[q]!;
          v = q;
        }
      }
      if (v < 0) return -1;
    }
    const pc = this.count[2 * v]!;
    const qc = this.count[2 * v + 1]!;
    if (pc > 0 && (qc === 0 || pc * 8 >= this.size[v]!)) return this.tail[2 * v]!;
    return qc > 0 ? this.tail[2 * v + 1]! : -1;
  }

  /**
   * Calls fn for every linked entry, partition by partition, entries in use (protected)
   * before the others, most recent first within each: a bounded reader (the MLD joins'
   * 1 024 groups) takes hosts someone asked for before a flood's sources. Not for the hot path.
   */
  forEach(fn: (id: number) => void): void {
    const iw = this.iw;
    const s = this.stride;
    for (let k = 0; k < this.head.length; k++) {
      const l = k ^ 1; // protected (2p + 1) first
      for (let id = this.head[l]!; id >= 0; ) {
        const next = iw[s * id + this.wNext]!;
        fn(id);
        id = next;
      }
    }
  }

  bytes(): number {
    // Per entry; the per-partition arrays are a few words per interface.
    return this.seg.byteLength + this.part.byteLength;
  }
}

/**
 * Slots of the quota table for a cache of `capacity`: load factor at most 1/2, and always
 * two slots more than MACs can hold (chains end). A learn that evicts, in a cache full of
 * distinct MACs, costs 17 probe steps and 10 rehashes (the backward shift) at load 3/4,
 * 1.5 and 2.5 at 1/2. src/config/limits.ts cacheBytes repeats it (config sits below policy).
 */
export function quotaSlots(capacity: number): number {
  return Math.max(8, 2 * capacity + 2);
}

/** Records of MACs holding 0xffff entries or more: the entries sum to at most `capacity`, so this many at most. */
export function quotaBigSlots(capacity: number): number {
  return Math.floor(capacity / SMALL_MAX) + 1;
}

/** A slot's count field holds 1..0xfffe; 0xffff says "see the big records" (0 = empty slot). */
const SMALL_MAX = 0xffff;
const TWO32 = 0x100000000;

/**
 * Cache entries per MAC, exact (issue 12: `limit entries N`). An open-addressing table
 * keyed by the whole 48-bit MAC: a MAC holding entries has a slot of its own with its
 * count, so no host is refused because of another and none gets past its quota through
 * a collision. At most `capacity` distinct MACs hold entries at once (each holds one at
 * least), so the table is sized from the capacity once (quotaSlots) and never grows.
 * A slot is two Int32 words, the MAC's low 32 bits, then its high 16 bits over a 16-bit
 * count: 8 bytes, 16 per cache entry. A MAC with 0xffff entries or more (a router
 * answering for a whole prefix, the quota off) keeps its count in one of a few big
 * records, searched only for such a MAC. Linear probing with backward-shift deletion (no
 * tombstones: chains never lengthen with churn). The hash is keyed with a per-process
 * random seed, so a flood cannot choose MACs that share a probe chain. Nothing allocates.
 * A MAC at `limit` may not claim another address (the cache counts it as quotaRefused).
 */
export class MacQuota {
  /** Two words per slot: MAC bits 0..31; MAC bits 32..47 << 16 | count (0 = empty). */
  private readonly t: Int32Array;
  readonly slots: number;
  /** Big records: the MAC (-1 = free) and its whole count. */
  private readonly bigMac: Float64Array;
  private readonly bigCount: Float64Array;
  private readonly seed0: number;
  private readonly seed1: number;
  /** Entries per MAC; 0 = no quota. */
  limit = 0;
  /** MACs holding at least one entry. */
  macs = 0;

  /** `seed`: the hash key (tests pass one; the default is random per process). */
  constructor(readonly capacity: number, seed: Uint32Array = randomFillSync(new Uint32Array(2))) {
    this.slots = quotaSlots(capacity);
    this.t = new Int32Array(this.slots * 2);
    this.bigMac = new Float64Array(quotaBigSlots(capacity)).fill(-1);
    this.bigCount = new Float64Array(this.bigMac.length);
    this.seed0 = seed[0]! | 0;
    this.seed1 = seed[1]! | 0;
  }

  /** The home slot of the MAC with words (lo, hw = high 16 bits << 16): a keyed mix, reduced to 0..slots-1 by multiplication. */
  private home(lo: number, hw: number): number {
    let h = Math.imul(lo ^ this.seed0, 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h ^ hw ^ this.seed1, 0xc2b2ae35);
    h ^= h >>> 13;
    h = Math.imul(h, 0x27d4eb2f);
    h ^= h >>> 16;
    return Math.floor(((h >>> 0) * this.slots) / TWO32);
  }

  /** Slot holding the MAC (words lo, hw), or the empty slot ending its chain. */
  private slotOf(lo: number, hw: number): number {
    const t = this.t;
    const n = this.slots;
    let i = this.home(lo, hw);
    for (;;) {
      const w = t[2 * i + 1]!;
      if ((w & 0xffff) === 0 || (t[2 * i] === lo && (w & 0xffff0000) === hw)) return i;
      if (++i === n) i = 0;
    }
  }

  /** Entries the MAC holds. */
  entriesOf(mac: number): number {
    const c = this.t[2 * this.slotOf(mac | 0, ((mac / TWO32) | 0) << 16) + 1]! & 0xffff;
    return c < SMALL_MAX ? c : this.bigCount[this.big(mac)]!;
  }

  /** Counts one more entry for the MAC unless it holds `limit` already (false: refused). One probe of the table. */
  tryAdd(mac: number): boolean {
    return this.count(mac, true);
  }

  /** Counts one more entry for the MAC, over its quota or not (a reply we asked for). */
  add(mac: number): void {
    this.count(mac, false);
  }

  private count(mac: number, quota: boolean): boolean {
    const lo = mac | 0;
    const hw = ((mac / TWO32) | 0) << 16;
    const o = 2 * this.slotOf(lo, hw) + 1;
    const t = this.t;
    const c = t[o]! & 0xffff;
    const limit = this.limit;
    if (quota && limit > 0 && (c < SMALL_MAX ? c : this.bigCount[this.big(mac)]!) >= limit) return false;
    if (c === 0) {
      // A new MAC. At most `capacity` hold entries (one more for a moment: the cache
      // counts a new entry before it evicts one), and there are two slots more, so a
      // slot stays empty and chains end; were that broken, not counting beats probing forever.
      if (this.macs >= this.slots - 1) return true;
      t[o - 1] = lo;
      t[o] = hw | 1;
      this.macs++;
    } else if (c < SMALL_MAX - 1) {
      t[o]!++;
    } else if (c === SMALL_MAX - 1) {
      const b = this.big(-1);
      if (b < 0) return true; // never: see quotaBigSlots
      this.bigMac[b] = mac;
      this.bigCount[b] = SMALL_MAX;
      t[o]!++;
    } else {
      this.bigCount[this.big(mac)]!++;
    }
    return true;
  }

  sub(mac: number): void {
    const i = this.slotOf(mac | 0, ((mac / TWO32) | 0) << 16);
    const t = this.t;
    const c = t[2 * i + 1]! & 0xffff;
    if (c === 0) return; // not held (never happens: every sub follows an add)
    if (c === SMALL_MAX) {
      const b = this.big(mac);
      if (--this.bigCount[b]! >= SMALL_MAX) return;
      this.bigMac[b] = -1; // back under 0xffff: the slot counts again
    }
    t[2 * i + 1]!--;
    if (c === 1) this.vacate(i);
  }

  /** Index of the big record of `mac` (-1: a free one), or -1. */
  private big(mac: number): number {
    const m = this.bigMac;
    for (let b = 0; b < m.length; b++) if (m[b] === mac) return b;
    return -1;
  }

  /**
   * Empties slot `i` by backward shift: each later slot of the chain whose home does not
   * lie cyclically in (i, j] moves back into the hole, so lookups never meet a gap.
   */
  private vacate(i: number): void {
    const t = this.t;
    const n = this.slots;
    this.macs--;
    for (let j = i + 1 === n ? 0 : i + 1; (t[2 * j + 1]! & 0xffff) !== 0; j = j + 1 === n ? 0 : j + 1) {
      const k = this.home(t[2 * j]!, t[2 * j + 1]! & 0xffff0000);
      if (i <= j ? i < k && k <= j : i < k || k <= j) continue;
      t[2 * i] = t[2 * j]!;
      t[2 * i + 1] = t[2 * j + 1]!;
      i = j;
    }
    t[2 * i] = 0;
    t[2 * i + 1] = 0;
  }

  /** Calls fn for every MAC holding entries, with its count. Not for the hot path (tests, dumps). */
  forEach(fn: (mac: number, entries: number) => void): void {
    const t = this.t;
    for (let i = 0; i < this.slots; i++) {
      if ((t[2 * i + 1]! & 0xffff) === 0) continue;
      const mac = (t[2 * i + 1]! >>> 16) * TWO32 + (t[2 * i]! >>> 0);
      fn(mac, this.entriesOf(mac));
    }
  }

  bytes(): number {
    return this.t.byteLength + this.bigMac.byteLength + this.bigCount.byteLength;
  }
}
