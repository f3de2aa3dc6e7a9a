// Solicited-node multicast joins (issue 13, item 3). Behind an MLD-snooping switch a
// neighbour solicitation for a target reaches only the ports that reported its
// solicited-node group (ff02::1:ffXX:XXXX), so the daemon joins the group of every
// address it answers for by name: IPV6_JOIN_GROUP on a UDP socket makes the kernel send
// the MLD reports and answer the querier; the ring sees the frames as any member would.
// No native code: node's dgram does the socket option. The groups are only joined; the
// sockets never read a datagram.
import { createSocket, type Socket } from 'node:dgram';
import { MLD_MAX_GROUPS } from '../config/limits';
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

/** What one interface should have joined: its index (a recreated link starts again) and groups. */
export interface DesiredJoins {
  ifindex: number;
  groups: Set<string>;
}

interface IfaceJoins {
  ifindex: number;
  /** Each socket with the groups joined on it. */
  sockets: { socket: MembershipSocket; groups: Set<string> }[];
}

export class MulticastJoins {
  private readonly joined = new Map<string, IfaceJoins>();
  /** Joins and leaves that failed (logged), groups left out by the bound. */
  readonly counters = { joins: 0, leaves: 0, failed: 0, overLimit: 0 };

  constructor(
    private readonly log: Logger,
    private readonly newSocket: () => MembershipSocket = udp6Socket,
    readonly maxGroups = MLD_MAX_GROUPS,
  ) {}

  /** Groups currently joined on `ifname`. */
  groups(ifname: string): string[] {
    return (this.joined.get(ifname)?.sockets ?? []).flatMap((s) => [...s.groups]);
  }

  /** Joins and leaves so that each interface holds exactly its desired groups (bounded). Never throws. */
  reconcile(desired: ReadonlyMap<string, DesiredJoins>): void {
    for (const [name, cur] of this.joined) {
      const want = desired.get(name);
      // Gone, or recreated under a new index: closing the sockets leaves every group.
      if (!want || want.ifindex !== cur.ifindex) this.closeIface(name, cur);
    }
    for (const [name, want] of desired) {
      let cur = this.joined.get(name);
      if (!cur) this.joined.set(name, (cur = { ifindex: want.ifindex, sockets: [] }));
      this.apply(name, cur, want.groups);
    }
  }

  private apply(name: string, cur: IfaceJoins, want: Set<string>): void {
    // The interface by name: libuv resolves "%NAME" with if_nametoindex (0, any interface, if absent,
    // which is why only interfaces whose ring is open are passed in).
    const scope = `::%${name}`;
    let count = 0;
    for (const s of cur.sockets) {
      for (const g of s.groups) {
        if (want.has(g)) { count++; continue; }
        s.groups.delete(g);
        this.call(() => s.socket.dropMembership(g, scope), 'leave', name, g) && this.counters.leaves++;
      }
    }
    let skipped = 0;
    for (const g of want) {
      if (cur.sockets.some((s) => s.groups.has(g))) continue;
      if (count >= this.maxGroups) { skipped++; continue; }
      const s = this.socketWithRoom(cur);
      if (!s) break;
      if (this.call(() => s.socket.addMembership(g, scope), 'join', name, g)) {
        s.groups.add(g);
        this.counters.joins++;
        count++;
      }
    }
    if (skipped > 0) {
      this.counters.overLimit += skipped;
      this.log.warn({ event: 'mld_limit', interface: name, limit: this.maxGroups, skipped },
        `${name}: ${skipped} solicited-node groups not joined (at most ${this.maxGroups} per interface): behind an MLD-snooping switch their solicitations may not arrive`);
    }
  }

  private socketWithRoom(cur: IfaceJoins): { socket: MembershipSocket; groups: Set<string> } | null {
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
