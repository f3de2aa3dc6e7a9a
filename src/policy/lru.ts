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
 * Cache entries per MAC, counted in hashed 16-bit cells (two MACs sharing a cell share its
 * count: with 2 cells per cache entry a host rarely shares with more than a few). A MAC at
 * `limit` may not claim another address (counted by the cache as quotaRefused).
 */
export class MacQuota {
  private readonly cells: Uint16Array;
  private readonly mask: number;
  /** Entries per MAC; 0 = no quota. */
  limit = 0;

  constructor(capacity: number) {
    let n = 8;
    while (n < 2 * capacity) n *= 2;
    this.cells = new Uint16Array(n);
    this.mask = n - 1;
  }

  private cell(mac: number): number {
    const lo = mac >>> 0;
    const hi = (mac / 0x100000000) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) & this.mask;
  }

  full(mac: number): boolean {
    return this.limit > 0 && this.limit < 0xffff && this.cells[this.cell(mac)]! >= this.limit;
  }

  add(mac: number): void {
    const c = this.cell(mac);
    if (this.cells[c]! < 0xffff) this.cells[c]!++;
  }

  sub(mac: number): void {
    const c = this.cell(mac);
    if (this.cells[c]! > 0) this.cells[c]!--;
  }

  bytes(): number {
    return this.cells.byteLength;
  }
}
