// The two caches of `probe` rules: targets found alive on the probed interface, and targets
// that did not answer (or are being asked for). Bounded like the delay table: a 4-way
// set-associative table in typed arrays keyed by the cache key words (meta word with the
// probed interface's slot and the family, four address words); a new key takes a free or
// expired way, else the way that expires first (counted as an eviction).
import { pow2AtLeast } from '../net/pow2';
import { hash5, KEY_WORDS } from './addrtable';

const WAYS = 4;
/** Bytes per entry: the key, the expiry, the value, the flags byte. */
export const PROBE_ENTRY_BYTES = KEY_WORDS * 4 + 8 + 8 + 1;

/** Flag bits of an entry. */
export const enum ProbeFlag {
  Used = 1,
  /** Alive table: a host route was installed for it (autowire). */
  Wired = 2,
}

/** One entry, for `ctl`, tests and warm restarts (remaining lifetime in seconds). */
export interface ProbeEntry {
  key: [number, number, number, number, number];
  /** Alive table: the host's MAC (-1 when unknown: the kernel said REACHABLE). Absent table: seconds the probe still waits. */
  value: number;
  remaining: number;
}

export class ProbeTable {
  readonly capacity: number;
  private readonly keys: Uint32Array;
  private readonly expires: Float64Array;
  /** Per entry: the MAC (alive table) or the probe deadline (absent table). */
  private readonly values: Float64Array;
  private readonly flags: Uint8Array;
  private readonly setMask: number;
  /** Entries ever inserted, replaced before their expiry (evictions), and lookups that hit. */
  inserts = 0;
  evictions = 0;
  hits = 0;
  /** Called with the entry id before a wired entry is evicted or removed. */
  onUnwire: ((id: number) => void) | null = null;

  constructor(size: number) {
    this.capacity = pow2AtLeast(Math.max(size, WAYS), WAYS);
    this.keys = new Uint32Array(this.capacity * KEY_WORDS);
    this.expires = new Float64Array(this.capacity);
    this.values = new Float64Array(this.capacity);
    this.flags = new Uint8Array(this.capacity);
    this.setMask = this.capacity / WAYS - 1;
  }

  /** The entry id of the key while it has not expired at `now`, else -1. */
  find(w0: number, a0: number, a1: number, a2: number, a3: number, now: number): number {
    const base = (hash5(w0, a0, a1, a2, a3) & this.setMask) * WAYS;
    const k = this.keys;
    for (let e = base; e < base + WAYS; e++) {
      if ((this.flags[e]! & ProbeFlag.Used) === 0) continue;
      const o = e * KEY_WORDS;
      if (k[o + 4] === a3 && k[o] === w0 && k[o + 3] === a2 && k[o + 1] === a0 && k[o + 2] === a1) {
        if (this.expires[e]! <= now) return -1;
        this.hits++;
        return e;
      }
    }
    return -1;
  }

  /** Inserts or renews the key until `expires` with `value`; returns its id (wired flag kept on renewal). */
  put(w0: number, a0: number, a1: number, a2: number, a3: number, value: number, expires: number, now: number): number {
    const base = (hash5(w0, a0, a1, a2, a3) & this.setMask) * WAYS;
    const k = this.keys;
    let victim = base;
    let soonest = Infinity;
    for (let e = base; e < base + WAYS; e++) {
      const o = e * KEY_WORDS;
      const used = (this.flags[e]! & ProbeFlag.Used) !== 0;
      if (used && k[o + 4] === a3 && k[o] === w0 && k[o + 3] === a2 && k[o + 1] === a0 && k[o + 2] === a1) {
        this.values[e] = value;
        this.expires[e] = expires;
        return e;
      }
      const t = used ? this.expires[e]! : -Infinity;
      if (t < soonest) {
        soonest = t;
        victim = e;
      }
    }
    if (soonest > now) this.evictions++;
    this.remove(victim);
    const o = victim * KEY_WORDS;
    k[o] = w0;
    k[o + 1] = a0;
    k[o + 2] = a1;
    k[o + 3] = a2;
    k[o + 4] = a3;
    this.values[victim] = value;
    this.expires[victim] = expires;
    this.flags[victim] = ProbeFlag.Used;
    this.inserts++;
    return victim;
  }

  /** Frees entry `id` (a wired one is unwired first). */
  remove(id: number): void {
    const f = this.flags[id]!;
    if ((f & ProbeFlag.Wired) !== 0 && this.onUnwire) this.onUnwire(id);
    this.flags[id] = 0;
  }

  /** Removes the key if present (expired or not). */
  removeKey(w0: number, a0: number, a1: number, a2: number, a3: number): void {
    const hits = this.hits; // not a lookup a request made: not counted as a hit
    const id = this.find(w0, a0, a1, a2, a3, -Infinity);
    this.hits = hits;
    if (id >= 0) this.remove(id);
  }

  isUsed(id: number): boolean {
    return (this.flags[id]! & ProbeFlag.Used) !== 0;
  }

  isWired(id: number): boolean {
    return (this.flags[id]! & ProbeFlag.Wired) !== 0;
  }

  setWired(id: number, wired: boolean): void {
    this.flags[id] = wired ? this.flags[id]! | ProbeFlag.Wired : this.flags[id]! & ~ProbeFlag.Wired;
  }

  key(id: number, w: number): number {
    return this.keys[id * KEY_WORDS + w]!;
  }

  valueOf(id: number): number {
    return this.values[id]!;
  }

  expiresOf(id: number): number {
    return this.expires[id]!;
  }

  renew(id: number, expires: number): void {
    this.expires[id] = expires;
  }

  /** Calls `fn` for every used entry that expired by `now` (it may renew or remove it). */
  forEachExpired(now: number, fn: (id: number) => void): void {
    for (let e = 0; e < this.capacity; e++) if ((this.flags[e]! & ProbeFlag.Used) !== 0 && this.expires[e]! <= now) fn(e);
  }

  /** Entries not expired at `now` (scans the table: for stats, not the hot path). */
  live(now: number): number {
    let n = 0;
    for (let e = 0; e < this.capacity; e++) if ((this.flags[e]! & ProbeFlag.Used) !== 0 && this.expires[e]! > now) n++;
    return n;
  }

  bytes(): number {
    return this.keys.byteLength + this.expires.byteLength + this.values.byteLength + this.flags.byteLength;
  }

  /** Live entries with their remaining lifetime (warm restarts, `ctl`). */
  exportEntries(now: number): ProbeEntry[] {
    const out: ProbeEntry[] = [];
    for (let e = 0; e < this.capacity; e++) {
      if ((this.flags[e]! & ProbeFlag.Used) === 0 || this.expires[e]! <= now) continue;
      const o = e * KEY_WORDS;
      const k = this.keys;
      out.push({ key: [k[o]!, k[o + 1]!, k[o + 2]!, k[o + 3]!, k[o + 4]!], value: this.values[e]!, remaining: this.expires[e]! - now });
    }
    return out;
  }
}
