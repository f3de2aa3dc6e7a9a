// Solicited-node multicast joins (issue 13, item 3). Behind an MLD-snooping switch a
// neighbour solicitation for a target reaches only the ports that reported its
// solicited-node group (ff02::1:ffXX:XXXX), so the daemon joins the group of every
// address it answers for by name: IPV6_JOIN_GROUP on a UDP socket makes the kernel send
// the MLD reports and answer the querier; the ring sees the frames as any member would.
// No native code: node's dgram does the socket option. The groups are only joined; the
// sockets never read a datagram.
import { createSocket, type Socket } from 'node:dgram';
import { MLD_MAX_GROUPS } from '../config/limits';
import type { Config, RateLimit } from '../config/types';
import type { Logger } from './log';

export { desiredGroups, solicitedNodeGroup, uncoveredPrefixRules } from '../config/joins';
export { MLD_MAX_GROUPS };
/** Groups per socket: 128 x ~64 bytes stays inside even the old 20 KiB optmem_max. */
export const MLD_GROUPS_PER_SOCKET = 128;

/** The sockets the joins are made on; tests pass a fake. */
export interface MembershipSocket {
  addMembership(group: string, iface: string): void;
  dropMembership(group: string, iface: string): void;
  close(): void;
}

export const udp6Socket = (): MembershipSocket => {
  const s: Socket = createSocket({ type: 'udp6', reuseAddr: true });
  s.on('error', () => { /* never read from; nothing to report */ });
  return s;
};

/**
 * What one interface should have joined: its index (a recreated link starts again) and groups,
 * in priority order. The first `fixed` come from the configuration (statics, /128 rules): they
 * are joined and left at once. The others (answered targets, then learned entries, protected
 * ones first) come from frames subscribers send, so their joins and leaves spend the budget.
 */
export interface DesiredJoins {
  ifindex: number;
  groups: Set<string>;
  fixed?: number;
}

/** Joins plus leaves of learned groups per interface: 20/s, 100 at once (one 5 s reconcile's worth). */
export const DEFAULT_MLD_BUDGET: Readonly<RateLimit> = Object.freeze({ rate: 20, burst: 100 });
/**
 * Seconds a group stays joined after its address stops being wanted, while the interface has
 * room: an entry that comes and goes (a flood's sources live ~3 s in the cache) costs no report
 * each time. A group the interface needs the room for is left sooner.
 */
export const MLD_HOLD_SECONDS = 60;

/** An interface's join budget: its own `limit interface mld`, else the file's, else the default. */
export function mldBudget(config: Config | null, iface: string): RateLimit {
  const own = config?.interfaces.find((c) => c.name === iface)?.limits?.interfaceMld;
  return own ?? config?.limits?.interfaceMld ?? DEFAULT_MLD_BUDGET;
}

interface JoinSocket { socket: MembershipSocket; groups: Set<string> }

interface IfaceJoins {
  ifindex: number;
  /** Each socket with the groups joined on it. */
  sockets: JoinSocket[];
  /** When each joined group was joined (clock seconds): the hold counts from it. */
  since: Map<string, number>;
  /** Budget tokens (joins + leaves of learned groups) and when they were last refilled. */
  tokens: number;
  refilled: number;
  /** Groups no longer wanted but kept by the hold at the last reconcile. */
  held: number;
}

export interface JoinOptions {
  clock?: () => number;
  /** The interface's `limit interface mld` (read at each reconcile; rate 0 = no budget). */
  budget?: (iface: string) => RateLimit;
  holdSeconds?: number;
}

export class MulticastJoins {
  private readonly joined = new Map<string, IfaceJoins>();
  /**
   * Joins and leaves done, failed (logged), groups left out by the bound; joins and leaves of
   * learned groups deferred by the budget (tried again at the next reconcile).
   */
  readonly counters = { joins: 0, leaves: 0, failed: 0, overLimit: 0, deferredJoins: 0, deferredLeaves: 0 };
  private readonly clock: () => number;
  private readonly budget: (iface: string) => RateLimit;
  private readonly hold: number;

  constructor(
    private readonly log: Logger,
    private readonly newSocket: () => MembershipSocket = udp6Socket,
    readonly maxGroups = MLD_MAX_GROUPS,
    opts: JoinOptions = {},
  ) {
    this.clock = opts.clock ?? (() => performance.now() / 1000);
    this.budget = opts.budget ?? (() => DEFAULT_MLD_BUDGET);
    this.hold = opts.holdSeconds ?? MLD_HOLD_SECONDS;
  }

  /** Groups currently joined on `ifname`. */
  groups(ifname: string): string[] {
    return (this.joined.get(ifname)?.sockets ?? []).flatMap((s) => [...s.groups]);
  }

  /** Groups joined on `ifname` that are no longer wanted, kept by the hold (at the last reconcile). */
  held(ifname: string): number {
    return this.joined.get(ifname)?.held ?? 0;
  }

  /** The counters and, per interface, groups joined, held and budget tokens left (`show stats`). */
  figures(): Record<string, unknown> {
    const interfaces = [...this.joined].map(([name, c]) => ({ name, joined: c.since.size, held: c.held, tokens: Math.floor(Math.min(c.tokens, 1e9)) }));
    return { ...this.counters, interfaces };
  }

  /**
   * Joins and leaves towards each interface's desired groups: the configured ones at once, the
   * learned ones within the interface's budget and after the hold (bounded). Never throws.
   */
  reconcile(desired: ReadonlyMap<string, DesiredJoins>): void {
    const now = this.clock();
    for (const [name, cur] of this.joined) {
      const want = desired.get(name);
      // Gone, or recreated under a new index: closing the sockets leaves every group.
      if (!want || want.ifindex !== cur.ifindex) this.closeIface(name, cur);
    }
    for (const [name, want] of desired) {
      let cur = this.joined.get(name);
      const b = this.budget(name);
      if (!cur) this.joined.set(name, (cur = { ifindex: want.ifindex, sockets: [], since: new Map(), tokens: b.burst, refilled: now, held: 0 }));
      cur.tokens = b.rate > 0 ? Math.min(b.burst, cur.tokens + (now - cur.refilled) * b.rate) : Infinity;
      cur.refilled = now;
      this.apply(name, cur, want, now);
    }
  }

  private apply(name: string, cur: IfaceJoins, want: DesiredJoins, now: number): void {
    // The interface by name: libuv resolves "%NAME" with if_nametoindex (0, any interface, if absent,
    // which is why only interfaces whose ring is open are passed in).
    const scope = `::%${name}`;
    const fixed = want.fixed ?? 0;
    // Joined but no longer wanted, the longest joined first: left after the hold, or for room.
    const unwanted = [...cur.since].filter(([g]) => !want.groups.has(g)).sort((a, b) => a[1] - b[1]).map(([g]) => g);
    let count = cur.since.size;
    let skipped = 0;
    let deferred = 0;
    let i = -1;
    for (const g of want.groups) {
      i++;
      if (cur.since.has(g)) continue;
      const paid = i >= fixed;
      const full = count >= this.maxGroups;
      if (full && unwanted.length === 0) { skipped++; continue; }
      if (paid && cur.tokens < (full ? 2 : 1)) { deferred++; continue; }
      if (full) {
        this.leave(name, cur, unwanted.shift()!, scope);
        count--;
        if (paid) cur.tokens--;
      }
      const s = this.socketWithRoom(cur);
      if (!s) break;
      if (this.call(() => s.socket.addMembership(g, scope), 'join', name, g)) {
        s.groups.add(g);
        // A configured group is not held when the configuration drops it: -Infinity is "long ago".
        cur.since.set(g, paid ? now : -Infinity);
        this.counters.joins++;
        count++;
      }
      if (paid) cur.tokens--;
    }
    this.leaveUnwanted(name, cur, unwanted, scope, now);
    this.counters.deferredJoins += deferred;
    if (deferred > 0) {
      this.log.info({ event: 'mld_deferred', interface: name, deferred, reason: 'mld_budget' },
        `${name}: ${deferred} solicited-node joins deferred by the budget (limit interface mld)`);
    }
    if (skipped > 0) {
      this.counters.overLimit += skipped;
      this.log.warn({ event: 'mld_limit', interface: name, limit: this.maxGroups, skipped },
        `${name}: ${skipped} solicited-node groups not joined (at most ${this.maxGroups} per interface): behind an MLD-snooping switch their solicitations may not arrive`);
    }
  }

  /** Leaves the unwanted groups whose hold is over, as far as the budget goes. */
  private leaveUnwanted(name: string, cur: IfaceJoins, unwanted: string[], scope: string, now: number): void {
    cur.held = 0;
    for (const g of unwanted) {
      const at = cur.since.get(g)!;
      if (now - at < this.hold) { cur.held++; continue; }
      const paid = at !== -Infinity;
      if (paid && cur.tokens < 1) { this.counters.deferredLeaves++; continue; }
      if (paid) cur.tokens--;
      this.leave(name, cur, g, scope);
    }
  }

  private leave(name: string, cur: IfaceJoins, g: string, scope: string): void {
    cur.since.delete(g);
    const s = cur.sockets.find((x) => x.groups.has(g));
    if (!s) return;
    s.groups.delete(g);
    if (this.call(() => s.socket.dropMembership(g, scope), 'leave', name, g)) this.counters.leaves++;
  }

  private socketWithRoom(cur: IfaceJoins): JoinSocket | null {
    const free = cur.sockets.find((s) => s.groups.size < MLD_GROUPS_PER_SOCKET);
    if (free) return free;
    try {
      const s = { socket: this.newSocket(), groups: new Set<string>() };
      cur.sockets.push(s);
      return s;
    } catch (err) {
      this.counters.failed++;
      this.log.error({ event: 'mld_socket_failed', code: (err as { code?: string }).code }, `cannot open a socket for multicast joins: ${(err as Error).message}`);
      return null;
    }
  }

  private call(fn: () => void, what: 'join' | 'leave', iface: string, group: string): boolean {
    try {
      fn();
      this.log.debug({ event: `mld_${what}`, interface: iface, group }, `${what} ${group} on ${iface}`);
      return true;
    } catch (err) {
      this.counters.failed++;
      const code = (err as { code?: string }).code;
      this.log.warn({ event: `mld_${what}_failed`, interface: iface, group, code },
        `cannot ${what} ${group} on ${iface}: ${(err as Error).message}`);
      return false;
    }
  }

  private closeIface(name: string, cur: IfaceJoins): void {
    for (const s of cur.sockets) {
      this.counters.leaves += s.groups.size;
      try { s.socket.close(); } catch { /* already closed */ }
    }
    this.joined.delete(name);
  }

  /** Leaves everything (stop). */
  closeAll(): void {
    for (const [name, cur] of this.joined) this.closeIface(name, cur);
  }
}
