// Active/standby role per interface (issue 13 item 2). Both routers of a keepalived (or FRR
// vrrpd) pair run neighproxy with the same file; only the one holding the virtual address
// answers. The role comes from `ha track ADDRESS` (rtnetlink address events), `ha role` in
// the file, or `ctl role` from a notify script; the pipeline reads it as IfaceSlot.standby
// (one boolean per interface, so worker threads can be sent it). A standby answers and
// announces nothing (reason `standby`) but keeps learning. A takeover announces every static
// entry and every target answered (or withheld) within the cache timeout: 3 rounds 1 s
// apart (RFC 4861 7.2.6: MAX_NEIGHBOR_ADVERTISEMENT 3, at least RetransTimer = 1 s between
// them), then one round every `ha refresh` seconds, as keepalived's vrrp_garp_master_refresh.
import type { Config, InterfaceConfig, StaticEntry } from '../config/types';
import { Family, formatIp, type IpAddress, type Mac } from '../net/addr';
import type { IfaceSlot } from '../pipeline/pipeline';
import { NA_FLAG_OVERRIDE, NA_FLAG_ROUTER } from '../wire/view';
import type { Logger } from './log';
import { haAddressPresent, type AddressSource } from './ha-track';

export type Role = 'active' | 'standby';
/** What decided the role: nothing (always active), the file's `ha role`, `ha track`, or `ctl role`. */
export type RoleSource = 'default' | 'config' | 'track' | 'ctl';

/** Announcement rounds after a takeover, and the seconds between them (RFC 4861 7.2.6). */
export const TAKEOVER_ROUNDS = 3;
export const ROUND_INTERVAL = 1;
/** Frames per interface per step, so a round of 65536 statics never overruns the TX ring. */
export const ANNOUNCE_CHUNK = 1024;

/** A VRRP virtual MAC (RFC 5798: 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6). */
export function isVrrpMac(mac: Mac): boolean {
  const hi = Math.floor(mac / 256);
  return hi === 0x5e0001 || hi === 0x5e0002;
}

interface Target {
  family: 4 | 6;
  vlan: number;
  words: Uint32Array;
  mac: Mac;
}

export interface HaIface {
  readonly name: string;
  role: Role;
  source: RoleSource;
  /** Unix ms of the last role change (or of the first evaluation). */
  since: number;
  transitions: { toActive: number; toStandby: number };
  /** Announcement frames sent (all rounds), takeovers with a burst, targets skipped for a VRRP MAC. */
  announced: number;
  takeovers: number;
  vmacSkipped: number;
  /** The announcement list of the running burst or refresh round, its cursor and round. */
  list: Target[];
  cursor: number;
  round: number;
  roundAt: number;
  nextRefresh: number;
}

export interface HaDeps {
  /** The pipeline's slots (index = config.interfaces index). */
  slots(): readonly IfaceSlot[];
  config(): Config | null;
  addedStatics(name: string): readonly StaticEntry[];
  addresses: AddressSource;
  output: {
    arpAnnounce(ifIndex: number, vlan: number, ip: number, mac: Mac): void;
    unsolicitedNa(ifIndex: number, vlan: number, target: Uint32Array, mac: Mac, flags: number): void;
    flushAll(): number;
  };
  clock(): number;
  log: Logger;
}

export class HaController {
  private readonly states = new Map<string, HaIface>();
  /** `ctl role` per interface name: wins over the file and the tracked address until `ctl role auto`. */
  private readonly overrides = new Map<string, Role>();
  /**
   * `workers N`: the targets this controller announces (a worker: those it owns by the
   * fanout hash, so each frame has one sender; the main thread: none). Null: all.
   */
  owns: ((family: 4 | 6, words: Uint32Array) => boolean) | null = null;
  /** `workers N` (main thread): passes `ctl role` on to every worker's controller. */
  relay: ((role: Role | 'auto', iface: string | null) => void) | null = null;

  constructor(private readonly deps: HaDeps) {}

  /** `workers N` (main thread): the workers' figures, which send the announcements. */
  replicas: (() => HaFigures[][] | null) | null = null;

  /** The state of every configured interface (with workers, their announcement figures). */
  list(): HaIface[] {
    const all = [...this.states.values()];
    const reps = this.replicas?.() ?? null;
    if (reps === null) return all;
    return all.map((st) => {
      const mine = reps.flatMap((r) => r.filter((f) => f.name === st.name));
      // Every worker with something to announce counts the same takeover: the most, not the sum.
      const takeovers = mine.reduce((n, f) => Math.max(n, f.takeovers), 0);
      return { ...st, takeovers, announced: sum(mine, 'announced'), vmacSkipped: sum(mine, 'vmacSkipped') };
    });
  }

  /** What a worker reports of each interface for list(). */
  figures(): HaFigures[] {
    return this.list().map((s) => ({ name: s.name, announced: s.announced, takeovers: s.takeovers, vmacSkipped: s.vmacSkipped }));
  }

  /** Re-decides every interface's role (after start, reload, an address event, `ctl role`); runs takeovers. */
  evaluate(): void {
    const cfg = this.deps.config();
    if (!cfg) return;
    const slots = this.deps.slots();
    const names = new Set<string>();
    cfg.interfaces.forEach((ifc, i) => {
      names.add(ifc.name);
      const [role, source] = this.decide(ifc);
      // The pipeline's flag first: a takeover's announcements go out through RingOutput, which withholds on standby.
      const slot = slots[i];
      if (slot) slot.standby = role === 'standby';
      let st = this.states.get(ifc.name);
      if (!st) {
        st = newState(ifc.name, role, source);
        this.states.set(ifc.name, st);
        this.deps.log.info({ event: 'ha_role', interface: ifc.name, role, source }, `${ifc.name}: ${role} (${describeSource(ifc, source)})`);
      } else if (st.role !== role) {
        this.change(st, ifc, i, role, source);
      }
      st.source = source;
    });
    for (const name of this.states.keys()) if (!names.has(name)) this.states.delete(name);
    this.deps.output.flushAll();
  }

  /** `ctl role active|standby|auto [IFACE]`: null iface = every configured interface. Returns the names changed. */
  setRole(role: Role | 'auto', iface: string | null): string[] {
    const cfg = this.deps.config();
    const names = cfg ? cfg.interfaces.map((i) => i.name) : [];
    const targets = iface === null ? names : names.filter((n) => n === iface);
    for (const n of targets) {
      if (role === 'auto') this.overrides.delete(n);
      else this.overrides.set(n, role);
    }
    this.relay?.(role, iface);
    this.evaluate();
    return targets;
  }

  private decide(ifc: InterfaceConfig): [Role, RoleSource] {
    const o = this.overrides.get(ifc.name);
    if (o) return [o, 'ctl'];
    const ha = ifc.ha;
    if (ha?.track) return [haAddressPresent(this.deps.addresses, ha.track) ? 'active' : 'standby', 'track'];
    if (ha?.role) return [ha.role, 'config'];
    return ['active', 'default'];
  }

  private change(st: HaIface, ifc: InterfaceConfig, ifIndex: number, role: Role, source: RoleSource): void {
    const from = st.role;
    st.role = role;
    st.since = Date.now();
    st.list = [];
    st.nextRefresh = 0;
    if (role === 'standby') {
      st.transitions.toStandby++;
      this.deps.log.warn({ event: 'ha_role', interface: st.name, role, from, source },
        `${st.name}: standby (${describeSource(ifc, source)}): answers and announcements stop, learning goes on`);
      return;
    }
    st.transitions.toActive++;
    const list = this.announceList(ifc, ifIndex, st);
    this.deps.log.warn({ event: 'ha_role', interface: st.name, role, from, source, targets: list.length, vmacSkipped: st.vmacSkipped },
      `${st.name}: takeover (${describeSource(ifc, source)}): announcing ${list.length} target(s), ${TAKEOVER_ROUNDS} rounds ${ROUND_INTERVAL} s apart`);
    if (list.length === 0) return this.scheduleRefresh(st, ifc);
    st.takeovers++;
    st.list = list;
    st.cursor = 0;
    st.round = 1;
    st.roundAt = this.deps.clock();
    this.step(st, ifIndex, ifc);
  }

  /** Statics (file and `ctl add`) first, then targets answered within the cache timeout; VRRP MACs left out. */
  private announceList(ifc: InterfaceConfig, ifIndex: number, st: HaIface): Target[] {
    const out: Target[] = [];
    const seen = new Set<string>();
    const vlans = ifc.vlans && ifc.vlans.length > 0 ? ifc.vlans.map((v) => (v === 0 ? -1 : v)) : [-1];
    let skipped = 0;
    const add = (t: Target): void => {
      if (isVrrpMac(t.mac)) { skipped++; return; }
      if (this.owns && !this.owns(t.family, t.words)) return;
      const key = `${t.family}/${t.vlan}/${t.words.join(',')}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push(t);
    };
    for (const s of [...ifc.statics, ...this.deps.addedStatics(ifc.name)]) {
      const words = s.address.family === Family.V4 ? Uint32Array.of(0, 0, 0, s.address.v4) : Uint32Array.from(s.address.v6);
      for (const vlan of vlans) add({ family: s.address.family === Family.V4 ? 4 : 6, vlan, words, mac: s.mac });
    }
    const slot = this.deps.slots()[ifIndex];
    const timeout = this.deps.config()?.cache.timeout || 300;
    if (slot) for (const t of slot.answered.since(this.deps.clock() - timeout)) add(t);
    st.vmacSkipped += skipped;
    return out;
  }

  /** Timer step (the daemon's tick): continues bursts, starts due rounds and refreshes. */
  tick(): void {
    const cfg = this.deps.config();
    if (!cfg) return;
    let sent = false;
    cfg.interfaces.forEach((ifc, i) => {
      const st = this.states.get(ifc.name);
      if (!st || st.role !== 'active') return;
      if (st.list.length === 0 && st.nextRefresh > 0 && this.deps.clock() >= st.nextRefresh) {
        st.list = this.announceList(ifc, i, st);
        st.cursor = 0;
        st.round = TAKEOVER_ROUNDS; // one round, then the next refresh
        st.roundAt = this.deps.clock();
        st.nextRefresh = 0;
        if (st.list.length === 0) this.scheduleRefresh(st, ifc);
      }
      if (st.list.length > 0) sent = this.step(st, i, ifc) || sent;
    });
    if (sent) this.deps.output.flushAll();
  }

  /** Sends the next chunk of the current round; moves to the next round when due. True when frames left. */
  private step(st: HaIface, ifIndex: number, ifc: InterfaceConfig): boolean {
    if (st.cursor >= st.list.length) {
      if (st.round >= TAKEOVER_ROUNDS) {
        st.list = [];
        this.scheduleRefresh(st, ifc);
        return false;
      }
      // Each target's announcements stay at least ROUND_INTERVAL apart: rounds keep their order and pace.
      if (this.deps.clock() < st.roundAt + ROUND_INTERVAL) return false;
      st.round++;
      st.cursor = 0;
      st.roundAt = this.deps.clock();
    }
    const end = Math.min(st.list.length, st.cursor + ANNOUNCE_CHUNK);
    const flags = (ifc.nd.router ? NA_FLAG_ROUTER : 0) | NA_FLAG_OVERRIDE;
    const out = this.deps.output;
    for (let k = st.cursor; k < end; k++) {
      const t = st.list[k]!;
      if (t.family === 4) out.arpAnnounce(ifIndex, t.vlan, t.words[3]!, t.mac);
      else out.unsolicitedNa(ifIndex, t.vlan, t.words, t.mac, flags);
    }
    st.announced += end - st.cursor;
    st.cursor = end;
    if (st.cursor >= st.list.length) {
      this.deps.log.info({ event: 'ha_announce', interface: st.name, round: st.round, targets: st.list.length }, `${st.name}: announcement round ${st.round} sent`);
    }
    out.flushAll();
    return true;
  }

  private scheduleRefresh(st: HaIface, ifc: InterfaceConfig): void {
    const every = ifc.ha?.refresh ?? 0;
    st.nextRefresh = every > 0 ? this.deps.clock() + every : 0;
  }

  /** For `ctl show stats`. */
  show(): Record<string, unknown>[] {
    return this.list().map((s) => ({
      interface: s.name, role: s.role, source: s.source, since: new Date(s.since).toISOString(),
      transitions: { ...s.transitions }, takeovers: s.takeovers, announcements: s.announced, vmacSkipped: s.vmacSkipped,
      announcing: s.list.length > 0 ? { round: s.round, sent: s.cursor, of: s.list.length } : null,
    }));
  }
}

export interface HaFigures { name: string; announced: number; takeovers: number; vmacSkipped: number }

function sum(list: readonly HaFigures[], k: 'announced' | 'vmacSkipped'): number {
  return list.reduce((n, f) => n + f[k], 0);
}

function newState(name: string, role: Role, source: RoleSource): HaIface {
  return {
    name, role, source, since: Date.now(), transitions: { toActive: 0, toStandby: 0 }, announced: 0, takeovers: 0,
    vmacSkipped: 0, list: [], cursor: 0, round: 0, roundAt: 0, nextRefresh: 0,
  };
}

function describeSource(ifc: InterfaceConfig, source: RoleSource): string {
  switch (source) {
    case 'track': return `ha track ${formatIp(ifc.ha!.track as IpAddress)}`;
    case 'config': return `ha role in the file`;
    case 'ctl': return 'ctl role';
    default: return 'no ha setting';
  }
}
