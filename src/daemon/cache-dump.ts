// `ctl show cache` from a compact snapshot. Copying 100 000 entries' keys, MACs and states
// into typed arrays takes a few milliseconds; turning them into JSON takes far longer and
// is done a slice at a time by the control connection (control-conn.ts), between batches.
// The snapshot is shared: every dump asked for within SNAPSHOT_REUSE_MS reads the same one.
import { formatIp4, formatIp6, formatMac } from '../net/addr';
import { metaIsV6, metaSlot, metaVlan } from '../policy/addrtable';

/** A list of entries produced one at a time (streamed as a JSON array). */
export interface EntrySource {
  readonly length: number;
  entry(i: number): Record<string, unknown>;
  /**
   * Entry `i` without an object or a string: its interface name when it is IPv6 (its
   * address words copied into `out`), else undefined. MLD joins read the cache this way.
   */
  v6At?(i: number, out: Uint32Array): string | undefined;
}

/** State names in snapshot order; index 4 is an expired entry not yet swept. */
const STATES = ['free', 'fresh', 'probing', 'incomplete', 'stale'] as const;
export const STATE_STALE = 4;
const WORDS = 5;

/**
 * A snapshot as plain arrays (what a worker posts to the main thread with `workers N`:
 * three typed arrays, transferable, and the interface name of each cache slot).
 */
export interface SnapshotParts {
  n: number;
  keys: Uint32Array;
  macs: Float64Array;
  states: Uint8Array;
  /** Interface name by cache slot (null: the slot's interface left the configuration). */
  slotNames: (string | null)[];
}

export class CacheSnapshot implements EntrySource {
  private readonly keys: Uint32Array;
  private readonly macs: Float64Array;
  private readonly states: Uint8Array;
  private n = 0;
  private readonly ip6 = new Uint32Array(4);
  /** Interface name by cache slot, as v6At first looked it up (slotName walks a map). */
  private readonly names: string[] = [];

  constructor(capacity: number, private readonly slotName: (slot: number) => string | undefined) {
    this.keys = new Uint32Array(capacity * WORDS);
    this.macs = new Float64Array(capacity);
    this.states = new Uint8Array(capacity);
  }

  /** A snapshot over arrays another thread took (parts()): nothing is copied. */
  static fromParts(p: SnapshotParts): CacheSnapshot {
    const s = new CacheSnapshot(0, (slot) => p.slotNames[slot] ?? undefined);
    const w = s as unknown as { keys: Uint32Array; macs: Float64Array; states: Uint8Array; n: number };
    w.keys = p.keys;
    w.macs = p.macs;
    w.states = p.states;
    w.n = Math.min(p.n, p.states.length);
    return s;
  }

  /** This snapshot's own arrays (post them with their buffers transferred) and its slot names. */
  parts(): SnapshotParts {
    let maxSlot = -1;
    for (let i = 0; i < this.n; i++) maxSlot = Math.max(maxSlot, metaSlot(this.keys[i * WORDS]!));
    const slotNames: (string | null)[] = [];
    for (let s = 0; s <= maxSlot; s++) slotNames.push(this.slotName(s) ?? null);
    return { n: this.n, keys: this.keys, macs: this.macs, states: this.states, slotNames };
  }

  get length(): number {
    return this.n;
  }

  /** Adds one entry (mac < 0: not resolved yet); ignored past the capacity given. */
  push(w0: number, a0: number, a1: number, a2: number, a3: number, mac: number, state: number): void {
    const i = this.n;
    if (i >= this.states.length) return;
    const k = i * WORDS;
    this.keys[k] = w0;
    this.keys[k + 1] = a0;
    this.keys[k + 2] = a1;
    this.keys[k + 3] = a2;
    this.keys[k + 4] = a3;
    this.macs[i] = mac;
    this.states[i] = state;
    this.n = i + 1;
  }

  /** Entry `i` as `show cache` has always printed it. */
  entry(i: number): Record<string, unknown> {
    const k = i * WORDS;
    const w0 = this.keys[k]!;
    const v6 = metaIsV6(w0);
    const slot = metaSlot(w0);
    let address: string;
    if (v6) {
      this.ip6.set(this.keys.subarray(k + 1, k + 5));
      address = formatIp6(this.ip6);
    } else {
      address = formatIp4(this.keys[k + 4]!);
    }
    const mac = this.macs[i]!;
    return {
      interface: this.slotName(slot) ?? `#${slot}`,
      vlan: metaVlan(w0),
      family: v6 ? 6 : 4,
      address,
      mac: mac < 0 ? null : formatMac(mac),
      state: STATES[this.states[i]!] ?? 'unknown',
    };
  }

  v6At(i: number, out: Uint32Array): string | undefined {
    const k = i * WORDS;
    const w0 = this.keys[k]!;
    if (!metaIsV6(w0)) return undefined;
    for (let w = 0; w < 4; w++) out[w] = this.keys[k + 1 + w]!;
    const slot = metaSlot(w0);
    let name = this.names[slot];
    if (name === undefined) name = this.names[slot] = this.slotName(slot) ?? `#${slot}`;
    return name;
  }

  /** Every entry as plain objects (tests, small dumps). */
  toArray(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.entry(i));
    return out;
  }
}

/** Several sources as one, in order (the workers' snapshots as one dump). */
export function concatSources(sources: EntrySource[]): EntrySource {
  const starts: number[] = [];
  let length = 0;
  for (const s of sources) {
    starts.push(length);
    length += s.length;
  }
  let k = 0; // entries are asked for in order: the source of the last one is tried first
  const at = (i: number): number => {
    if (i < starts[k]! || i >= starts[k]! + sources[k]!.length) {
      k = 0;
      while (i >= starts[k]! + sources[k]!.length) k++;
    }
    return k;
  };
  const all: EntrySource = { length, entry: (i) => { const s = at(i); return sources[s]!.entry(i - starts[s]!); } };
  if (sources.every((s) => s.v6At !== undefined)) all.v6At = (i, out) => { const s = at(i); return sources[s]!.v6At!(i - starts[s]!, out); };
  return all;
}

/** Dumps within this many ms of a snapshot share it (40 000 queued dumps cost one copy). */
export const SNAPSHOT_REUSE_MS = 1000;

/** Holds the latest snapshot and takes a new one when it is older than `reuseMs`. */
export class SharedSnapshot {
  private last: { at: number; snap: EntrySource } | null = null;
  constructor(private readonly take: () => EntrySource, private readonly reuseMs = SNAPSHOT_REUSE_MS, private readonly now = Date.now) {}
  get(): EntrySource {
    const t = this.now();
    if (this.last === null || t - this.last.at >= this.reuseMs) this.last = { at: t, snap: this.take() };
    return this.last.snap;
  }
}
