// Resolution: the queries we send for addresses we need (a redirect router, refresh
// probes of cached entries) and the answers that wait for a router's MAC. A redirect
// whose router is unknown queues its answer here and starts resolving the router; when
// the router is learned, every queued requester is answered (through PolicyOutput).
// Amplification (issue 12): the first resolution is charged to the requester's send
// bucket, retries go out only while an answer still waits for them, and every frame the
// timers send (retries, refresh probes) spends the interface's send budget and the
// destination MAC's; takeover probes spend the guard's own pair instead (limiter.ts).
import { BROADCAST_MAC, isUnspecified6, newIp6, type Mac } from '../net/addr';
import { NA_FLAG_OVERRIDE, NA_FLAG_ROUTER, NA_FLAG_SOLICITED, type FrameView } from '../wire/view';
import { metaIsV6, metaSlot, metaVlan } from './addrtable';
import type { CacheTimerSink, NeighborCache } from './cache';
import type { GuardProbeSink } from './guard';
import { Reason } from './decision';
import type { IfState, InterfaceTable } from './interfaces';
import { PendingAnswers } from './pending';
import type { SourceLimiter } from './limiter';
import type { PolicyEnvironment, PolicyOutput } from './types';
import type { SharedAwaits } from './core';

export const ALL_NODES_MAC = 0x333300000001;
export const ALL_NODES = new Uint32Array([0xff020000, 0, 0, 1]);

export class RedirectQueue implements CacheTimerSink, GuardProbeSink {
  readonly pending: PendingAnswers;
  /** Queued answers sent once their router was learned. */
  answered = 0;
  /** Resolution retries not sent: no answer waited for them any more. */
  retriesSkipped = 0;
  /** Workers: told of every query before it leaves (core.ts SharedAwaits); null with one worker. */
  awaitShared: SharedAwaits | null = null;
  private readonly dip = newIp6();
  private readonly tgt = newIp6();

  constructor(
    capacity: number,
    private readonly cache: NeighborCache,
    private readonly ifaces: InterfaceTable,
    private readonly env: PolicyEnvironment,
    private readonly output: PolicyOutput,
    private readonly limiter: SourceLimiter,
  ) {
    this.pending = new PendingAnswers(capacity);
  }

  /**
   * Queues the answer to request `f` (rule `ri` of interface `st`) until the router with
   * cache key (meta, a0..a3) is known, and starts resolving the router. Returns the reason
   * of the decision: Resolving, QueueFull when the queue refused it, or RateLimited when a
   * resolution was needed and the requester's or the interface's send budget is spent.
   */
  queue(st: IfState, f: FrameView, meta: number, a0: number, a1: number, a2: number, a3: number, ri: number, now: number, ourMac: Mac): Reason {
    const v6 = metaIsV6(meta);
    const cache = this.cache;
    // A stale (expired, not yet swept) entry would block resolution: drop it.
    let id = cache.find(meta, a0, a1, a2, a3);
    if (id >= 0 && cache.isStale(id, now)) {
      cache.remove(id);
      id = -1;
    }
    // An entry under way (Incomplete) costs no frame: the answer just waits for it.
    if (id < 0 && !this.limiter.allowSend(f, st.slot, v6)) return Reason.RateLimited;
    if (this.pending.add(meta, a0, a1, a2, a3, f, v6, st.slot, ri, now + st.cfg.timeout) < 0) return Reason.QueueFull;
    if (id < 0 && cache.startResolve(meta, a0, a1, a2, a3, now) >= 0) this.sendQuery(st.index, f.vlan, meta, a0, a1, a2, a3, -1, ourMac);
    return Reason.Resolving;
  }

  /** The cache just learned key -> mac: answers every request that waited for it. */
  learned(meta: number, a0: number, a1: number, a2: number, a3: number, mac: Mac, now: number): void {
    const p = this.pending;
    for (let i = p.nextWaiting(0, meta, a0, a1, a2, a3); i >= 0; i = p.nextWaiting(i + 1, meta, a0, a1, a2, a3)) {
      p.release(i);
      if (p.deadlineOf(i) < now) {
        p.expired++;
        continue;
      }
      const st = this.ifaces.bySlot(p.slotOf(i));
      if (!st) continue;
      const dst = p.requesterMacOf(i);
      if (dst === mac) continue; // never tell a host its own MAC for another address
      this.answered++;
      this.sendAnswer(st, i, metaIsV6(meta), dst, mac);
    }
  }

  private sendAnswer(st: IfState, i: number, v6: boolean, dst: Mac, mac: Mac): void {
    const p = this.pending;
    const vlan = p.vlanOf(i);
    if (!v6) {
      this.output.arpReply(st.index, vlan, dst, p.requesterIp4(i), mac, p.target4(i));
      return;
    }
    const dip = this.dip;
    const tgt = this.tgt;
    p.requesterIp6(i, dip);
    p.target6(i, tgt);
    const nd = st.cfg.nd;
    const flags = (nd.router ? NA_FLAG_ROUTER : 0) | (nd.override ? NA_FLAG_OVERRIDE : 0);
    if (isUnspecified6(dip)) {
      // DAD from the requester: the answer goes to all nodes, not solicited.
      dip.set(ALL_NODES);
      this.output.neighborAdvertisement(st.index, vlan, ALL_NODES_MAC, dip, tgt, mac, flags);
    } else {
      this.output.neighborAdvertisement(st.index, vlan, dst, dip, tgt, mac, flags | NA_FLAG_SOLICITED);
    }
  }

  /** Drops queued answers whose deadline passed. */
  expire(now: number): void {
    if (this.pending.count > 0) this.pending.expire(now);
  }

  /**
   * CacheTimerSink: a refresh probe (unicast to `mac`) or a resolution retry (mac -1), sent
   * within the send limits (time: `limiter.now`). A retry goes out only while an answer
   * waits for it. Returns false when nothing was sent.
   */
  cacheProbe(cache: NeighborCache, id: number, mac: number): boolean {
    return this.probe(cache, id, mac, false);
  }

  /**
   * GuardProbeSink: a takeover probe (unicast to the owner `mac`), within the guard's own
   * budget (limiter.allowGuardProbe): a claim flood never spends what resolutions and
   * refresh probes need, nor they what the guard needs.
   */
  guardProbe(cache: NeighborCache, id: number, mac: number): boolean {
    return this.probe(cache, id, mac, true);
  }

  private probe(cache: NeighborCache, id: number, mac: number, guard: boolean): boolean {
    const w0 = cache.key(id, 0);
    const st = this.ifaces.bySlot(metaSlot(w0));
    if (!st) return false;
    const a0 = cache.key(id, 1);
    const a1 = cache.key(id, 2);
    const a2 = cache.key(id, 3);
    const a3 = cache.key(id, 4);
    if (mac < 0 && !this.pending.waiting(this.limiter.now, w0, a0, a1, a2, a3)) {
      this.retriesSkipped++;
      return false;
    }
    if (!(guard ? this.limiter.allowGuardProbe(st.slot, mac) : this.limiter.allowProbe(st.slot, mac))) return false;
    const ourMac = st.cfgMac >= 0 ? st.cfgMac : this.env.interfaceMac(st.index);
    this.sendQuery(st.index, metaVlan(w0), w0, a0, a1, a2, a3, mac, ourMac);
    return true;
  }

  /** ARP request or NS for the key; broadcast / solicited-node when `dstMac` is -1. */
  private sendQuery(ifIndex: number, vlan: number, meta: number, a0: number, a1: number, a2: number, a3: number, dstMac: number, ourMac: Mac): void {
    if (this.awaitShared !== null) this.awaitShared.asked(meta, a0, a1, a2, a3);
    if (metaIsV6(meta)) {
      const t = this.tgt;
      t[0] = a0;
      t[1] = a1;
      t[2] = a2;
      t[3] = a3;
      const src = this.dip;
      if (!this.env.sourceIp6(ifIndex, src)) src.fill(0);
      this.output.neighborSolicitation(ifIndex, vlan, src, t, dstMac < 0 ? -1 : dstMac);
    } else {
      this.output.arpRequest(ifIndex, vlan, ourMac, this.env.sourceIp4(ifIndex), a3 >>> 0, dstMac < 0 ? BROADCAST_MAC : dstMac);
    }
  }
}
