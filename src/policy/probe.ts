// `probe IFACE`: answer a request for a target only once the target answered on IFACE
// (ndppd's `iface`). The first request for a target sends one ARP request or NS on IFACE
// (rate-limited per interface) and queues the answer (PendingAnswers, as redirects do) for
// the requesting interface's `timeout`; the target's reply, or any ARP/NA it sends itself on
// IFACE, or a REACHABLE kernel neighbour entry, puts it in the alive table and releases the
// queued answers. No reply by the deadline: the target stays in the absent table for the
// rule's `absent` seconds, and requests for it cost nothing more. With `autowire`, a target
// found alive gets a host route via IFACE (HostRouteSink) until its entry expires.
import { BROADCAST_MAC, Family, formatIp4, formatIp6, isUnspecified6, newIp6, prefixContains, type Ip4, type Ip6, type Mac, type Prefix } from '../net/addr';
import { ActionKind, type ProbeAction } from '../config/types';
import { NA_FLAG_OVERRIDE, NA_FLAG_ROUTER, NA_FLAG_SOLICITED, type FrameView } from '../wire/view';
import { metaIsV6, metaSlot, metaWord } from './addrtable';
import { Reason } from './decision';
import type { IfState, InterfaceTable } from './interfaces';
import { PendingAnswers } from './pending';
import { ProbeTable, type ProbeEntry } from './probe-table';
import { ALL_NODES, ALL_NODES_MAC } from './redirect';
import type { PolicyEnvironment, PolicyOutput } from './types';

/** Installs and removes host routes for targets found alive (the daemon's autowire.ts). */
export interface HostRouteSink {
  add(iface: string, family: Family, addr: Ip4 | Ip6): void;
  remove(iface: string, family: Family, addr: Ip4 | Ip6): void;
}

export interface ProbeOptions {
  /** Bounds of the alive and absent tables (rounded up to powers of two). */
  aliveSize: number;
  absentSize: number;
  /** Probes per second per probed interface, and the burst allowed. */
  rate: number;
  burst: number;
}

/** A probe cache entry with its interface name, for `warm` restarts and `ctl`. */
export interface ProbeRecord {
  table: 'alive' | 'absent';
  iface: string;
  family: 4 | 6;
  address: string;
  /** The address words (IPv4 in word 3). */
  words: [number, number, number, number];
  /** Alive: the host's MAC, -1 when only the kernel vouched for it. */
  mac: number;
  /** Seconds left; absent entries still probing have `probing` seconds of it left to wait. */
  remaining: number;
  probing: number;
}

export class ProbeQueue {
  /** Tiny until a configuration has a probe rule (then full size, kept across reloads). */
  alive: ProbeTable;
  absent: ProbeTable;
  pending: PendingAnswers;
  /** Probes sent, refused by the rate limit, answers sent once the target replied, routes asked for. */
  sent = 0;
  limited = 0;
  answered = 0;
  wired = 0;
  routes: HostRouteSink | null = null;
  /** Per slot: 1 when some rule probes on it; the longest `alive` of those rules. */
  /** Per interface slot: 1 when some rule probes it (read by the core before calling `heard`). */
  probed = new Uint8Array(0);
  private aliveBySlot = new Float64Array(0);
  private absentBySlot = new Float64Array(0);
  private tokens = new Float64Array(0);
  private refill = new Float64Array(0);
  /** The target prefixes of `autowire` rules and the slot they probe (reload drops routes no rule covers). */
  private wiredPrefixes: { slot: number; target: Prefix }[] = [];
  private readonly dip = newIp6();
  private readonly tgt = newIp6();

  constructor(
    private readonly opts: ProbeOptions,
    private readonly ifaces: InterfaceTable,
    private readonly env: PolicyEnvironment,
    private readonly output: PolicyOutput,
  ) {
    this.alive = new ProbeTable(4);
    this.absent = new ProbeTable(4);
    this.pending = new PendingAnswers(4);
    this.alive.onUnwire = (id) => this.unwire(id);
  }

  /** The first configuration with a probe rule allocates the tables (a policy without one pays under 1 KiB). */
  private allocate(): void {
    if (this.alive.capacity >= this.opts.aliveSize) return;
    this.alive = new ProbeTable(this.opts.aliveSize);
    this.absent = new ProbeTable(this.opts.absentSize);
    this.pending = new PendingAnswers(4096);
    this.alive.onUnwire = (id) => this.unwire(id);
  }

  /** Reads the probe rules of the configuration just installed; unwires routes no rule covers any more. */
  configure(list: readonly IfState[]): void {
    const n = this.ifaces.slots.size;
    const probed = new Uint8Array(n);
    const alive = new Float64Array(n);
    const absent = new Float64Array(n);
    const prefixes: { slot: number; target: Prefix }[] = [];
    for (const st of list) {
      // The probe rules' indexes, listed by the sliced build: a swap of 100 000 rules walked them all.
      for (const i of st.probeRules) {
        const r = st.rules[i]!;
        if (r.action.kind !== ActionKind.Probe) continue;
        const slot = this.ifaces.slots.get(r.action.probe.iface);
        if (slot === undefined) continue;
        probed[slot] = 1;
        alive[slot] = Math.max(alive[slot]!, r.action.probe.alive);
        absent[slot] = Math.max(absent[slot]!, r.action.probe.absent);
        if (r.action.probe.autowire) prefixes.push({ slot, target: r.target });
      }
    }
    if (this.tokens.length < n) {
      const t = new Float64Array(n).fill(this.opts.burst);
      t.set(this.tokens);
      const f = new Float64Array(n);
      f.set(this.refill);
      this.tokens = t;
      this.refill = f;
    }
    if (probed.includes(1)) this.allocate();
    this.probed = probed;
    this.aliveBySlot = alive;
    this.absentBySlot = absent;
    this.wiredPrefixes = prefixes;
    for (let id = 0; id < this.alive.capacity; id++) {
      if (this.alive.isWired(id) && !this.covered(id)) this.unwire(id);
    }
  }

  /**
   * Resolves rule `ri` of `st` (action `probe`) for request `f`: Reason.Rule when the target
   * is alive on the probed interface (then the caller answers with our MAC), else why not.
   */
  resolve(f: FrameView, st: IfState, ri: number, p: ProbeAction, v6: boolean, now: number): Reason {
    if (p.viaRoute === true) return this.routedThrough(f, st, p.iface, v6);
    const slot = this.ifaces.slots.get(p.iface);
    const down = slot === undefined ? undefined : this.ifaces.bySlot(slot);
    if (down === undefined) return Reason.ProbeAbsent;
    const w0 = metaWord(v6, down.slot, -1);
    const t = f.target;
    const a0 = v6 ? t[0]! : 0;
    const a1 = v6 ? t[1]! : 0;
    const a2 = v6 ? t[2]! : 0;
    const a3 = v6 ? t[3]! : f.targetIp;
    let id = this.alive.find(w0, a0, a1, a2, a3, now);
    if (id < 0 && this.kernelSaysAlive(down, v6, f)) id = this.alive.put(w0, a0, a1, a2, a3, -1, now + p.alive, now);
    if (id >= 0) {
      if (p.autowire) this.wire(id);
      return Reason.Rule;
    }
    const n = this.absent.find(w0, a0, a1, a2, a3, now);
    if (n >= 0 && this.absent.valueOf(n) <= now) return Reason.ProbeAbsent;
    if (n < 0 && !this.takeToken(down.slot, now)) return Reason.ProbeLimited;
    if (this.pending.add(w0, a0, a1, a2, a3, f, v6, st.slot, ri, now + st.cfg.timeout) < 0) return Reason.QueueFull;
    if (n >= 0) return Reason.Probing; // a retransmission while the probe is out
    this.absent.put(w0, a0, a1, a2, a3, now + st.cfg.timeout, now + st.cfg.timeout + p.absent, now);
    this.sendProbe(down, v6, a0, a1, a2, a3);
    return Reason.Probing;
  }

  /** A probe on a link without link layer (no ARP/ND there): alive when the kernel routes the target through it. */
  private routedThrough(f: FrameView, st: IfState, iface: string, v6: boolean): Reason {
    const via = v6 ? this.env.routeInterface(Family.V6, f.target, st.index) : this.env.routeInterface(Family.V4, f.targetIp, st.index);
    return via === iface ? Reason.Rule : Reason.ProbeAbsent;
  }

  /** An ARP or NA on interface `st` in which the owner of (v6, a0..a3) speaks for itself, with `mac`. */
  heard(st: IfState, v6: boolean, a0: number, a1: number, a2: number, a3: number, mac: Mac, now: number): void {
    if (this.probed[st.slot] !== 1) return;
    const w0 = metaWord(v6, st.slot, -1);
    this.alive.put(w0, a0, a1, a2, a3, mac, now + this.aliveBySlot[st.slot]!, now);
    this.absent.removeKey(w0, a0, a1, a2, a3);
    if (this.pending.count > 0) this.release(w0, a0, a1, a2, a3, now);
  }

  /** Drops queued answers past their deadline; expires alive entries (a REACHABLE kernel entry renews a wired one). */
  tick(now: number): void {
    if (this.pending.count > 0) this.pending.expire(now);
    this.alive.forEachExpired(now, (id) => {
      if (this.alive.isWired(id) && this.kernelReachable(id)) this.alive.renew(id, now + this.aliveBySlot[metaSlot(this.alive.key(id, 0))]!);
      else this.alive.remove(id);
    });
  }

  /** Removes every route this policy asked for (stop). */
  unwireAll(): void {
    for (let id = 0; id < this.alive.capacity; id++) if (this.alive.isWired(id)) this.unwire(id);
  }

  /** Answers every request that waited for the key: with our MAC, from the interface it came on. */
  private release(w0: number, a0: number, a1: number, a2: number, a3: number, now: number): void {
    const p = this.pending;
    for (let i = p.nextWaiting(0, w0, a0, a1, a2, a3); i >= 0; i = p.nextWaiting(i + 1, w0, a0, a1, a2, a3)) {
      p.release(i);
      if (p.deadlineOf(i) < now) {
        p.expired++;
        continue;
      }
      const st = this.ifaces.bySlot(p.slotOf(i));
      const rule = st?.rules[p.ruleOf(i)];
      if (!st || rule?.action.kind !== ActionKind.Probe) continue;
      if (rule.action.probe.autowire) {
        const id = this.alive.find(w0, a0, a1, a2, a3, now);
        if (id >= 0) this.wire(id);
      }
      this.answered++;
      this.sendAnswer(st, i, metaIsV6(w0), st.cfgMac >= 0 ? st.cfgMac : this.env.interfaceMac(st.index));
    }
  }

  private sendAnswer(st: IfState, i: number, v6: boolean, mac: Mac): void {
    const p = this.pending;
    const dst = p.requesterMacOf(i);
    if (!v6) {
      this.output.arpReply(st.index, p.vlanOf(i), dst, p.requesterIp4(i), mac, p.target4(i));
      return;
    }
    const dip = this.dip;
    const tgt = this.tgt;
    p.requesterIp6(i, dip);
    p.target6(i, tgt);
    const flags = (st.cfg.nd.router ? NA_FLAG_ROUTER : 0) | (st.cfg.nd.override ? NA_FLAG_OVERRIDE : 0);
    if (isUnspecified6(dip)) {
      dip.set(ALL_NODES);
      this.output.neighborAdvertisement(st.index, p.vlanOf(i), ALL_NODES_MAC, dip, tgt, mac, flags);
    } else {
      this.output.neighborAdvertisement(st.index, p.vlanOf(i), dst, dip, tgt, mac, flags | NA_FLAG_SOLICITED);
    }
  }

  /** NS from the probed interface's link-local to the target's solicited-node group, or a broadcast ARP request. */
  private sendProbe(down: IfState, v6: boolean, a0: number, a1: number, a2: number, a3: number): void {
    this.sent++;
    if (v6) {
      const t = this.tgt;
      t[0] = a0;
      t[1] = a1;
      t[2] = a2;
      t[3] = a3;
      this.env.sourceIp6(down.index, this.dip);
      this.output.neighborSolicitation(down.index, -1, this.dip, t, -1);
    } else {
      const mac = down.cfgMac >= 0 ? down.cfgMac : this.env.interfaceMac(down.index);
      this.output.arpRequest(down.index, -1, mac, this.env.sourceIp4(down.index), a3, BROADCAST_MAC);
    }
  }

  /** Token bucket per probed interface: `rate` per second, up to `burst`. */
  private takeToken(slot: number, now: number): boolean {
    const o = this.opts;
    const t = Math.min(o.burst, this.tokens[slot]! + (now - this.refill[slot]!) * o.rate);
    this.refill[slot] = now;
    if (t < 1) {
      this.tokens[slot] = t;
      this.limited++;
      return false;
    }
    this.tokens[slot] = t - 1;
    return true;
  }

  private kernelSaysAlive(down: IfState, v6: boolean, f: FrameView): boolean {
    const k = this.env.neighbourReachable;
    if (!k) return false;
    return v6 ? k.call(this.env, Family.V6, f.target, down.index) : k.call(this.env, Family.V4, f.targetIp, down.index);
  }

  private kernelReachable(id: number): boolean {
    const k = this.env.neighbourReachable;
    const st = this.ifaces.bySlot(metaSlot(this.alive.key(id, 0)));
    if (!k || !st) return false;
    const a = this.address(id);
    return k.call(this.env, a.family, a.family === Family.V4 ? a.v4 : a.v6, st.index);
  }

  private address(id: number): { family: Family.V4; v4: Ip4 } | { family: Family.V6; v6: Ip6 } {
    const t = this.alive;
    if (!metaIsV6(t.key(id, 0))) return { family: Family.V4, v4: t.key(id, 4) };
    return { family: Family.V6, v6: Uint32Array.of(t.key(id, 1), t.key(id, 2), t.key(id, 3), t.key(id, 4)) };
  }

  private covered(id: number): boolean {
    const slot = metaSlot(this.alive.key(id, 0));
    const a = this.address(id);
    return this.wiredPrefixes.some((w) => w.slot === slot && prefixContains(w.target, a));
  }

  private wire(id: number): void {
    if (this.alive.isWired(id) || !this.routes) return;
    const name = this.ifaces.slotName(metaSlot(this.alive.key(id, 0)));
    if (name === undefined) return;
    this.alive.setWired(id, true);
    this.wired++;
    const a = this.address(id);
    this.routes.add(name, a.family, a.family === Family.V4 ? a.v4 : a.v6);
  }

  private unwire(id: number): void {
    if (!this.alive.isWired(id)) return;
    this.alive.setWired(id, false);
    const name = this.ifaces.slotName(metaSlot(this.alive.key(id, 0)));
    const a = this.address(id);
    if (name !== undefined && this.routes) this.routes.remove(name, a.family, a.family === Family.V4 ? a.v4 : a.v6);
  }

  // ------------------------------------------------------------------ figures, warm restarts

  stats(now: number): ProbeStats {
    const t = (x: ProbeTable) => ({ capacity: x.capacity, entries: x.live(now), inserts: x.inserts, evictions: x.evictions, hits: x.hits, bytes: x.bytes() });
    return { sent: this.sent, limited: this.limited, answered: this.answered, wired: this.wired, waiting: this.pending.count, expired: this.pending.expired, alive: t(this.alive), absent: t(this.absent) };
  }

  /** Both tables' live entries, keyed by interface name (slots are not stable across runs). */
  exportEntries(now: number): ProbeRecord[] {
    const out: ProbeRecord[] = [];
    const add = (table: 'alive' | 'absent', e: ProbeEntry): void => {
      const iface = this.ifaces.slotName(metaSlot(e.key[0]));
      if (iface === undefined) return;
      const v6 = metaIsV6(e.key[0]);
      const words: [number, number, number, number] = [e.key[1], e.key[2], e.key[3], e.key[4]];
      const address = v6 ? formatIp6(Uint32Array.from(words)) : formatIp4(words[3]);
      const probing = table === 'absent' ? Math.max(0, e.value - now) : 0;
      out.push({ table, iface, family: v6 ? 6 : 4, address, words, mac: table === 'alive' ? e.value : -1, remaining: e.remaining, probing });
    };
    for (const e of this.alive.exportEntries(now)) add('alive', e);
    for (const e of this.absent.exportEntries(now)) add('absent', e);
    return out;
  }

  /**
   * Puts exported entries back (warm restarts) with their remaining lifetimes, clamped to
   * the longest `alive` / `absent` of the rules probing that interface now. Call after
   * configure(). Refused: interface gone or no longer probed, expired, bad family or
   * address words, an alive MAC that is zero or a group address. Returns counts per reason.
   */
  importEntries(records: readonly ProbeRecord[], now: number): ProbeImportResult {
    const res: ProbeImportResult = { imported: 0, refused: {} };
    const refuse = (r: ProbeRefusedReason): void => { res.refused[r] = (res.refused[r] ?? 0) + 1; };
    for (const r of records) {
      const slot = this.ifaces.slots.get(r.iface);
      if (slot === undefined || this.ifaces.bySlot(slot) === undefined) { refuse('interface'); continue; }
      if (this.probed[slot] !== 1) { refuse('not_probed'); continue; }
      if (!(r.remaining > 0) || !Number.isFinite(r.remaining)) { refuse('expired'); continue; }
      if ((r.family !== 4 && r.family !== 6) || !validWords(r.words, r.family)) { refuse('address'); continue; }
      const [a0, a1, a2, a3] = r.words;
      const w0 = metaWord(r.family === 6, slot, -1);
      if (r.table === 'alive') {
        if (r.mac !== -1 && !validHostMac(r.mac)) { refuse('mac'); continue; }
        this.alive.put(w0, a0, a1, a2, a3, r.mac, now + Math.min(r.remaining, this.aliveBySlot[slot]!), now);
      } else if (r.table === 'absent') {
        // No probe of this run is out for it: its deadline is now.
        this.absent.put(w0, a0, a1, a2, a3, now, now + Math.min(r.remaining, this.absentBySlot[slot]!), now);
      } else { refuse('address'); continue; }
      res.imported++;
    }
    return res;
  }
}

/** Why a probe cache entry was not taken back (ProbeQueue.importEntries). */
export type ProbeRefusedReason = 'interface' | 'not_probed' | 'expired' | 'address' | 'mac';

export interface ProbeImportResult {
  imported: number;
  refused: Partial<Record<ProbeRefusedReason, number>>;
}

function validWords(w: readonly number[], family: 4 | 6): boolean {
  if (w.length !== 4 || !w.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) return false;
  return family === 6 || (w[0] === 0 && w[1] === 0 && w[2] === 0);
}

/** A unicast, non-zero 48-bit MAC (the host's own, as heard on the wire). */
function validHostMac(mac: number): boolean {
  return Number.isInteger(mac) && mac > 0 && mac < 2 ** 48 && Math.floor(mac / 2 ** 40) % 2 === 0;
}

export interface ProbeTableStats {
  capacity: number;
  entries: number;
  inserts: number;
  evictions: number;
  hits: number;
  bytes: number;
}

export interface ProbeStats {
  sent: number;
  limited: number;
  answered: number;
  wired: number;
  waiting: number;
  expired: number;
  alive: ProbeTableStats;
  absent: ProbeTableStats;
}
