// Static entries (from the file's `static` lines and added at run time) and their
// announcements: up to 3 gratuitous ARP / unsolicited NA per added entry, the first at
// once and the others from `tick`. Owns the static table and every per-entry value.
import { Family, newIp6, type IpAddress, type Ip6, type Mac } from '../net/addr';
import { NA_FLAG_OVERRIDE, NA_FLAG_ROUTER } from '../wire/view';
import { AddrTable, KEY_WORDS, metaIsV6, metaSlot, metaWord } from './addrtable';
import type { IfState, InterfaceTable } from './interfaces';
import { runSteps, SliceBudget } from './slices';
import { adoptIndex, carryRuntime, usableIndex } from './statics-index';
import { STATIC_WORDS, tablesOf } from './tables';
import type { PolicyOutput } from './types';

export interface StaticOptions {
  /** Bound on entries (src/config/limits.ts MAX_STATICS); the table grows to it by doubling. */
  size: number;
  /** Announcements per announced entry (RFC 4861: at most 3; more are cut to 3). */
  announceCount: number;
  /** Minimum seconds between two announcements of one entry. */
  announceInterval: number;
}

/** Entries the table holds before its first growth: a few hundred KiB for any file. */
const INITIAL_CAPACITY = 4096;

export const enum Origin {
  None = 0,
  /** Added at run time (`ctl add`): kept across reloads. */
  Runtime = 1,
  /** From the configuration file: a reload replaces these. */
  File = 2,
}

/** A reload's static table, built aside (StaticTable.prepareSteps), waiting for commit(). */
export interface PreparedStatics {
  readonly ifs: readonly IfState[];
  /** StaticTable.changes when it was built. */
  readonly changes: number;
  table: AddrTable;
  mac: Float64Array;
  /** table and mac are a prepare thread's, shared with other workers: copied before a change. */
  shared?: boolean;
  readonly origin: Uint8Array;
  /** Per entry: the id in the table in force whose announcements it continues, or -1. */
  readonly carry: Int32Array;
  /** Per entry: 1 when its announcements start at the commit. */
  readonly fresh: Uint8Array;
  /** The entries with `carry` or `fresh` set: all that commit() walks. */
  readonly touched: number[];
  /** Announcement state, zero until commit() fills it for `touched`. */
  readonly left: Uint8Array;
  readonly at: Float64Array;
  readonly queued: Uint8Array;
  /** Entries added at run time in `table`. */
  runtime: number;
}

/** Inserts the address's key on `slot` unless present; its id, or -1 when the table is full. */
function putKey(t: AddrTable, slot: number, a: IpAddress): number {
  const v6 = a.family === Family.V6;
  const w = metaWord(v6, slot, -1);
  const id = v6 ? t.find(w, a.v6[0]!, a.v6[1]!, a.v6[2]!, a.v6[3]!) : t.find(w, 0, 0, 0, a.v4);
  if (id >= 0) return id;
  return v6 ? t.insert(w, a.v6[0]!, a.v6[1]!, a.v6[2]!, a.v6[3]!) : t.insert(w, 0, 0, 0, a.v4);
}

export class StaticTable {
  private table: AddrTable;
  private mac: Float64Array;
  /** Where entry id came from (a reload replaces the file's only); Origin.None when free. */
  private origin: Uint8Array;
  private announceLeft: Uint8Array;
  /** 1 while entry id is in `announcing`. */
  private queued: Uint8Array;
  /** Counts run-time adds and removes, and commits: a prepared table built before one is stale. */
  private changes = 0;
  /** Entries with Origin.Runtime. */
  private runtimeCount = 0;
  private announceAt: Float64Array;
  /** table and mac are shared with other threads (statics-index.ts): copy them before a change. */
  private shared = false;
  /** The bound `size`: the table doubles up to it, never past it. */
  readonly maxSize: number;
  /** Ids with announcements left. */
  private announcing: number[] = [];
  private readonly announceCount: number;
  private readonly announceInterval: number;
  private readonly scratch6 = newIp6();
  /** Announcement frames sent (one per entry and VLAN). */
  announcements = 0;

  constructor(
    opts: StaticOptions,
    private readonly ifaces: InterfaceTable,
    private readonly output: PolicyOutput,
  ) {
    this.maxSize = opts.size;
    const n = Math.min(opts.size, INITIAL_CAPACITY);
    this.table = new AddrTable(n);
    this.mac = new Float64Array(n);
    this.origin = new Uint8Array(n);
    this.announceLeft = new Uint8Array(n);
    this.queued = new Uint8Array(n);
    this.announceAt = new Float64Array(n);
    this.announceCount = Math.min(3, opts.announceCount);
    this.announceInterval = opts.announceInterval;
  }

  get size(): number {
    return this.table.size;
  }

  // ---------------------------------------------------------------- hot path

  /** Entry id of IPv4 `ip` on the interface slot, or -1. */
  find4(slot: number, ip: number): number {
    return this.table.size > 0 ? this.table.find(metaWord(false, slot, -1), 0, 0, 0, ip) : -1;
  }

  /** Entry id of IPv6 `a` on the interface slot, or -1. */
  find6(slot: number, a: Ip6): number {
    return this.table.size > 0 ? this.table.find(metaWord(true, slot, -1), a[0]!, a[1]!, a[2]!, a[3]!) : -1;
  }

  /** Entry id of a full key (meta word with VLAN "any"), or -1 (the takeover guard). */
  findKey(w0: number, a0: number, a1: number, a2: number, a3: number): number {
    return this.table.size > 0 ? this.table.find(w0, a0, a1, a2, a3) : -1;
  }

  /** MAC of entry `id`. */
  macOf(id: number): Mac {
    return this.mac[id]!;
  }

  // ---------------------------------------------------------------- changes

  /** Adds or replaces the entry; with `announce`, schedules announcements from `now`. False when full. */
  add(slot: number, address: IpAddress, mac: Mac, announce: boolean, now: number): boolean {
    const id = this.put(slot, address, mac);
    if (id < 0) return false;
    if (announce) this.scheduleAnnounce(id, now);
    return true;
  }

  /** Removes the entry (its pending announcements too); false when there was none. */
  remove(slot: number, address: IpAddress): boolean {
    const id = this.find(slot, address);
    if (id < 0) return false;
    this.own();
    if (this.origin[id] === Origin.Runtime) this.runtimeCount--;
    this.origin[id] = Origin.None;
    this.announceLeft[id] = 0;
    this.table.remove(id);
    this.changes++;
    return true;
  }

  /** The entry's MAC, or -1. */
  macFor(slot: number, address: IpAddress): Mac | -1 {
    const id = this.find(slot, address);
    return id < 0 ? -1 : this.mac[id]!;
  }

  /**
   * Replaces the previous file's entries by the new file's (entries added at run time stay).
   * An `announce` entry is announced when it is new or its MAC changed. In one go: a
   * reload of a running daemon uses prepareSteps() and commit() instead.
   */
  reload(ifs: readonly IfState[], now: number): void {
    this.commit(runSteps(this.prepareSteps(ifs, Infinity)), now);
  }

  /**
   * The table a reload puts in force, built aside in steps of at most `slice` entries (each
   * step yields its count) while this one answers: the entries added at run time, then the
   * file's. Only typed arrays, so a large file leaves little for the garbage collector.
   */
  *prepareSteps(ifs: readonly IfState[], slice: number): Generator<number, PreparedStatics> {
    const b = new SliceBudget(slice);
    const idx = usableIndex(ifs, this.maxSize, this.runtimeCount);
    if (idx) {
      const now = { table: this.table, mac: this.mac, origin: this.origin, runtime: this.runtimeCount };
      return yield* adoptIndex(idx, now, ifs, this.changes, b);
    }
    let fromFile = 0;
    for (const s of ifs) fromFile += tablesOf(s.cfg)?.statics.count ?? s.cfg.statics.length;
    let cap = Math.min(this.maxSize, INITIAL_CAPACITY);
    while (cap < this.runtimeCount + fromFile && cap < this.maxSize) cap = Math.min(this.maxSize, cap * 2);
    const p: PreparedStatics = {
      ifs, changes: this.changes, table: new AddrTable(cap), mac: new Float64Array(cap), origin: new Uint8Array(cap),
      left: new Uint8Array(cap), at: new Float64Array(cap), queued: new Uint8Array(cap),
      carry: new Int32Array(cap).fill(-1), fresh: new Uint8Array(cap), touched: [], runtime: 0,
    };
    yield* carryRuntime(p, { table: this.table, mac: this.mac, origin: this.origin, runtime: this.runtimeCount }, b);
    const w = new Uint32Array(4);
    for (const s of ifs) {
      // The prepare thread's flat table when it sent one (tables.ts), else the entries' objects.
      const flat = tablesOf(s.cfg)?.statics;
      const n = flat?.count ?? s.cfg.statics.length;
      for (let j = 0; j < n; j++) {
        if (flat) {
          const o = STATIC_WORDS * j;
          for (let k = 0; k < 4; k++) w[k] = flat.words[o + 1 + k]!;
          this.prepareEntry(p, s.slot, flat.words[o] === 6, w, flat.mac[j]!, flat.announce[j] === 1);
        } else {
          const e = s.cfg.statics[j]!;
          const a = e.address;
          if (a.family === Family.V6) w.set(a.v6);
          else w[3] = a.v4;
          this.prepareEntry(p, s.slot, a.family === Family.V6, w, e.mac, e.announce);
        }
        if (b.tick()) yield b.take();
      }
    }
    return p;
  }

  /** One entry of the file in a prepared table: address words `w` (IPv4 in w[3]). */
  private prepareEntry(p: PreparedStatics, slot: number, v6: boolean, w: Uint32Array, mac: Mac, announce: boolean): void {
    const meta = metaWord(v6, slot, -1);
    const t = p.table;
    let n = v6 ? t.find(meta, w[0]!, w[1]!, w[2]!, w[3]!) : t.find(meta, 0, 0, 0, w[3]!);
    if (n < 0) n = v6 ? t.insert(meta, w[0]!, w[1]!, w[2]!, w[3]!) : t.insert(meta, 0, 0, 0, w[3]!);
    if (n < 0) return;
    if (p.origin[n] === Origin.Runtime) p.runtime--;
    const was = v6 ? this.find6(slot, w) : this.find4(slot, w[3]! | 0);
    const same = was >= 0 && this.origin[was] === Origin.File && this.mac[was] === mac;
    p.mac[n] = mac;
    p.origin[n] = Origin.File;
    // Unchanged: the announcements it had left go on; new or moved: they start again.
    p.carry[n] = same && announce ? was : -1;
    p.fresh[n] = !same && announce ? 1 : 0;
    if (p.carry[n]! >= 0 || p.fresh[n]) p.touched.push(n);
  }

  /**
   * Puts a prepared table in force in one step (between two batches), its work bounded by
   * the entries with announcements; rebuilt here when an entry was added or removed at run
   * time since it was prepared. Announcement state is read now, so the announcements sent
   * while it was prepared are not sent again.
   */
  commit(prepared: PreparedStatics, now: number): void {
    const p = prepared.changes === this.changes ? prepared : runSteps(this.prepareSteps(prepared.ifs, Infinity));
    const announcing: number[] = [];
    for (const n of p.touched) {
      const c = p.carry[n]!;
      if (c >= 0) {
        p.left[n] = this.announceLeft[c]!;
        p.at[n] = this.announceAt[c]!;
      } else if (p.fresh[n]) {
        p.left[n] = this.announceCount;
        p.at[n] = now;
      }
      if (p.left[n]! > 0 && !p.queued[n]) {
        announcing.push(n);
        p.queued[n] = 1;
      }
    }
    this.table = p.table;
    this.mac = p.mac;
    this.shared = p.shared ?? false;
    this.origin = p.origin;
    this.announceLeft = p.left;
    this.announceAt = p.at;
    this.queued = p.queued;
    this.announcing = announcing;
    this.runtimeCount = p.runtime;
    this.changes++;
    this.tick(now);
  }

  /** Sends the announcements due at `now`. */
  tick(now: number): void {
    if (this.announcing.length === 0) return;
    const keep: number[] = [];
    for (const id of this.announcing) {
      if (this.announceLeft[id]! > 0 && now >= this.announceAt[id]!) {
        this.announce(id);
        this.announceLeft[id]!--;
        this.announceAt[id] = now + this.announceInterval;
      }
      if (this.announceLeft[id]! > 0) keep.push(id);
      else this.queued[id] = 0;
    }
    this.announcing = keep;
  }

  private find(slot: number, a: IpAddress): number {
    return a.family === Family.V6 ? this.find6(slot, a.v6) : this.find4(slot, a.v4);
  }

  /** The entry of a run-time add (an entry of the file keeps its origin: the next reload sets it again). */
  private put(slot: number, a: IpAddress, mac: Mac): number {
    this.own();
    let id = this.find(slot, a);
    if (id < 0) {
      if (this.table.size === this.table.capacity && !this.grow()) return -1;
      id = putKey(this.table, slot, a);
      if (id < 0) return -1;
      this.origin[id] = Origin.Runtime;
      this.runtimeCount++;
      this.announceLeft[id] = 0;
    }
    this.changes++;
    this.mac[id] = mac;
    return id;
  }

  /** Copies a table shared with other threads before this one changes it. */
  private own(): void {
    if (!this.shared) return;
    this.table = this.table.copy();
    this.mac = this.mac.slice();
    this.shared = false;
  }

  /** Doubles the table (ids and per-entry values kept) up to maxSize; false when at it. */
  private grow(): boolean {
    const cap = this.table.capacity;
    if (cap >= this.maxSize) return false;
    const n = Math.min(this.maxSize, cap * 2);
    this.table = this.table.grownTo(n);
    const mac = new Float64Array(n);
    mac.set(this.mac);
    this.mac = mac;
    const origin = new Uint8Array(n);
    origin.set(this.origin);
    this.origin = origin;
    const queued = new Uint8Array(n);
    queued.set(this.queued);
    this.queued = queued;
    const left = new Uint8Array(n);
    left.set(this.announceLeft);
    this.announceLeft = left;
    const at = new Float64Array(n);
    at.set(this.announceAt);
    this.announceAt = at;
    return true;
  }

  private scheduleAnnounce(id: number, now: number): void {
    this.announceLeft[id] = this.announceCount;
    this.announceAt[id] = now;
    if (!this.queued[id]) this.announcing.push(id);
    this.queued[id] = 1;
    this.tick(now);
  }

  /** One announcement of entry `id` on every VLAN of its interface. */
  private announce(id: number): void {
    const k = this.table.keys;
    const o = id * KEY_WORDS;
    const w0 = k[o]!;
    const st = this.ifaces.bySlot(metaSlot(w0));
    if (!st) return;
    const mac = this.mac[id]!;
    const vlans = st.cfg.vlans && st.cfg.vlans.length > 0 ? st.cfg.vlans : [-1];
    for (const v of vlans) {
      const vlan = v === 0 ? -1 : v; // 0 in the list stands for untagged
      this.announcements++;
      if (metaIsV6(w0)) {
        const t = this.scratch6;
        for (let w = 0; w < 4; w++) t[w] = k[o + 1 + w]!;
        this.output.unsolicitedNa(st.index, vlan, t, mac, (st.cfg.nd.router ? NA_FLAG_ROUTER : 0) | NA_FLAG_OVERRIDE);
      } else {
        this.output.arpAnnounce(st.index, vlan, k[o + 4]!, mac);
      }
    }
  }
}
