// `probe IFACE autowire`: a host route (/32, /128) via IFACE for every target the policy
// found alive there, sent as RTM_NEWROUTE over the daemon's rtnetlink socket with our own
// protocol number (RTPROT_NEIGHPROXY, 78: `ip route show proto 78`), removed when the entry
// expires, when its rule goes on reload, and at stop. At start, before anything else, every
// route with our protocol number is removed: a crashed run (SIGKILL, OOM) leaves its routes
// behind, and nobody else uses the number. Routes are added with NLM_F_EXCL: an existing
// route to the host (an operator's, a routing daemon's) is left alone and never recorded as
// ours; deletes carry our protocol, which the kernel matches, so they never remove another's.
import { Family, formatIp4, formatIp6, type Ip4, type Ip6 } from '../net/addr';
import * as C from '../netlink/constants';
import { buildDelHostRoute, buildAddHostRoute, type HostRoute } from '../netlink/hostroute';
import { buildDump, parseRoute, type NlMessage } from '../netlink/message';
import type { NetlinkError } from '../netlink/socket';
import type { HostRouteSink } from '../policy/probe';
import type { Logger } from './log';

/** The request half of a NetlinkSocket. */
export interface RouteRequester {
  request(what: string, build: (seq: number) => Uint8Array): Promise<NlMessage[]>;
}

/** Where an interface's host routes go: its ifindex and table (the VRF's, else main); undefined when the link is gone. */
export type RouteTarget = (iface: string) => { oif: number; table: number } | undefined;

export interface AutowireCounts {
  added: number;
  removed: number;
  /** Adds refused because a route to the host already existed (not ours: left alone). */
  existed: number;
  failed: number;
  /** Routes of ours removed at start (left by an earlier run). */
  flushed: number;
}

const text = (family: Family, a: Ip4 | Ip6): string => (family === Family.V4 ? `${formatIp4(a as Ip4)}/32` : `${formatIp6(a as Ip6)}/128`);

export class Autowire implements HostRouteSink {
  /** Routes installed by this run, by `iface dst`. */
  private readonly installed = new Map<string, HostRoute>();
  private inflight = new Set<Promise<unknown>>();
  readonly counts: AutowireCounts = { added: 0, removed: 0, existed: 0, failed: 0, flushed: 0 };

  constructor(
    private readonly socket: () => RouteRequester | null,
    private readonly target: RouteTarget,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.installed.size;
  }

  add(iface: string, family: Family, addr: Ip4 | Ip6): void {
    const key = `${iface} ${text(family, addr)}`;
    const t = this.target(iface);
    const sock = this.socket();
    if (this.installed.has(key) || !t || !sock) return;
    const r: HostRoute = { family, dst: family === Family.V4 ? addr : Uint32Array.from(addr as Ip6), oif: t.oif, table: t.table };
    this.installed.set(key, r);
    this.track(sock.request(`add route ${key}`, (seq) => buildAddHostRoute(seq, r)).then(
      () => {
        this.counts.added++;
        this.log.info({ event: 'autowire_add', iface, dst: text(family, addr), proto: C.RTPROT_NEIGHPROXY }, `host route ${text(family, addr)} dev ${iface} installed`);
      },
      (err: NetlinkError) => {
        if (this.installed.get(key) === r) this.installed.delete(key);
        if (err.code === 'EEXIST') {
          this.counts.existed++;
          this.log.info({ event: 'autowire_exists', iface, dst: text(family, addr) }, `a route to ${text(family, addr)} exists already: left alone`);
        } else {
          this.counts.failed++;
          this.log.warn({ event: 'autowire_failed', iface, dst: text(family, addr), code: err.code }, `cannot install host route ${text(family, addr)} dev ${iface}: ${err.message}`);
        }
      },
    ));
  }

  remove(iface: string, family: Family, addr: Ip4 | Ip6): void {
    const key = `${iface} ${text(family, addr)}`;
    const r = this.installed.get(key);
    if (!r) return;
    this.installed.delete(key);
    this.delete(r, key);
  }

  /** Stop: removes every route this run installed; resolves when the kernel answered each. */
  async removeAll(): Promise<void> {
    for (const [key, r] of this.installed) this.delete(r, key);
    this.installed.clear();
    await this.settled();
  }

  /** Resolves once every request sent so far was answered. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /**
   * Start: removes every route with our protocol number, in every table, both families
   * (left by a run that could not clean up). Returns how many were removed.
   */
  async flushStale(): Promise<number> {
    const sock = this.socket();
    if (!sock) return 0;
    let n = 0;
    for (const family of [C.AF_INET, C.AF_INET6]) {
      const dump = await sock.request('dump routes', (seq) => buildDump(C.RTM_GETROUTE, seq, family));
      const ours: { r: HostRoute; len: number }[] = [];
      for (const m of dump) {
        const p = parseRoute(m.body);
        if (!p || p.protocol !== C.RTPROT_NEIGHPROXY || !p.dst) continue;
        const dst = p.dst.family === Family.V4 ? p.dst.v4 : p.dst.v6;
        ours.push({ r: { family: p.dst.family, dst, oif: p.oif, table: p.table }, len: p.dstLen });
      }
      const results = await Promise.allSettled(ours.map((o) => sock.request('flush route', (seq) => buildDelHostRoute(seq, o.r, o.len))));
      n += results.filter((x) => x.status === 'fulfilled').length;
    }
    this.counts.flushed += n;
    if (n > 0) this.log.info({ event: 'autowire_flushed', routes: n, proto: C.RTPROT_NEIGHPROXY }, `removed ${n} host route(s) left by an earlier run`);
    return n;
  }

  private delete(r: HostRoute, key: string): void {
    const sock = this.socket();
    if (!sock) return;
    this.track(sock.request(`delete route ${key}`, (seq) => buildDelHostRoute(seq, r)).then(
      () => {
        this.counts.removed++;
        this.log.info({ event: 'autowire_remove', dst: key }, `host route ${key} removed`);
      },
      (err: NetlinkError) => {
        // ESRCH: already gone (the link went down, an operator deleted it).
        if (err.code !== 'ESRCH') {
          this.counts.failed++;
          this.log.warn({ event: 'autowire_failed', dst: key, code: err.code }, `cannot remove host route ${key}: ${err.message}`);
        }
      },
    ));
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}
