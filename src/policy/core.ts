// The decision core: one frame in, one Decision out. Checks the frame against the
// interface (own frame, VLAN), learns from the owners speaking for themselves, applies
// the family's guards (own address, probes, ND uplinks and exceptions), static entries,
// then the rule match and the shared action resolver. Every decision leaves through
// `finish`, which counts it and hands it to the decision log.
import { BROADCAST_MAC, ip6Equal, isMulticast6, isUnspecified6, type Ip6, type Mac } from '../net/addr';
import { FrameKind, NA_FLAG_OVERRIDE, NA_FLAG_ROUTER, NA_FLAG_SOLICITED, type FrameView } from '../wire/view';
import { metaWord } from './addrtable';
import { LearnArg, type NeighborCache } from './cache';
import { Decision, Reason, REASON_COUNT, Verdict } from './decision';
import { ACTION_KINDS, RuleWord, RuleFlag, type IfState, type InterfaceTable } from './interfaces';
import type { DecisionLog } from './log';
import { ALL_NODES, ALL_NODES_MAC, type RedirectQueue } from './redirect';
import { ReplyAction } from './reply';
import { FrameContext, Resolution, type ActionResolver } from './resolver';
import type { StaticTable } from './statics';
import type { TakeoverGuard } from './guard';
import type { ProbeQueue } from './probe';
import type { SourceLimiter } from './limiter';
import type { PolicyEnvironment } from './types';

/** Hands a learn to the worker that owns the key; false to learn it here. */
export type LearnElsewhere = (meta: number, a0: number, a1: number, a2: number, a3: number, mac: Mac, ourMac: Mac, hwMac: Mac) => boolean;

/**
 * Workers: the reply to a query may reach another worker than the one that sent it (the
 * fanout hands a reply to the owner of the address it is about). `asked` is told of every
 * query before it leaves; `awaited` says another worker awaits a reply for the key.
 */
export interface SharedAwaits {
  asked(meta: number, a0: number, a1: number, a2: number, a3: number): void;
  awaited(meta: number, a0: number, a1: number, a2: number, a3: number): boolean;
}

export class DecisionCore {
  /** The reusable decision `handle()` returns. */
  readonly decision = new Decision();
  /** Decisions per Reason (index = Reason). */
  readonly reasonCounts = new Float64Array(REASON_COUNT);
  /** Decisions answered (the frame in hand; deferred redirect answers are the queue's). */
  answers = 0;
  private readonly cx = new FrameContext();
  private readonly res = new Resolution();
  private readonly learnArgs = new Float64Array(LearnArg.Size);
  /**
   * Workers (src/daemon/workers): takes a key another worker owns, returning true, so
   * it is learned there (learnForwarded) and not here; null with one worker.
   */
  learnElsewhere: LearnElsewhere | null = null;
  /** Workers: queries other workers sent (their replies come here); null with one worker. */
  awaitShared: SharedAwaits | null = null;
  /**
   * The time (seconds) of the frames `handle()` decides, set once per batch: a double
   * passed as an argument to a call V8 does not inline is boxed (16 B per request).
   */
  now = 0.5;

  constructor(
    private readonly ifaces: InterfaceTable,
    private readonly cache: NeighborCache,
    private readonly statics: StaticTable,
    private readonly resolver: ActionResolver,
    private readonly redirects: RedirectQueue,
    private readonly env: PolicyEnvironment,
    private readonly log: DecisionLog,
    private readonly guard: TakeoverGuard,
    private readonly probes: ProbeQueue,
    private readonly limiter: SourceLimiter,
  ) {}

  /** Decides about one frame received on interface `ifIndex` (index in config.interfaces) at `this.now`. */
  handle(f: FrameView, ifIndex: number): Decision {
    const d = this.decision;
    d.reset();
    d.ifIndex = ifIndex;
    d.vlan = f.vlan;
    const st = this.ifaces.at(ifIndex);
    if (st === undefined) return this.finish(f, Verdict.Drop, Reason.UnknownInterface);
    if (f.drop !== 0 || f.kind === FrameKind.None) return this.finish(f, Verdict.Drop, Reason.Invalid);
    const cx = this.cx;
    const now = this.now;
    cx.now = now;
    this.cache.now = now;
    this.limiter.now = now;
    const hwMac = this.env.interfaceMac(ifIndex);
    cx.hwMac = hwMac;
    // Two stores, not `cx.ourMac = cfg >= 0 ? cfg : hwMac`: that merge of a (tagged) config
    // value with the unboxed hwMac boxed hwMac, 16 B per request.
    const cfgMac = st.cfgMac;
    if (cfgMac >= 0) cx.ourMac = cfgMac;
    else cx.ourMac = hwMac;
    if (f.ethSrc === hwMac || (cfgMac >= 0 && f.ethSrc === cfgMac)) return this.finish(f, Verdict.Drop, Reason.OwnFrame);
    // vlans list: 0 stands for untagged (and priority-tagged, VID 0) frames.
    if (st.vlanOk !== null && st.vlanOk[f.vlan < 0 ? 0 : f.vlan] !== 1) return this.finish(f, Verdict.Drop, Reason.Vlan);
    if (f.kind === FrameKind.ArpRequest || f.kind === FrameKind.ArpReply) return this.handleArp(f, st, cx);
    return this.handleNd(f, st, cx);
  }

  private handleArp(f: FrameView, st: IfState, cx: FrameContext): Decision {
    const d = this.decision;
    d.family = 4;
    const meta = metaWord(false, st.slot, f.vlan);
    const sip = f.senderIp;
    const tip = f.targetIp;
    // Learning: only from the owner speaking for itself (see docs/policy.md).
    const ownerSpeaks = sip !== 0 && f.ethSrc === f.senderMac && !this.env.isOwnIp4(st.index, sip);
    // `probe` rules: any ARP the owner sends on a probed interface says it is alive.
    // heard() only on probed interfaces: its uint32/MAC/time arguments would be boxed per request.
    if (ownerSpeaks && this.probes.probed[st.slot] === 1) this.probes.heard(st, false, 0, 0, 0, sip, f.senderMac, cx.now);
    if (f.kind === FrameKind.ArpReply) {
      if (ownerSpeaks && (sip === tip || ((f.ethDst === cx.ourMac || f.targetMac === cx.ourMac) && this.awaited(meta, 0, 0, 0, sip | 0)))) {
        this.learnArgs[LearnArg.Mac] = f.senderMac;
        this.learn(meta, 0, 0, 0, sip | 0, cx);
      }
      return this.finish(f, Verdict.Silent, Reason.NotRequest);
    }
    if (ownerSpeaks && (sip === tip || f.ethDst === BROADCAST_MAC)) {
      this.learnArgs[LearnArg.Mac] = f.senderMac;
      this.learn(meta, 0, 0, 0, sip | 0, cx);
    }
    if (this.env.isOwnIp4(st.index, tip)) return this.finish(f, Verdict.Silent, Reason.OwnAddress);
    const probe = sip === 0;
    const announce = sip === tip;
    const res = this.res;
    const sid = this.statics.find4(st.slot, tip | 0); // int32: AddrTable.find compares int32
    if (sid >= 0) {
      if (probe) return this.finish(f, Verdict.Silent, Reason.Probe);
      if (announce) return this.finish(f, Verdict.Silent, Reason.SelfRequest);
      res.mac = this.statics.macOf(sid);
      return this.answerArp(f, res, Reason.Static);
    }
    // int32 (`| 0`) into the matcher: a uint32 >= 128.0.0.0 would be boxed.
    const ri = st.m4.match4(sip | 0, tip | 0);
    if (ri < 0) return this.finish(f, Verdict.Silent, Reason.NoRule);
    const flags = this.noteRule(st, ri);
    if (probe && (flags & RuleFlag.Probes) === 0) return this.finish(f, Verdict.Silent, Reason.Probe);
    if (announce && (flags & RuleFlag.Probes) === 0) return this.finish(f, Verdict.Silent, Reason.SelfRequest);
    const reason = this.resolver.resolve(f, st, ri, meta, cx, res);
    if (reason !== Reason.Rule) return this.finish(f, Verdict.Silent, reason);
    return this.answerArp(f, res, Reason.Rule);
  }

  private answerArp(f: FrameView, res: Resolution, reason: Reason): Decision {
    const d = this.decision;
    const mac = res.mac;
    if (mac === f.senderMac || mac === f.ethSrc) return this.finish(f, Verdict.Silent, Reason.SelfRequest);
    d.answerMac = mac;
    d.dstMac = f.senderMac;
    return this.finish(f, Verdict.Answer, reason);
  }

  private handleNd(f: FrameView, st: IfState, cx: FrameContext): Decision {
    const d = this.decision;
    d.family = 6;
    // int32 (`| 0`): the family bit makes the word >= 2^31, boxed as an argument. Every
    // table it reaches compares int32 (AddrTable, cache, delay, pending answers).
    const meta = metaWord(true, st.slot, f.vlan) | 0;
    const src = f.ip6Src;
    const tgt = f.target;
    if (f.kind === FrameKind.NeighborAdvertisement) {
      this.learnFromNa(f, st, meta, cx);
      return this.finish(f, Verdict.Silent, Reason.NotRequest);
    }
    const dad = isUnspecified6(src);
    const sll = f.sourceLinkAddr;
    if (!dad && sll !== -1 && sll === f.ethSrc && isMulticast6(f.ip6Dst) && !this.env.isOwnIp6(st.index, src)) {
      this.learnArgs[LearnArg.Mac] = sll;
      this.learn(meta, src[0]! | 0, src[1]! | 0, src[2]! | 0, src[3]! | 0, cx);
      if (this.probes.probed[st.slot] === 1) this.probes.heard(st, true, src[0]!, src[1]!, src[2]!, src[3]!, sll, cx.now);
    }
    if (isUnspecified6(tgt) || isMulticast6(tgt)) return this.finish(f, Verdict.Drop, Reason.Invalid);
    if (this.env.isOwnIp6(st.index, tgt)) return this.finish(f, Verdict.Silent, Reason.OwnAddress);
    if (st.uplinks.length > 0 && !contains6(st.uplinks, src)) return this.finish(f, Verdict.Silent, Reason.NotUplink);
    if (st.exceptions.length > 0 && contains6(st.exceptions, tgt)) return this.finish(f, Verdict.Silent, Reason.Exception);
    if (ip6Equal(src, tgt)) return this.finish(f, Verdict.Silent, Reason.SelfRequest);
    const dadDefend = st.cfg.nd.dadDefend;
    const res = this.res;
    const sid = this.statics.find6(st.slot, tgt);
    if (sid >= 0) {
      if (dad && !dadDefend) return this.finish(f, Verdict.Silent, Reason.Probe);
      res.mac = this.statics.macOf(sid);
      return this.answerNd(f, st, dad, res, Reason.Static);
    }
    const ri = st.m6.match6(src, tgt);
    if (ri < 0) return this.finish(f, Verdict.Silent, Reason.NoRule);
    const flags = this.noteRule(st, ri);
    if (dad && !dadDefend && (flags & RuleFlag.Probes) === 0) return this.finish(f, Verdict.Silent, Reason.Probe);
    const reason = this.resolver.resolve(f, st, ri, meta, cx, res);
    if (reason !== Reason.Rule) return this.finish(f, Verdict.Silent, reason);
    return this.answerNd(f, st, dad, res, Reason.Rule);
  }

  /** Learns from an advertisement: solicited ones we asked for, unsolicited ones from the owner. */
  private learnFromNa(f: FrameView, st: IfState, meta: number, cx: FrameContext): void {
    const tgt = f.target;
    if (isUnspecified6(tgt) || isMulticast6(tgt) || this.env.isOwnIp6(st.index, tgt)) return;
    const tlla = f.targetLinkAddr;
    // `probe` rules: the owner's advertisement (O=1, or the answer to our probe) says it is alive.
    if (this.probes.probed[st.slot] === 1 && (tlla === -1 || tlla === f.ethSrc) && ((f.naFlags & NA_FLAG_OVERRIDE) !== 0 || f.ethDst === cx.ourMac)) {
      this.probes.heard(st, true, tgt[0]!, tgt[1]!, tgt[2]!, tgt[3]!, f.ethSrc, cx.now);
    }
    if ((f.naFlags & NA_FLAG_SOLICITED) === 0) {
      // Unsolicited: only the owner's (O=1; proxies send O=0), with its link-layer address.
      if ((f.naFlags & NA_FLAG_OVERRIDE) !== 0 && tlla !== -1 && tlla === f.ethSrc) {
        this.learnArgs[LearnArg.Mac] = tlla;
        this.learn(meta, tgt[0]! | 0, tgt[1]! | 0, tgt[2]! | 0, tgt[3]! | 0, cx);
      }
    } else if (f.ethDst === cx.ourMac && this.awaited(meta, tgt[0]! | 0, tgt[1]! | 0, tgt[2]! | 0, tgt[3]! | 0)) {
      this.learnArgs[LearnArg.Mac] = tlla !== -1 ? tlla : f.ethSrc;
      this.learn(meta, tgt[0]! | 0, tgt[1]! | 0, tgt[2]! | 0, tgt[3]! | 0, cx);
    }
  }

  private answerNd(f: FrameView, st: IfState, dad: boolean, res: Resolution, reason: Reason): Decision {
    const d = this.decision;
    const mac = res.mac;
    if (mac === f.ethSrc || mac === f.sourceLinkAddr) return this.finish(f, Verdict.Silent, Reason.SelfRequest);
    const nd = st.cfg.nd;
    d.answerMac = mac;
    d.naFlags = (nd.router ? NA_FLAG_ROUTER : 0) | (nd.override ? NA_FLAG_OVERRIDE : 0);
    if (dad) {
      d.toAllNodes = true;
      d.dstIp6.set(ALL_NODES);
      d.dstMac = ALL_NODES_MAC;
    } else {
      d.naFlags |= NA_FLAG_SOLICITED;
      d.dstIp6.set(f.ip6Src);
      d.dstMac = f.sourceLinkAddr !== -1 ? f.sourceLinkAddr : f.ethSrc;
    }
    return this.finish(f, Verdict.Answer, reason);
  }

  /** Records rule `ri` as the deciding rule; returns its flags word. */
  private noteRule(st: IfState, ri: number): number {
    const d = this.decision;
    const o = RuleWord.Size * ri;
    const flags = st.ruleInfo[o + RuleWord.Flags]!;
    d.ruleIndex = ri;
    d.ruleLine = st.ruleInfo[o + RuleWord.Line]!;
    d.action = ACTION_KINDS[flags & RuleFlag.Kind]!;
    return flags;
  }

  /** A reply to the key may be learned: we (or, with workers, another worker) resolve or refresh it, or the guard probes its owner. */
  private awaited(meta: number, a0: number, a1: number, a2: number, a3: number): boolean {
    return this.cache.awaitingReply(meta, a0, a1, a2, a3) || this.guard.awaiting(meta, a0, a1, a2, a3)
      || (this.awaitShared !== null && this.awaitShared.awaited(meta, a0, a1, a2, a3));
  }

  /** A learn another worker saw for a key this one owns (what `learnElsewhere` took there). */
  learnForwarded(meta: number, a0: number, a1: number, a2: number, a3: number, mac: Mac, ourMac: Mac, hwMac: Mac, now: number): void {
    const cx = this.cx;
    cx.now = now;
    this.cache.now = now;
    cx.ourMac = ourMac;
    cx.hwMac = hwMac;
    this.learnArgs[LearnArg.Mac] = mac;
    this.learn(meta, a0, a1, a2, a3, cx, true);
  }

  /**
   * Learns key -> learnArgs[LearnArg.Mac] (the caller stores it there) when the takeover
   * guard admits it; answers the requests that waited for it (redirect routers). Doubles
   * (MACs, now) travel in cells and the words as int32 (`| 0`; the tables compare int32):
   * as arguments to calls V8 does not inline they would be boxed, 16 B each.
   */
  private learn(meta: number, a0: number, a1: number, a2: number, a3: number, cx: FrameContext, forwarded = false): void {
    const now = cx.now;
    if (this.cache.timeout <= 0) return;
    const args = this.learnArgs;
    const mac = args[LearnArg.Mac]!;
    // The workers' hook takes uint32 words and MACs as numbers (boxed: workers > 1 only).
    const elsewhere = this.learnElsewhere;
    if (!forwarded && elsewhere !== null && elsewhere(meta >>> 0, a0 >>> 0, a1 >>> 0, a2 >>> 0, a3 >>> 0, mac, cx.ourMac, cx.hwMac)) return;
    const g = this.guard;
    args[LearnArg.OurMac] = cx.ourMac;
    args[LearnArg.HwMac] = cx.hwMac;
    args[LearnArg.Now] = now;
    if (!g.admitFrom(meta, a0 | 0, a1 | 0, a2 | 0, a3 | 0, args)) return;
    const id = this.cache.learnFrom(meta, a0 | 0, a1 | 0, a2 | 0, a3 | 0, args);
    if (id < 0) return;
    if (g.newEntry) g.fresh(id);
    // Queued answers only ever wait for entries we were resolving or probing.
    if (this.redirects.pending.count > 0 && this.cache.learnedAwaited) this.redirects.learned(meta, a0, a1, a2, a3, mac, now); // rare: boxes
  }

  /** The one exit of every decision: verdict and reason, counters, decision log. */
  private finish(f: FrameView, verdict: Verdict, reason: Reason): Decision {
    const d = this.decision;
    if (verdict === Verdict.Answer && !this.limiter.allowRequest(f, this.ifaces.at(d.ifIndex)!.slot, d.family === 6)) {
      verdict = Verdict.Silent;
      reason = Reason.RateLimited;
    }
    d.verdict = verdict;
    d.reason = reason;
    this.reasonCounts[reason]!++;
    if (verdict === Verdict.Answer) this.answered(d);
    // Both gates are booleans read from the logger at construction/reload: with debug off
    // and no logger at info, nothing more runs here.
    if (this.log.debug || (this.log.info && d.ruleIndex >= 0)) this.maybeLog(f);
    return d;
  }

  private answered(d: Decision): void {
    this.answers++;
    d.replyAction = d.reason === Reason.Static ? ReplyAction.Static : this.ifaces.at(d.ifIndex)!.ruleInfo[RuleWord.Size * d.ruleIndex + RuleWord.Reply]!;
  }

  /** Writes the decision at debug, or at info when its rule is `verbose`. */
  private maybeLog(f: FrameView): void {
    const d = this.decision;
    const st = this.ifaces.at(d.ifIndex);
    const ri = d.ruleIndex;
    const verbose = st !== undefined && ri >= 0 && (st.ruleInfo[RuleWord.Size * ri + RuleWord.Flags]! & RuleFlag.Verbose) !== 0;
    if (verbose || this.log.debug) this.log.write(d, f, st ? st.cfg.name : `#${d.ifIndex}`, verbose);
  }
}

function contains6(list: Ip6[], a: Ip6): boolean {
  for (let i = 0; i < list.length; i++) if (ip6Equal(list[i]!, a)) return true;
  return false;
}
