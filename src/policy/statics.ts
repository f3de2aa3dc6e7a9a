// Static entries (from the file's `static` lines and added at run time) and their
// announcements: up to 3 gratuitous ARP / unsolicited NA per added entry, the first at
// once and the others from `tick`. Owns the static table and every per-entry value.
import { Family, newIp6, type IpAddress, type Ip6, type Mac } from '../net/addr';
import { NA_FLAG_OVERRIDE, NA_FLAG_ROUTER } from '../wire/view';
import { AddrTable, KEY_WORDS, metaIsV6, metaSlot, metaWord } from './addrtable';
import type { IfState, InterfaceTable } from './interfaces';
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

export class StaticTable {
  private table: AddrTable;
  private mac: Float64Array;
  /** 1 when the entry came from the configuration file (a reload replaces those only). */
  private fromConfig: Uint8Array;
  private announceLeft: Uint8Array;
  private announceAt: Float64Array;
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
    this.fromConfig = new Uint8Array(n);
    this.announceLeft = new Uint8Array(n);
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
    this.fromConfig[id] = 0;
    this.announceLeft[id] = 0;
    this.table.remove(id);
    return true;
  }

  /** The entry's MAC, or -1. */
  macFor(slot: number, address: IpAddress): Mac | -1 {
    const id = this.find(slot, address);
    return id < 0 ? -1 : this.mac[id]!;
  }

  /**
   * Replaces the previous file's entries by the new file's (entries added at run time stay).
   * An `announce` entry is announced when it is new or its MAC changed.
   */
  reload(ifs: readonly IfState[], now: number): void {
    // Per previous file entry: its MAC and the announcements it had left (kept when unchanged).
    const before = new Map<string, { mac: number; left: number; at: number }>();
    for (let id = 0; id < this.fromConfig.length; id++) {
      if (!this.fromConfig[id]) continue;
      before.set(this.keyText(id), { mac: this.mac[id]!, left: this.announceLeft[id]!, at: this.announceAt[id]! });
      this.fromConfig[id] = 0;
      this.announceLeft[id] = 0; // a dropped entry stops announcing
      this.table.remove(id);
    }
    for (const s of ifs) {
      for (const e of s.cfg.statics) {
        const id = this.put(s.slot, e.address, e.mac);
        if (id < 0) continue;
        this.fromConfig[id] = 1;
        const was = before.get(this.keyText(id));
        if (was !== undefined && was.mac === e.mac) {
          if (was.left > 0 && e.announce) this.resumeAnnounce(id, was.left, was.at);
        } else if (e.announce) {
          this.scheduleAnnounce(id, now);
        }
      }
    }
  }

  /** Sends the announcements due at `now`. */
  tick(now: number): void {
    if (this.announcing.length === 0) return;
    const keep: number[] = [];
    for (const id of this.announcing) {
      if (this.announceLeft[id] === 0) continue;
      if (now >= this.announceAt[id]!) {
        this.announce(id);
        this.announceLeft[id]!--;
        this.announceAt[id] = now + this.announceInterval;
      }
      if (this.announceLeft[id]! > 0) keep.push(id);
    }
    this.announcing = keep;
  }

  private keyText(id: number): string {
    const k = this.table.keys;
    const o = id * KEY_WORDS;
    return `${k[o]}:${k[o + 1]}:${k[o + 2]}:${k[o + 3]}:${k[o + 4]}`;
  }

  private find(slot: number, a: IpAddress): number {
    return a.family === Family.V6 ? this.find6(slot, a.v6) : this.find4(slot, a.v4);
  }

  private put(slot: number, a: IpAddress, mac: Mac): number {
    let id = this.find(slot, a);
    if (id < 0) {
      const v6 = a.family === Family.V6;
      const w = metaWord(v6, slot, -1);
      if (this.table.size === this.table.capacity && !this.grow()) return -1;
      id = v6 ? this.table.insert(w, a.v6[0]!, a.v6[1]!, a.v6[2]!, a.v6[3]!) : this.table.insert(w, 0, 0, 0, a.v4);
      if (id < 0) return -1;
      this.fromConfig[id] = 0;
      this.announceLeft[id] = 0;
    }
    this.mac[id] = mac;
    return id;
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
    const from = new Uint8Array(n);
    from.set(this.fromConfig);
    this.fromConfig = from;
    const left = new Uint8Array(n);
    left.set(this.announceLeft);
    this.announceLeft = left;
    const at = new Float64Array(n);
    at.set(this.announceAt);
    this.announceAt = at;
    return true;
  }

  private resumeAnnounce(id: number, left: number, at: number): void {
    this.announceLeft[id] = left;
    this.announceAt[id] = at;
    if (!this.announcing.includes(id)) this.announcing.push(id);
  }

  private scheduleAnnounce(id: number, now: number): void {
    this.announceLeft[id] = this.announceCount;
    this.announceAt[id] = now;
    if (!this.announcing.includes(id)) this.announcing.push(id);
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
