// The kernel's links, addresses and routes as the daemon needs them, kept from rtnetlink:
// a dump of links and addresses at start, then events (no polling, no child process). On
// ENOBUFS (a burst of events overflowed the socket) links and addresses are dumped again and
// every route answer is asked again; until then the last known state keeps answering.
import { Family, type Ip4, type Ip6 } from '../net/addr';
import * as C from './constants';
import { buildDump, buildGetRoute, parseAddr, parseLink, parseRoute, type NlMessage, type RouteQuery } from './message';
import { NeighbourTable } from './neighbours';
import { RouteCache, type RouteAnswer } from './routes';
import { NetlinkSocket, type NetlinkBinding, type NetlinkError, type NetlinkHandlers } from './socket';
import { TableRules } from './tables';

export interface KernelLink {
  index: number;
  name: string;
  /** ARPHRD_* link type (ifi_type); hasNoLinkLayer() in src/net/linktype.ts tells tun/WireGuard/PPP apart; absent in fakes. */
  type?: number;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** IFF_LOWER_UP: carrier. */
  lowerUp: boolean;
  master: number;
  kind: string | undefined;
  vrfTable: number | undefined;
}

export interface KernelAddrs {
  v4: Ip4[];
  v6: Ip6[];
}

/** Every group neighproxy follows: links, IPv4/IPv6 addresses, routes and rules, neighbours. */
export const GROUPS = [
  C.RTNLGRP_LINK, C.RTNLGRP_IPV4_IFADDR, C.RTNLGRP_IPV6_IFADDR, C.RTNLGRP_IPV4_ROUTE, C.RTNLGRP_IPV6_ROUTE,
  C.RTNLGRP_IPV4_RULE, C.RTNLGRP_IPV6_RULE, C.RTNLGRP_NEIGH,
];

/** Kernel errors that are an answer ("no route"), not a failure of the request. */
const UNROUTABLE = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EINVAL', 'EACCES', 'EPERM', 'ENODEV']);

export interface KernelStateOptions {
  netns?: string;
  rcvbuf?: number;
  /** Route answers kept; default 4096 targets per family. */
  routeCacheSize?: number;
  native?: NetlinkBinding;
}

export type KernelChange = 'links' | 'addresses' | 'routes' | 'resync';

export class KernelState {
  readonly links = new Map<number, KernelLink>();
  private readonly byName = new Map<string, KernelLink>();
  readonly addrs = new Map<number, KernelAddrs>();
  readonly routes: RouteCache;
  /** REACHABLE neighbour entries (`probe` rules). */
  readonly neighbours = new NeighbourTable();
  /** FIB rules for `table N` lookups (tables.ts). */
  readonly tables = new TableRules();
  private sock: NetlinkSocket | null = null;
  private resyncing: Promise<void> | null = null;
  private again = false;
  readonly counts = { resyncs: 0, neighbourEvents: 0, routeEvents: 0, errors: 0 };

  /** Called after each link or address change, after a route answer changed and after a resync. */
  onChange: (what: KernelChange) => void = () => {};

  constructor(private readonly opts: KernelStateOptions = {}) {
    this.routes = new RouteCache((q) => this.askRoute(q), opts.routeCacheSize ?? 4096, () => this.onChange('routes'));
  }

  /** Opens the socket (joined to GROUPS before the dumps, so no change falls between) and dumps. */
  async start(): Promise<void> {
    const handlers: NetlinkHandlers = {
      onEvent: (m) => this.onEvent(m),
      onOverrun: () => void this.resync(),
      onError: (err) => this.onSocketError(err),
    };
    this.sock = new NetlinkSocket({ groups: GROUPS, rcvbuf: this.opts.rcvbuf, netns: this.opts.netns }, handlers, this.opts.native);
    await this.dump();
  }

  get socket(): NetlinkSocket | null {
    return this.sock;
  }

  link(name: string): KernelLink | undefined {
    return this.byName.get(name);
  }

  /** The VRF device `name` is enslaved to (its ifindex), 0 when none. */
  vrfOf(name: string): number {
    const l = this.byName.get(name);
    const m = l && l.master ? this.links.get(l.master) : undefined;
    return m && m.kind === 'vrf' ? m.index : 0;
  }

  /** The interface the kernel routes `addr` out of (see RouteCache.lookup); undefined while unknown or unroutable. */
  routeInterface(family: Family, addr: Ip4 | Ip6, vrf: number): string | undefined {
    if (Number.isNaN(vrf)) return undefined; // a `vrf`/`table` that is not there (yet)
    const out = this.routes.lookup(family, addr, vrf);
    return out > 0 ? this.links.get(out)?.name : undefined;
  }

  /** True when the kernel has `addr` REACHABLE on the interface named `name`. */
  neighbourReachable(family: Family, addr: Ip4 | Ip6, name: string): boolean {
    const l = this.byName.get(name);
    return l !== undefined && this.neighbours.isReachable(l.index, family, addr);
  }

  /** Route-cache scope of `table N`: negative once its rules are in, NaN before (no lookup yet). */
  tableScope(table: number): number {
    const s = this.tables.scope(table);
    return s < 0 ? s : NaN;
  }

  /** Installs the fwmark rules for these tables (and removes those no longer used); never throws. */
  async setTables(tables: readonly number[]): Promise<void> {
    if (!this.sock) return;
    try {
      await this.tables.apply(this.sock, tables);
    } catch {
      this.counts.errors++;
    }
    this.routes.invalidate();
    this.onChange('routes');
  }

  stop(): void {
    const sock = this.sock;
    this.sock = null;
    if (!sock) return;
    // The table rules go first; the socket closes once the kernel acknowledged (or after 500 ms).
    const done = (): void => sock.close();
    const t = setTimeout(done, 500);
    void this.tables.removeAll(sock).finally(() => { clearTimeout(t); done(); });
  }

  private async dump(): Promise<void> {
    const sock = this.sock!;
    // One dump at a time per socket (the kernel answers a second with EBUSY).
    const links = await sock.request('dump links', (seq) => buildDump(C.RTM_GETLINK, seq, C.AF_UNSPEC));
    const addrs = await sock.request('dump addresses', (seq) => buildDump(C.RTM_GETADDR, seq, C.AF_UNSPEC));
    const neighs = await sock.request('dump neighbours', (seq) => buildDump(C.RTM_GETNEIGH, seq, C.AF_UNSPEC));
    this.neighbours.clear();
    for (const m of neighs) this.neighbours.apply(m);
    this.links.clear();
    this.byName.clear();
    this.addrs.clear();
    for (const m of links) this.applyLink(m);
    for (const m of addrs) this.applyAddr(m);
  }

  /**
   * After ENOBUFS: links and addresses are dumped again, route answers re-asked. An overrun
   * during a dump (events lost while it ran) means one more dump after it.
   */
  resync(): Promise<void> {
    this.counts.resyncs++;
    this.routes.invalidate();
    this.again = true;
    if (this.resyncing) return this.resyncing;
    this.resyncing = (async () => {
      while (this.again && this.sock) {
        this.again = false;
        try {
          await this.dump();
        } catch (err) {
          // EBUSY: the kernel is still sending a dump we asked for earlier; wait a little.
          if ((err as NetlinkError).code !== 'EBUSY') throw err;
          this.again = true;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    })().finally(() => {
      this.resyncing = null;
      this.onChange('resync');
    });
    return this.resyncing.catch(() => { this.counts.errors++; });
  }

  private onSocketError(err: NetlinkError): void {
    this.counts.errors++;
    // The socket stopped polling: a new one, joined and dumped afresh, takes its place.
    const sock = this.sock;
    sock?.close();
    this.sock = null;
    if (!sock) return;
    void err;
    this.routes.clear();
    this.start().then(() => this.onChange('resync'), () => { this.counts.errors++; });
  }

  private async askRoute(q: RouteQuery): Promise<RouteAnswer> {
    if (!this.sock) throw Object.assign(new Error('netlink socket not open'), { code: 'ERR_NETLINK_CLOSED' });
    try {
      const [m] = await this.sock.request('route get', (seq) => buildGetRoute(seq, q));
      const r = m ? parseRoute(m.body) : null;
      if (!r || r.type !== C.RTN_UNICAST) return { oif: 0, table: r?.table ?? 0 };
      return { oif: r.oif || r.multipath[0]?.ifindex || 0, table: r.table };
    } catch (err) {
      if (UNROUTABLE.has((err as NetlinkError).code ?? '')) return { oif: 0, table: 0 };
      throw err;
    }
  }

  private onEvent(m: NlMessage): void {
    switch (m.type) {
      case C.RTM_NEWLINK:
      case C.RTM_DELLINK:
        this.applyLink(m);
        this.onChange('links');
        break;
      case C.RTM_NEWADDR:
      case C.RTM_DELADDR:
        this.applyAddr(m);
        this.onChange('addresses');
        break;
      case C.RTM_NEWROUTE:
      case C.RTM_DELROUTE:
      case C.RTM_NEWRULE:
      case C.RTM_DELRULE:
        this.counts.routeEvents++;
        this.routes.invalidate();
        break;
      case C.RTM_NEWNEIGH:
      case C.RTM_DELNEIGH:
        this.counts.neighbourEvents++;
        this.neighbours.apply(m);
        break;
    }
  }

  private applyLink(m: NlMessage): void {
    const l = parseLink(m.body);
    if (!l) return;
    const old = this.links.get(l.index);
    if (old) this.byName.delete(old.name);
    if (m.type === C.RTM_DELLINK) {
      this.links.delete(l.index);
      this.addrs.delete(l.index);
      return;
    }
    // A NEWLINK event may leave out what did not change (the name is always there).
    const link: KernelLink = {
      index: l.index,
      name: l.name ?? old?.name ?? `if${l.index}`,
      type: l.type,
      up: (l.flags & C.IFF_UP) !== 0,
      lowerUp: (l.flags & C.IFF_LOWER_UP) !== 0,
      master: l.master,
      kind: l.kind ?? old?.kind,
      vrfTable: l.vrfTable ?? old?.vrfTable,
    };
    this.links.set(l.index, link);
    this.byName.set(link.name, link);
    // A VRF enslaved or released changes where its slaves' lookups go.
    if (old && old.master !== link.master) this.routes.invalidate();
  }

  private applyAddr(m: NlMessage): void {
    const a = parseAddr(m.body);
    if (!a || !a.address) return;
    let list = this.addrs.get(a.index);
    if (!list) this.addrs.set(a.index, (list = { v4: [], v6: [] }));
    if (a.address.family === Family.V4) {
      const v = a.address.v4;
      list.v4 = list.v4.filter((x) => x !== v);
      if (m.type === C.RTM_NEWADDR) list.v4.push(v);
    } else {
      const v = a.address.v6;
      list.v6 = list.v6.filter((x) => !(x[0] === v[0] && x[1] === v[1] && x[2] === v[2] && x[3] === v[3]));
      if (m.type === C.RTM_NEWADDR) list.v6.push(v);
    }
  }
}
