// The policy core: given a parsed ARP/ND frame, the time and the state, decide whether to
// answer, with which MAC, and what else to send. Plain TypeScript over FrameView with
// time passed in: no timers inside, the daemon calls `tick(now)`. See docs/policy.md.
import {
  BROADCAST_MAC,
  Family,
  formatIp4,
  formatIp6,
  formatMac,
  ip6Equal,
  isMulticast6,
  isUnspecified6,
  newIp6,
  type IpAddress,
  type Ip6,
  type Mac,
} from '../net/addr';
import { FrameKind, NA_FLAG_OVERRIDE, NA_FLAG_ROUTER, NA_FLAG_SOLICITED, type FrameView } from '../wire/view';
import { ActionKind, type Config, type InterfaceConfig, type MacTemplate, type Rule, type RuleAction } from '../config/types';
import { AddrTable, KEY_WORDS, metaIsV6, metaSlot, metaVlan, metaWord } from './addrtable';
import { NeighborCache, type CacheTimerSink } from './cache';
import { Decision, Reason, REASON_COUNT, REASON_NAMES, Verdict } from './decision';
import { DelayTable } from './delay';
import { RuleMatcher } from './matcher';
import { PendingAnswers } from './pending';
import type { PolicyEnvironment, PolicyLogger, PolicyOptions, PolicyOutput } from './types';

const ALL_NODES_MAC = 0x333300000001;
const ALL_NODES = new Uint32Array([0xff020000, 0, 0, 1]);
const TWO32 = 0x100000000;

/** Per-interface state derived from the configuration at construction/reload. */
const ACTION_KINDS: readonly ActionKind[] = [
  ActionKind.Ignore,
  ActionKind.Tell,
  ActionKind.Redirect,
  ActionKind.Mac,
  ActionKind.Self,
  ActionKind.Route,
  ActionKind.Template,
];
const RI_KIND = 0xff;
const RI_PROBES = 0x100;
const RI_DELAY = 0x200;
const RI_VERBOSE = 0x400;
const TELL_ACTION: RuleAction = { kind: ActionKind.Tell };

const RI_WORDS = 4;

function ruleInfo(rules: readonly Rule[]): Int32Array {
  const info = new Int32Array(RI_WORDS * rules.length);
  rules.forEach((r, i) => {
    info[RI_WORDS * i] = r.pos.line;
    info[RI_WORDS * i + 2] = -1;
    info[RI_WORDS * i + 1] = ACTION_KINDS.indexOf(r.action.kind) | (r.probes ? RI_PROBES : 0) | (r.delay ? RI_DELAY : 0) | (r.verbose ? RI_VERBOSE : 0);
  });
  return info;
}

interface IfState {
  index: number;
  /** Stable id of the interface name across reloads (cache and statics keys use it). */
  slot: number;
  cfg: InterfaceConfig;
  /** cfg.mac as a plain number, -1 when null (keeps the hot path free of number|null). */
  cfgMac: number;
  rules: readonly Rule[];
  /**
   * Per rule, what the hot path reads, RI_WORDS words per rule index: line, flags (action
   * kind index in ACTION_KINDS | RI_PROBES | RI_DELAY | RI_VERBOSE) and the cache entry id
   * its `tell` answer came from last time (a hint, checked by the cache). A hit then reads
   * one line here instead of the rule, its pos and its action objects spread over the heap.
   */
  ruleInfo: Int32Array;
  m4: RuleMatcher;
  m6: RuleMatcher;
  /** VLAN filter: vlanOk[vid] = 1; null = untagged and every VLAN. */
  vlanOk: Uint8Array | null;
  uplinks: Ip6[];
  exceptions: Ip6[];
}

export interface PolicyInit {
  config: Config;
  env: PolicyEnvironment;
  output: PolicyOutput;
  /** pino logger (or anything with `info(obj, msg)`); verbose rules log through it. */
  logger?: PolicyLogger;
  options?: PolicyOptions;
}

export interface CacheEntryInfo {
  interface: string;
  vlan: number;
  family: 4 | 6;
  address: string;
  /** null while a resolution is under way. */
  mac: string | null;
  state: 'fresh' | 'probing' | 'incomplete' | 'stale' | string;
}

export interface PolicyStats {
  /** Decisions per reason name. */
  reasons: Record<string, number>;
  answers: number;
  cache: {
    size: number;
    capacity: number;
    learned: number;
    updated: number;
    refreshed: number;
    evictions: number;
    expired: number;
    refreshFailures: number;
    refreshProbes: number;
    resolutions: number;
    resolveFailures: number;
    bytes: number;
  };
  pending: { waiting: number; queued: number; answered: number; expired: number; refused: number };
  delay: { capacity: number; evictions: number };
  statics: { size: number; announcements: number };
  rules: { interface: string; v4: number; v6: number; v4Groups: number; v6Groups: number }[];
}

/** Derives the MAC of a `template` action: the template's base with its low bytes from the address. */
export function templateMac(t: MacTemplate, low48: number): Mac {
  const mod = 2 ** (8 * t.addressBytes);
  return t.base - (t.base % mod) + (low48 % mod);
}

export class Policy implements CacheTimerSink {
  /** The reusable decision `handle()` returns. */
  readonly decision = new Decision();
  /** Decisions per Reason (index = Reason). */
  readonly reasonCounts = new Float64Array(REASON_COUNT);
  answers = 0;

  private config: Config;
  private readonly env: PolicyEnvironment;
  private readonly output: PolicyOutput;
  private readonly logger: PolicyLogger | undefined;
  private ifs: IfState[] = [];
  private readonly slotByName = new Map<string, number>();
  /** Current config index per slot, -1 when the interface left the configuration. */
  private ifIndexOfSlot: number[] = [];
  readonly cache: NeighborCache;
  private readonly delays: DelayTable;
  private readonly pending: PendingAnswers;
  private readonly statics: AddrTable;
  private readonly staticMac: Float64Array;
  private readonly staticFromConfig: Uint8Array;
  private readonly staticAnnounceLeft: Uint8Array;
  private readonly staticAnnounceAt: Float64Array;
  private announcing: number[] = [];
  private announcements = 0;
  private readonly announceCount: number;
  private readonly announceInterval: number;
  private readonly scratch6 = newIp6();
  private readonly scratch6b = newIp6();
  /** The frame being decided (for verbose logs). */
  private frame: FrameView | null = null;
  // Per-decision doubles kept in fields, not passed as arguments: a double crossing a
  // non-inlined call is boxed (a heap allocation per frame). Initialised with non-integers
  // so V8 gives the fields an unboxed double representation from the start.
  private now = 0.5;
  private ourMac = 0.5;
  private hwMac = 0.5;
  private answer = 0.5;
  private learnMac = 0.5;

  constructor(init: PolicyInit) {
    const o = init.options ?? {};
    this.config = init.config;
    this.env = init.env;
    this.output = init.output;
    this.logger = init.logger;
    const c = init.config.cache;
    this.cache = new NeighborCache(Math.max(1, c.tablesize), {
      timeout: c.timeout,
      refreshCount: c.refresh.count,
      refreshInterval: c.refresh.interval,
      resolveAttempts: o.resolveAttempts ?? 3,
      resolveInterval: o.resolveInterval ?? 1,
    });
    this.delays = new DelayTable(o.delayTableSize ?? 65536);
    this.pending = new PendingAnswers(o.pendingSize ?? 4096);
    const ss = o.staticSize ?? 65536;
    this.statics = new AddrTable(ss);
    this.staticMac = new Float64Array(ss);
    this.staticFromConfig = new Uint8Array(ss);
    this.staticAnnounceLeft = new Uint8Array(ss);
    this.staticAnnounceAt = new Float64Array(ss);
    this.announceCount = Math.min(3, o.announceCount ?? 3);
    this.announceInterval = o.announceInterval ?? 1;
    this.install(init.config, 0);
  }

  // ------------------------------------------------------------------ configuration

  /** Swaps rules, interfaces and cache parameters atomically; the cache is kept (by interface name). */
  reload(config: Config, now = 0): void {
    this.install(config, now);
  }

  private install(config: Config, now: number): void {
    const ifs: IfState[] = [];
    config.interfaces.forEach((cfg, index) => {
      let slot = this.slotByName.get(cfg.name);
      if (slot === undefined) {
        slot = this.slotByName.size;
        this.slotByName.set(cfg.name, slot);
      }
      let vlanOk: Uint8Array | null = null;
      if (cfg.vlans) {
        vlanOk = new Uint8Array(4096);
        for (const v of cfg.vlans) vlanOk[v & 4095] = 1;
      }
      ifs.push({
        index,
        slot,
        cfg,
        cfgMac: cfg.mac ?? -1,
        rules: cfg.rules,
        ruleInfo: ruleInfo(cfg.rules),
        m4: new RuleMatcher(Family.V4, cfg.rules),
        m6: new RuleMatcher(Family.V6, cfg.rules),
        vlanOk,
        uplinks: cfg.nd.uplinks.map((a) => Uint32Array.from(a)),
        exceptions: cfg.nd.exceptions.map((a) => Uint32Array.from(a)),
      });
    });
    const ifIndexOfSlot = new Array<number>(this.slotByName.size).fill(-1);
    for (const s of ifs) ifIndexOfSlot[s.slot] = s.index;
    // Everything built; swap in one step.
    this.ifs = ifs;
    this.ifIndexOfSlot = ifIndexOfSlot;
    this.config = config;
    const c = config.cache;
    this.cache.timeout = c.timeout;
    this.cache.refreshCount = c.refresh.count;
    this.cache.refreshInterval = c.refresh.interval;
    // Statics from the file: drop the previous file's, add the new file's (runtime ones stay).
    const old: number[] = [];
    for (let id = 0; id < this.staticFromConfig.length; id++) if (this.staticFromConfig[id]) old.push(id);
    const before = new Map<string, number>();
    for (const id of old) {
      before.set(this.staticKeyText(id), this.staticMac[id]!);
      this.staticFromConfig[id] = 0;
      this.statics.remove(id);
    }
    for (const s of ifs) {
      for (const e of s.cfg.statics) {
        const id = this.putStatic(s.slot, e.address, e.mac);
        if (id < 0) continue;
        this.staticFromConfig[id] = 1;
        const wasSame = before.get(this.staticKeyText(id)) === e.mac;
        if (e.announce && !wasSame) this.scheduleAnnounce(id, now);
      }
    }
  }

  private staticKeyText(id: number): string {
    const k = this.statics.keys;
    const o = id * KEY_WORDS;
    return `${k[o]}:${k[o + 1]}:${k[o + 2]}:${k[o + 3]}:${k[o + 4]}`;
  }

  // ------------------------------------------------------------------ static entries

  /**
   * Adds (or replaces) a static entry: requests for `address` on the interface are answered
   * with `mac` (reason `static`). With `announce`, up to 3 gratuitous ARP / unsolicited NA
   * leave, the first now, the others at later ticks. Returns false when the table is full
   * or the interface index is unknown.
   */
  addStatic(ifIndex: number, address: IpAddress, mac: Mac, announce = false, now = 0): boolean {
    const st = this.ifs[ifIndex];
    if (!st) return false;
    const id = this.putStatic(st.slot, address, mac);
    if (id < 0) return false;
    if (announce) this.scheduleAnnounce(id, now);
    return true;
  }

  /** Removes a static entry; false when there was none. */
  removeStatic(ifIndex: number, address: IpAddress): boolean {
    const st = this.ifs[ifIndex];
    if (!st) return false;
    const id = this.findStatic(st.slot, address);
    if (id < 0) return false;
    this.staticFromConfig[id] = 0;
    this.staticAnnounceLeft[id] = 0;
    this.statics.remove(id);
    return true;
  }

  /** The static MAC for the address on the interface, or -1. */
  staticFor(ifIndex: number, address: IpAddress): Mac | -1 {
    const st = this.ifs[ifIndex];
    if (!st) return -1;
    const id = this.findStatic(st.slot, address);
    return id < 0 ? -1 : this.staticMac[id]!;
  }

  private findStatic(slot: number, a: IpAddress): number {
    const v6 = a.family === Family.V6;
    const w = metaWord(v6, slot, -1);
    return v6 ? this.statics.find(w, a.v6[0]!, a.v6[1]!, a.v6[2]!, a.v6[3]!) : this.statics.find(w, 0, 0, 0, a.v4);
  }

  private putStatic(slot: number, a: IpAddress, mac: Mac): number {
    let id = this.findStatic(slot, a);
    if (id < 0) {
      const v6 = a.family === Family.V6;
      const w = metaWord(v6, slot, -1);
      id = v6 ? this.statics.insert(w, a.v6[0]!, a.v6[1]!, a.v6[2]!, a.v6[3]!) : this.statics.insert(w, 0, 0, 0, a.v4);
      if (id < 0) return -1;
      this.staticFromConfig[id] = 0;
      this.staticAnnounceLeft[id] = 0;
    }
    this.staticMac[id] = mac;
    return id;
  }

  private scheduleAnnounce(id: number, now: number): void {
    this.staticAnnounceLeft[id] = this.announceCount;
    this.staticAnnounceAt[id] = now;
    if (!this.announcing.includes(id)) this.announcing.push(id);
    this.runAnnouncements(now);
  }

  private runAnnouncements(now: number): void {
    if (this.announcing.length === 0) return;
    const keep: number[] = [];
    for (const id of this.announcing) {
      if (this.staticAnnounceLeft[id] === 0) continue;
      if (now >= this.staticAnnounceAt[id]!) {
        this.announce(id);
        this.staticAnnounceLeft[id]!--;
        this.staticAnnounceAt[id] = now + this.announceInterval;
      }
      if (this.staticAnnounceLeft[id]! > 0) keep.push(id);
    }
    this.announcing = keep;
  }

  private announce(id: number): void {
    const k = this.statics.keys;
    const o = id * KEY_WORDS;
    const w0 = k[o]!;
    const ifIndex = this.ifIndexOfSlot[metaSlot(w0)] ?? -1;
    const st = ifIndex >= 0 ? this.ifs[ifIndex] : undefined;
    if (!st) return;
    const mac = this.staticMac[id]!;
    const vlans = st.cfg.vlans && st.cfg.vlans.length > 0 ? st.cfg.vlans : [-1];
    for (const v of vlans) {
      const vlan = v === 0 ? -1 : v; // 0 in the list stands for untagged
      this.announcements++;
      if (metaIsV6(w0)) {
        const t = this.scratch6;
        t[0] = k[o + 1]!;
        t[1] = k[o + 2]!;
        t[2] = k[o + 3]!;
        t[3] = k[o + 4]!;
        this.output.unsolicitedNa(ifIndex, vlan, t, mac, (st.cfg.nd.router ? NA_FLAG_ROUTER : 0) | NA_FLAG_OVERRIDE);
      } else {
        this.output.arpAnnounce(ifIndex, vlan, k[o + 4]!, mac);
      }
    }
  }

  // ------------------------------------------------------------------ decisions

  /** Decides about one frame received on interface `ifIndex` (index in config.interfaces) at `now` (seconds). */
  handle(f: FrameView, ifIndex: number, now: number): Decision {
    const d = this.decision;
    d.reset();
    d.ifIndex = ifIndex;
    d.vlan = f.vlan;
    this.frame = f;
    const st = this.ifs[ifIndex];
    if (st === undefined) return this.finish(d, Verdict.Drop, Reason.UnknownInterface, -1);
    if (f.drop !== 0 || f.kind === FrameKind.None) return this.finish(d, Verdict.Drop, Reason.Invalid, -1);
    this.now = now;
    this.cache.now = now;
    this.hwMac = this.env.interfaceMac(ifIndex);
    this.ourMac = st.cfgMac >= 0 ? st.cfgMac : this.hwMac;
    if (f.ethSrc === this.ourMac || f.ethSrc === this.hwMac) return this.finish(d, Verdict.Drop, Reason.OwnFrame, -1);
    // vlans list: 0 stands for untagged (and priority-tagged, VID 0) frames.
    if (st.vlanOk !== null && st.vlanOk[f.vlan < 0 ? 0 : f.vlan] !== 1) return this.finish(d, Verdict.Drop, Reason.Vlan, -1);
    if (f.kind === FrameKind.ArpRequest || f.kind === FrameKind.ArpReply) return this.handleArp(f, st);
    return this.handleNd(f, st);
  }

  private handleArp(f: FrameView, st: IfState): Decision {
    const d = this.decision;
    const now = this.now;
    const ourMac = this.ourMac;
    d.family = 4;
    const ifIndex = st.index;
    const meta = metaWord(false, st.slot, f.vlan);
    const sip = f.senderIp;
    const tip = f.targetIp;
    // Learning: only from the owner speaking for itself (see docs/policy.md).
    const ownerSpeaks = sip !== 0 && f.ethSrc === f.senderMac && !this.env.isOwnIp4(ifIndex, sip);
    if (f.kind === FrameKind.ArpReply) {
      if (ownerSpeaks) {
        if (sip === tip || ((f.ethDst === ourMac || f.targetMac === ourMac) && this.cache.awaitingReply(meta, 0, 0, 0, sip))) {
          this.learnMac = f.senderMac;
          this.learn(meta, 0, 0, 0, sip);
        }
      }
      return this.finish(d, Verdict.Silent, Reason.NotRequest, -1);
    }
    if (ownerSpeaks && (sip === tip || f.ethDst === BROADCAST_MAC)) {
      this.learnMac = f.senderMac;
      this.learn(meta, 0, 0, 0, sip);
    }
    if (this.env.isOwnIp4(ifIndex, tip)) return this.finish(d, Verdict.Silent, Reason.OwnAddress, -1);
    const probe = sip === 0;
    const announce = sip === tip;
    const sid = this.statics.size > 0 ? this.statics.find(metaWord(false, st.slot, -1), 0, 0, 0, tip) : -1;
    if (sid >= 0) {
      if (probe) return this.finish(d, Verdict.Silent, Reason.Probe, -1);
      if (announce) return this.finish(d, Verdict.Silent, Reason.SelfRequest, -1);
      this.answer = this.staticMac[sid]!;
      return this.answerArp(f, Reason.Static, -1);
    }
    // int32 (`| 0`) into the matcher and the cache: a uint32 >= 128.0.0.0 would be boxed.
    const ri = st.m4.match4(sip | 0, tip | 0);
    if (ri < 0) return this.finish(d, Verdict.Silent, Reason.NoRule, -1);
    const info = st.ruleInfo[RI_WORDS * ri + 1]!;
    const kind = ACTION_KINDS[info & RI_KIND]!;
    d.ruleIndex = ri;
    d.ruleLine = st.ruleInfo[RI_WORDS * ri]!;
    d.action = kind;
    if (probe && (info & RI_PROBES) === 0) return this.finish(d, Verdict.Silent, Reason.Probe, ri);
    if (announce && (info & RI_PROBES) === 0) return this.finish(d, Verdict.Silent, Reason.SelfRequest, ri);
    if (kind === ActionKind.Ignore) return this.finish(d, Verdict.Silent, Reason.Ignore, ri);
    if ((info & RI_DELAY) !== 0) {
      const dc = this.config.cache.delay;
      if (this.delays.hit(meta, 0, 0, 0, sip, 0, 0, 0, tip, now, dc.window) < dc.count) {
        return this.finish(d, Verdict.Silent, Reason.Delayed, ri);
      }
    }
    let mac: number;
    // `tell` needs nothing from the rule object (the common case with many host rules).
    const a = kind === ActionKind.Tell ? TELL_ACTION : st.rules[ri]!.action;
    switch (a.kind) {
      case ActionKind.Tell: {
        const cid = this.cache.lookupIdHint(st.ruleInfo[RI_WORDS * ri + 2]!, meta | 0, 0, 0, 0, tip | 0);
        if (cid >= 0) st.ruleInfo[RI_WORDS * ri + 2] = cid;
        mac = cid < 0 ? -1 : this.cache.macOf(cid);
        if (mac < 0) return this.finish(d, Verdict.Silent, Reason.UnknownTarget, ri);
        break;
      }
      case ActionKind.Redirect: {
        if (a.via.family !== Family.V4) return this.finish(d, Verdict.Silent, Reason.UnknownTarget, ri);
        const via = a.via.v4;
        const cid = this.cache.lookupId(meta, 0, 0, 0, via);
        mac = cid < 0 ? -1 : this.cache.macOf(cid);
        if (mac < 0) {
          const r = this.queueRedirect(st, f, meta, 0, 0, 0, via, ri, now, ourMac);
          return this.finish(d, Verdict.Silent, r, ri);
        }
        break;
      }
      case ActionKind.Mac:
        mac = a.mac;
        break;
      case ActionKind.Self:
        mac = ourMac;
        break;
      case ActionKind.Route: {
        const out = this.env.routeInterface(Family.V4, tip, st.index);
        if (out === undefined) return this.finish(d, Verdict.Silent, Reason.NoRoute, ri);
        if (out === st.cfg.name) return this.finish(d, Verdict.Silent, Reason.RouteSameInterface, ri);
        mac = ourMac;
        break;
      }
      case ActionKind.Template:
        mac = templateMac(a.template, tip);
        break;
      default:
        return this.finish(d, Verdict.Silent, Reason.Ignore, ri);
    }
    this.answer = mac;
    return this.answerArp(f, Reason.Rule, ri);
  }

  private answerArp(f: FrameView, reason: Reason, ri: number): Decision {
    const d = this.decision;
    const mac = this.answer;
    if (mac === f.senderMac || mac === f.ethSrc) return this.finish(d, Verdict.Silent, Reason.SelfRequest, ri);
    d.answerMac = mac;
    d.dstMac = f.senderMac;
    return this.finish(d, Verdict.Answer, reason, ri);
  }

  private handleNd(f: FrameView, st: IfState): Decision {
    const d = this.decision;
    const now = this.now;
    const ourMac = this.ourMac;
    d.family = 6;
    const ifIndex = st.index;
    const meta = metaWord(true, st.slot, f.vlan);
    const src = f.ip6Src;
    const tgt = f.target;
    const nd = st.cfg.nd;
    if (f.kind === FrameKind.NeighborAdvertisement) {
      const tlla = f.targetLinkAddr;
      if (!isUnspecified6(tgt) && !isMulticast6(tgt) && !this.env.isOwnIp6(ifIndex, tgt)) {
        const solicited = (f.naFlags & NA_FLAG_SOLICITED) !== 0;
        if (!solicited) {
          // Unsolicited: only the owner's (O=1; proxies send O=0), with its link-layer address.
          if ((f.naFlags & NA_FLAG_OVERRIDE) !== 0 && tlla !== -1 && tlla === f.ethSrc) {
            this.learnMac = tlla;
            this.learn(meta, tgt[0]!, tgt[1]!, tgt[2]!, tgt[3]!);
          }
        } else if (f.ethDst === ourMac && this.cache.awaitingReply(meta, tgt[0]!, tgt[1]!, tgt[2]!, tgt[3]!)) {
          this.learnMac = tlla !== -1 ? tlla : f.ethSrc;
          this.learn(meta, tgt[0]!, tgt[1]!, tgt[2]!, tgt[3]!);
        }
      }
      return this.finish(d, Verdict.Silent, Reason.NotRequest, -1);
    }
    const dad = isUnspecified6(src);
    const sll = f.sourceLinkAddr;
    if (!dad && sll !== -1 && sll === f.ethSrc && isMulticast6(f.ip6Dst) && !this.env.isOwnIp6(ifIndex, src)) {
      this.learnMac = sll;
      this.learn(meta, src[0]!, src[1]!, src[2]!, src[3]!);
    }
    if (isUnspecified6(tgt) || isMulticast6(tgt)) return this.finish(d, Verdict.Drop, Reason.Invalid, -1);
    if (this.env.isOwnIp6(ifIndex, tgt)) return this.finish(d, Verdict.Silent, Reason.OwnAddress, -1);
    if (st.uplinks.length > 0 && !contains6(st.uplinks, src)) return this.finish(d, Verdict.Silent, Reason.NotUplink, -1);
    if (st.exceptions.length > 0 && contains6(st.exceptions, tgt)) return this.finish(d, Verdict.Silent, Reason.Exception, -1);
    if (ip6Equal(src, tgt)) return this.finish(d, Verdict.Silent, Reason.SelfRequest, -1);
    const sid = this.statics.size > 0 ? this.statics.find(metaWord(true, st.slot, -1), tgt[0]!, tgt[1]!, tgt[2]!, tgt[3]!) : -1;
    if (sid >= 0) {
      if (dad && !nd.dadDefend) return this.finish(d, Verdict.Silent, Reason.Probe, -1);
      this.answer = this.staticMac[sid]!;
      return this.answerNd(f, st, dad, Reason.Static, -1);
    }
    const ri = st.m6.match6(src, tgt);
    if (ri < 0) return this.finish(d, Verdict.Silent, Reason.NoRule, -1);
    const rule = st.rules[ri]!;
    d.ruleIndex = ri;
    d.ruleLine = rule.pos.line;
    d.action = rule.action.kind;
    if (dad && !nd.dadDefend && !rule.probes) return this.finish(d, Verdict.Silent, Reason.Probe, ri);
    if (rule.action.kind === ActionKind.Ignore) return this.finish(d, Verdict.Silent, Reason.Ignore, ri);
    if (rule.delay) {
      const dc = this.config.cache.delay;
      const n = this.delays.hit(meta, src[0]!, src[1]!, src[2]!, src[3]!, tgt[0]!, tgt[1]!, tgt[2]!, tgt[3]!, now, dc.window);
      if (n < dc.count) return this.finish(d, Verdict.Silent, Reason.Delayed, ri);
    }
    let mac: number;
    const a = rule.action;
    switch (a.kind) {
      case ActionKind.Tell: {
        const cid = this.cache.lookupId(meta, tgt[0]!, tgt[1]!, tgt[2]!, tgt[3]!);
        mac = cid < 0 ? -1 : this.cache.macOf(cid);
        if (mac < 0) return this.finish(d, Verdict.Silent, Reason.UnknownTarget, ri);
        break;
      }
      case ActionKind.Redirect: {
        if (a.via.family !== Family.V6) return this.finish(d, Verdict.Silent, Reason.UnknownTarget, ri);
        const v = a.via.v6;
        const cid = this.cache.lookupId(meta, v[0]!, v[1]!, v[2]!, v[3]!);
        mac = cid < 0 ? -1 : this.cache.macOf(cid);
        if (mac < 0) {
          const r = this.queueRedirect(st, f, meta, v[0]!, v[1]!, v[2]!, v[3]!, ri, now, ourMac);
          return this.finish(d, Verdict.Silent, r, ri);
        }
        break;
      }
      case ActionKind.Mac:
        mac = a.mac;
        break;
      case ActionKind.Self:
        mac = ourMac;
        break;
      case ActionKind.Route: {
        const out = this.env.routeInterface(Family.V6, tgt, st.index);
        if (out === undefined) return this.finish(d, Verdict.Silent, Reason.NoRoute, ri);
        if (out === st.cfg.name) return this.finish(d, Verdict.Silent, Reason.RouteSameInterface, ri);
        mac = ourMac;
        break;
      }
      case ActionKind.Template:
        mac = templateMac(a.template, (tgt[2]! & 0xffff) * TWO32 + tgt[3]!);
        break;
      default:
        return this.finish(d, Verdict.Silent, Reason.Ignore, ri);
    }
    this.answer = mac;
    return this.answerNd(f, st, dad, Reason.Rule, ri);
  }

  private answerNd(f: FrameView, st: IfState, dad: boolean, reason: Reason, ri: number): Decision {
    const d = this.decision;
    const mac = this.answer;
    if (mac === f.ethSrc || mac === f.sourceLinkAddr) return this.finish(d, Verdict.Silent, Reason.SelfRequest, ri);
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
    return this.finish(d, Verdict.Answer, reason, ri);
  }

  /** Queues the answer until the redirect router's MAC is known; starts resolving it. */
  private queueRedirect(
    st: IfState, f: FrameView, meta: number, a0: number, a1: number, a2: number, a3: number, ri: number, now: number, ourMac: Mac,
  ): Reason {
    const p = this.pending;
    const i = p.reserve();
    if (i < 0) return Reason.QueueFull;
    const o = i * 5;
    p.viaKey[o] = meta;
    p.viaKey[o + 1] = a0;
    p.viaKey[o + 2] = a1;
    p.viaKey[o + 3] = a2;
    p.viaKey[o + 4] = a3;
    const q = i * 4;
    if (metaIsV6(meta)) {
      p.requesterMac[i] = f.sourceLinkAddr !== -1 ? f.sourceLinkAddr : f.ethSrc;
      p.requesterIp.set(f.ip6Src, q);
      p.target.set(f.target, q);
    } else {
      p.requesterMac[i] = f.senderMac;
      p.requesterIp.fill(0, q, q + 4);
      p.requesterIp[q + 3] = f.senderIp;
      p.target.fill(0, q, q + 4);
      p.target[q + 3] = f.targetIp;
    }
    p.deadline[i] = now + st.cfg.timeout;
    p.slot[i] = st.slot;
    p.vlan[i] = f.vlan;
    p.rule[i] = ri;
    p.commit(i);
    // A stale (expired, not yet swept) entry would block resolution: drop it.
    const id = this.cache.find(meta, a0, a1, a2, a3);
    if (id >= 0 && this.cache.isStale(id, now)) this.cache.remove(id);
    if (this.cache.startResolve(meta, a0, a1, a2, a3, now) >= 0) this.sendQuery(st.index, f.vlan, meta, a0, a1, a2, a3, -1, ourMac);
    return Reason.Resolving;
  }

  /** Learns key -> this.learnMac at this.now (fields, not arguments: see `now`). */
  private learn(meta: number, a0: number, a1: number, a2: number, a3: number): void {
    const mac = this.learnMac;
    const now = this.now;
    if (this.cache.learn(meta, a0, a1, a2, a3, mac, now) < 0) return;
    // Pending answers only ever wait for entries we were resolving or probing.
    if (this.pending.count > 0 && this.cache.learnedAwaited) this.flushPending(meta, a0, a1, a2, a3, mac, now);
  }

  /** Sends the answers that waited for this router's MAC. */
  private flushPending(meta: number, a0: number, a1: number, a2: number, a3: number, mac: Mac, now: number): void {
    const p = this.pending;
    for (let i = 0; i < p.capacity && p.count > 0; i++) {
      if (!p.waitsFor(i, meta, a0, a1, a2, a3)) continue;
      p.release(i);
      if (p.deadline[i]! < now) {
        p.expired++;
        continue;
      }
      const ifIndex = this.ifIndexOfSlot[p.slot[i]!] ?? -1;
      const st = ifIndex >= 0 ? this.ifs[ifIndex] : undefined;
      if (!st) continue;
      const dst = p.requesterMac[i]!;
      if (dst === mac) continue; // never tell a host its own MAC for another address
      p.answered++;
      this.answers++;
      const q = i * 4;
      if (metaIsV6(meta)) {
        const dip = this.scratch6;
        const tgt = this.scratch6b;
        for (let w = 0; w < 4; w++) {
          dip[w] = p.requesterIp[q + w]!;
          tgt[w] = p.target[q + w]!;
        }
        const nd = st.cfg.nd;
        let flags = (nd.router ? NA_FLAG_ROUTER : 0) | (nd.override ? NA_FLAG_OVERRIDE : 0);
        if (isUnspecified6(dip)) {
          dip.set(ALL_NODES);
          this.output.neighborAdvertisement(ifIndex, p.vlan[i]!, ALL_NODES_MAC, dip, tgt, mac, flags);
        } else {
          flags |= NA_FLAG_SOLICITED;
          this.output.neighborAdvertisement(ifIndex, p.vlan[i]!, dst, dip, tgt, mac, flags);
        }
      } else {
        this.output.arpReply(ifIndex, p.vlan[i]!, dst, p.requesterIp[q + 3]!, mac, p.target[q + 3]!);
      }
    }
  }

  private sendQuery(ifIndex: number, vlan: number, meta: number, a0: number, a1: number, a2: number, a3: number, dstMac: number, ourMac: Mac): void {
    if (metaIsV6(meta)) {
      const t = this.scratch6;
      t[0] = a0;
      t[1] = a1;
      t[2] = a2;
      t[3] = a3;
      const src = this.scratch6b;
      if (!this.env.sourceIp6(ifIndex, src)) src.fill(0);
      this.output.neighborSolicitation(ifIndex, vlan, src, t, dstMac < 0 ? -1 : dstMac);
    } else {
      this.output.arpRequest(ifIndex, vlan, ourMac, this.env.sourceIp4(ifIndex), a3, dstMac < 0 ? BROADCAST_MAC : dstMac);
    }
  }

  /** CacheTimerSink: a refresh probe (unicast) or a resolution retry (mac -1). */
  cacheProbe(cache: NeighborCache, id: number, mac: number): void {
    const w0 = cache.key(id, 0);
    const ifIndex = this.ifIndexOfSlot[metaSlot(w0)] ?? -1;
    const st = ifIndex >= 0 ? this.ifs[ifIndex] : undefined;
    if (!st) return;
    const ourMac = st.cfg.mac ?? this.env.interfaceMac(ifIndex);
    this.sendQuery(ifIndex, metaVlan(w0), w0, cache.key(id, 1), cache.key(id, 2), cache.key(id, 3), cache.key(id, 4), mac, ourMac);
  }

  /** Runs timers: cache refresh/expiry/resolution retries, pending-answer expiry, announcements. */
  tick(now: number): void {
    this.cache.tick(now, this);
    const p = this.pending;
    if (p.count > 0) {
      for (let i = 0; i < p.capacity; i++) {
        if (p.used[i] && p.deadline[i]! < now) {
          p.release(i);
          p.expired++;
        }
      }
    }
    this.runAnnouncements(now);
  }

  /** `ri`: index of the deciding rule in the frame's interface, -1 when none. */
  private finish(d: Decision, verdict: Verdict, reason: Reason, ri: number): Decision {
    d.verdict = verdict;
    d.reason = reason;
    this.reasonCounts[reason]!++;
    if (verdict === Verdict.Answer) this.answers++;
    if (ri >= 0 && this.logger) {
      const st = this.ifs[d.ifIndex]!;
      if ((st.ruleInfo[RI_WORDS * ri + 1]! & RI_VERBOSE) !== 0) this.logDecision(d, st.rules[ri]!);
    }
    return d;
  }

  private logDecision(d: Decision, rule: Rule): void {
    // Only reached for `verbose` rules: strings are built here and nowhere else.
    const st = this.ifs[d.ifIndex]!;
    const f = this.frame!;
    const v4 = d.family === 4;
    this.logger!.info(
      {
        interface: st.cfg.name,
        vlan: d.vlan,
        family: d.family,
        source: v4 ? formatIp4(f.senderIp) : formatIp6(f.ip6Src),
        target: v4 ? formatIp4(f.targetIp) : formatIp6(f.target),
        line: rule.pos.line,
        action: rule.action.kind,
        verdict: d.verdict === Verdict.Answer ? 'answer' : d.verdict === Verdict.Silent ? 'silent' : 'drop',
        reason: REASON_NAMES[d.reason],
        mac: d.verdict === Verdict.Answer ? formatMac(d.answerMac) : undefined,
      },
      'decision',
    );
  }

  // ------------------------------------------------------------------ introspection

  stats(): PolicyStats {
    const reasons: Record<string, number> = {};
    for (let r = 0; r < REASON_COUNT; r++) reasons[REASON_NAMES[r]!] = this.reasonCounts[r]!;
    const c = this.cache;
    const p = this.pending;
    return {
      reasons,
      answers: this.answers,
      cache: {
        size: c.size,
        capacity: c.capacity,
        learned: c.learned,
        updated: c.updated,
        refreshed: c.refreshed,
        evictions: c.evictions,
        expired: c.expired,
        refreshFailures: c.refreshFailures,
        refreshProbes: c.refreshProbes,
        resolutions: c.resolutions,
        resolveFailures: c.resolveFailures,
        bytes: c.bytes(),
      },
      pending: { waiting: p.count, queued: p.queued, answered: p.answered, expired: p.expired, refused: p.refused },
      delay: { capacity: this.delays.capacity, evictions: this.delays.evictions },
      statics: { size: this.statics.size, announcements: this.announcements },
      rules: this.ifs.map((s) => ({
        interface: s.cfg.name,
        v4: s.m4.rules,
        v6: s.m6.rules,
        v4Groups: s.m4.groups,
        v6Groups: s.m6.groups,
      })),
    };
  }

  /** Interface name of a cache slot (slots are stable per name across reloads). */
  /** Cache slot of every interface name this policy has seen; slots survive reloads (metrics). */
  cacheSlots(): ReadonlyMap<string, number> {
    return this.slotByName;
  }

  slotName(slot: number): string | undefined {
    for (const [name, s] of this.slotByName) if (s === slot) return name;
    return undefined;
  }

  /** Every cache entry as plain objects, most recently used first (control socket; allocates). */
  dumpCache(now: number): CacheEntryInfo[] {
    const c = this.cache;
    const out: CacheEntryInfo[] = [];
    const states = ['free', 'fresh', 'probing', 'incomplete'];
    c.forEach((id) => {
      const w0 = c.key(id, 0);
      const v6 = metaIsV6(w0);
      const mac = c.macOf(id);
      const a = new Uint32Array([c.key(id, 1), c.key(id, 2), c.key(id, 3), c.key(id, 4)]);
      out.push({
        interface: this.slotName(metaSlot(w0)) ?? `#${metaSlot(w0)}`,
        vlan: metaVlan(w0),
        family: v6 ? 6 : 4,
        address: v6 ? formatIp6(a) : formatIp4(a[3]!),
        mac: mac < 0 ? null : formatMac(mac),
        state: c.isStale(id, now) ? 'stale' : states[c.stateOf(id)]!,
      });
    });
    return out;
  }

  /** Learned MAC for an address on an interface and VLAN (control socket, tests); -1 when unknown. */
  lookup(ifIndex: number, vlan: number, address: IpAddress, now: number): Mac | -1 {
    const st = this.ifs[ifIndex];
    if (!st) return -1;
    if (address.family === Family.V4) return this.cache.lookup(metaWord(false, st.slot, vlan), 0, 0, 0, address.v4, now);
    const v = address.v6;
    return this.cache.lookup(metaWord(true, st.slot, vlan), v[0]!, v[1]!, v[2]!, v[3]!, now);
  }
}

function contains6(list: Ip6[], a: Ip6): boolean {
  for (let i = 0; i < list.length; i++) if (ip6Equal(list[i]!, a)) return true;
  return false;
}
