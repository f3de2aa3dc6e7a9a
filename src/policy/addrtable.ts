// Open-addressing hash set of fixed-capacity entries keyed by five 32-bit words
// (meta word + four address words), all in typed arrays: no object per entry, no
// rehash, no tombstones (backward-shift deletion). The neighbour cache and the static
// table are built on it; callers keep their per-entry values in parallel arrays
// indexed by the entry id this table hands out.
import { pow2AtLeast } from '../net/pow2';

export const KEY_WORDS = 5;

/** Meta word: family bit, interface slot, VLAN + 1 (0 = untagged or "any"). */
export function metaWord(family6: boolean, slot: number, vlan: number): number {
  return ((family6 ? 0x80000000 : 0) | ((slot & 0x3ffff) << 13) | ((vlan + 1) & 0x1fff)) >>> 0;
}
export function metaIsV6(w0: number): boolean {
  return (w0 & 0x80000000) !== 0;
}
export function metaSlot(w0: number): number {
  return (w0 >>> 13) & 0x3ffff;
}
export function metaVlan(w0: number): number {
  return (w0 & 0x1fff) - 1;
}

export function hash5(w0: number, a0: number, a1: number, a2: number, a3: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ a0, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ a1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ a2, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ a3, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  // int32 (callers mask it or compare it as int32): a uint32 >= 2^31 returned from a call
  // that is not inlined is boxed, 16 B per lookup.
  return h ^ (h >>> 12);
}

/** An AddrTable's arrays and counters as plain data (a prepare thread builds one; see fromParts). */
export interface AddrTableParts {
  capacity: number;
  stride: number;
  keys: Uint32Array;
  slots: Int32Array;
  nextFree: Int32Array;
  freeHead: number;
  size: number;
}

export class AddrTable {
  readonly capacity: number;
  /**
   * `stride` words per entry id, the key in the first KEY_WORDS of them; callers may keep
   * their per-entry values in the rest of the stride (one cache line per entry).
   */
  readonly keys: Uint32Array;
  /** Int32 view of `keys`: find() compares as int32, so callers may pass words as int32 (`| 0`). */
  private readonly ik: Int32Array;
  readonly stride: number;
  /**
   * Two words per slot: entry id (-1 empty) and the key's hash, side by side so a probe
   * reads one cache line and compares hashes before touching the keys. Load factor <= 1/2.
   */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Free list through unused ids. */
  private readonly nextFree: Int32Array;
  private freeHead: number;
  size = 0;

  constructor(capacity: number, stride = KEY_WORDS) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`table capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(stride) || stride < KEY_WORDS) throw new RangeError(`table stride must be an integer >= ${KEY_WORDS}, got ${stride}`);
    this.capacity = capacity;
    this.stride = stride;
    this.keys = new Uint32Array(capacity * stride);
    this.ik = new Int32Array(this.keys.buffer);
    const n = pow2AtLeast(capacity * 2, 8);
    this.slots = new Int32Array(2 * n).fill(-1);
    this.mask = n - 1;
    this.nextFree = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.nextFree[i] = i + 1 < capacity ? i + 1 : -1;
    this.freeHead = 0;
  }

  /**
   * Entry id for the key, or -1. Words may be given as uint32 or as int32 (`x | 0`): V8
   * boxes a uint32 >= 2^31 passed to a call that is not inlined, an int32 never.
   */
  find(w0: number, a0: number, a1: number, a2: number, a3: number): number {
    const keys = this.ik;
    w0 |= 0;
    a0 |= 0;
    a1 |= 0;
    a2 |= 0;
    a3 |= 0;
    const slots = this.slots;
    const mask = this.mask;
    const stride = this.stride;
    const h = hash5(w0, a0, a1, a2, a3) | 0;
    let i = h & mask;
    for (;;) {
      const id = slots[2 * i]!;
      if (id < 0) return -1;
      if (slots[2 * i + 1] === h) {
        const k = id * stride;
        if (keys[k + 4] === a3 && keys[k] === w0 && keys[k + 3] === a2 && keys[k + 1] === a0 && keys[k + 2] === a1) return id;
      }
      i = (i + 1) & mask;
    }
  }

  /** Inserts a key known to be absent; returns its id, or -1 when the table is full. */
  insert(w0: number, a0: number, a1: number, a2: number, a3: number): number {
    const id = this.freeHead;
    if (id < 0) return -1;
    this.freeHead = this.nextFree[id]!;
    const k = id * this.stride;
    const keys = this.keys;
    keys[k] = w0;
    keys[k + 1] = a0;
    keys[k + 2] = a1;
    keys[k + 3] = a2;
    keys[k + 4] = a3;
    const h = hash5(w0, a0, a1, a2, a3);
    const mask = this.mask;
    let i = h & mask;
    while (this.slots[2 * i]! >= 0) i = (i + 1) & mask;
    this.slots[2 * i] = id;
    this.slots[2 * i + 1] = h | 0;
    this.size++;
    return id;
  }

  /** Removes an entry by id (backward-shift deletion keeps probe chains intact). */
  remove(id: number): void {
    const slots = this.slots;
    const mask = this.mask;
    const k = id * this.stride;
    const keys = this.keys;
    let i = hash5(keys[k]!, keys[k + 1]!, keys[k + 2]!, keys[k + 3]!, keys[k + 4]!) & mask;
    while (slots[2 * i] !== id) {
      if (slots[2 * i]! < 0) return; // not present
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const other = slots[2 * j]!;
      if (other < 0) break;
      const home = slots[2 * j + 1]! & mask;
      // Move `other` into the hole at i unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        slots[2 * i] = other;
        slots[2 * i + 1] = slots[2 * j + 1]!;
        i = j;
      }
    }
    slots[2 * i] = -1;
    this.nextFree[id] = this.freeHead;
    this.freeHead = id;
    this.size--;
  }

  /**
   * A table of `capacity` (> this.capacity) holding the same keys under the same ids, so
   * callers' parallel arrays stay valid once copied; used ids are found from the slots.
   */
  grownTo(capacity: number): AddrTable {
    if (capacity <= this.capacity) throw new RangeError(`grownTo(${capacity}) must exceed the capacity ${this.capacity}`);
    const t = new AddrTable(capacity, this.stride);
    t.keys.set(this.keys);
    const used = new Uint8Array(capacity);
    for (let i = 0; i < this.slots.length; i += 2) {
      const id = this.slots[i]!;
      if (id < 0) continue;
      used[id] = 1;
      let j = this.slots[i + 1]! & t.mask;
      while (t.slots[2 * j]! >= 0) j = (j + 1) & t.mask;
      t.slots[2 * j] = id;
      t.slots[2 * j + 1] = this.slots[i + 1]!;
    }
    let head = -1;
    for (let id = capacity - 1; id >= 0; id--) {
      if (used[id]) continue;
      t.nextFree[id] = head;
      head = id;
    }
    t.freeHead = head;
    t.size = this.size;
    return t;
  }

  /** The arrays (not copied) and counters, for fromParts in another thread. */
  parts(): AddrTableParts {
    const { capacity, stride, keys, slots, nextFree, freeHead, size } = this;
    return { capacity, stride, keys, slots, nextFree, freeHead, size };
  }

  /** A table over `p`'s arrays as they are (shared or not: the caller copies them first if others read them). */
  static fromParts(p: AddrTableParts): AddrTable {
    // Built by the constructor (a tiny one) so it has the same shape as every other table.
    const t = new AddrTable(1, p.stride) as unknown as Record<string, unknown>;
    t.capacity = p.capacity;
    t.keys = p.keys;
    t.ik = new Int32Array(p.keys.buffer, p.keys.byteOffset, p.keys.length);
    t.slots = p.slots;
    t.mask = p.slots.length / 2 - 1;
    t.nextFree = p.nextFree;
    t.freeHead = p.freeHead;
    t.size = p.size;
    return t as unknown as AddrTable;
  }

  /** A private copy (arrays copied), e.g. before changing a table read by other threads. */
  copy(): AddrTable {
    return AddrTable.fromParts({ ...this.parts(), keys: this.keys.slice(), slots: this.slots.slice(), nextFree: this.nextFree.slice() });
  }

  /** Bytes held in typed arrays. */
  bytes(): number {
    return this.keys.byteLength + this.slots.byteLength + this.nextFree.byteLength;
  }
}
