// The action resolver: what a matched rule answers, for ARP and ND alike. Given the rule
// (by index into the interface's rule table), it applies `ignore` and `delay` and turns
// the action into a MAC, or into the reason there is no answer. One switch for both
// families; the address words come from the frame as int32 locals.
import { Family, type IpAddress, type Mac } from '../net/addr';
import { ActionKind, type Config, type MacTemplate } from '../config/types';
import type { FrameView } from '../wire/view';
import { metaIsV6 } from './addrtable';
import type { NeighborCache } from './cache';
import { Reason } from './decision';
import { DelayTable } from './delay';
import { KindIndex, RuleFlag, RuleWord, type IfState } from './interfaces';
import type { ProbeQueue } from './probe';
import type { RedirectQueue } from './redirect';
import type { PolicyEnvironment } from './types';

const TWO32 = 0x100000000;

/** Derives the MAC of a `template` action: the template's base with its low bytes from the address. */
export function templateMac(t: MacTemplate, low48: number): Mac {
  const mod = 2 ** (8 * t.addressBytes);
  return t.base - (t.base % mod) + (low48 % mod);
}

/**
 * Per-frame values the decision steps share, passed as an argument (one reused object:
 * a double in a field stays unboxed, a double passed to a call that is not inlined is a
 * heap allocation).
 */
export class FrameContext {
  /** The decision time, seconds. */
  now = 0.5;
  /** The MAC we answer `self` with: config `mac`, else the interface's. */
  ourMac = 0.5;
  /** The interface's own MAC (never learned for another host). */
  hwMac = 0.5;
}

/** The resolver's answer: the MAC, valid when `resolve` returned Reason.Rule. */
export class Resolution {
  mac = 0.5;
}

export class ActionResolver {
  readonly delays: DelayTable;
  private delayCount = 1;

  constructor(
    delayTableSize: number,
    private readonly cache: NeighborCache,
    private readonly redirects: RedirectQueue,
    private readonly env: PolicyEnvironment,
    private readonly probes: ProbeQueue,
  ) {
    this.delays = new DelayTable(delayTableSize);
  }

  /** Takes the `delay N*T` parameters of a configuration. */
  configure(config: Config): void {
    this.delayCount = config.cache.delay.count;
    this.delays.window = config.cache.delay.window;
  }

  /**
   * Resolves rule `ri` of `st` for request `f` (cache key meta word `meta`: its family
   * says ARP or ND). Returns Reason.Rule with the MAC in `out.mac`, or the reason there is
   * no answer (Ignore, Delayed, UnknownTarget, Resolving, QueueFull, NoRoute, ...).
   */
  resolve(f: FrameView, st: IfState, ri: number, meta: number, cx: FrameContext, out: Resolution): Reason {
    const info = st.ruleInfo;
    const o = RuleWord.Size * ri;
    const flags = info[o + RuleWord.Flags]!;
    const kind = flags & RuleFlag.Kind;
    if (kind === KindIndex.Ignore) return Reason.Ignore;
    if ((flags & RuleFlag.Delay) !== 0 && !this.delayDue(f, meta, cx)) return Reason.Delayed;
    // `tell` reads nothing but the rule table (the common case with many host rules);
    // the other actions read the rule object.
    if (kind === KindIndex.Tell) return this.tell(f, info, o, meta, out);
    return this.answerOf(f, st, ri, meta, cx, out);
  }

  /** `tell`: the target's learned MAC; the rule's record keeps the entry id as a hint for next time. */
  private tell(f: FrameView, info: Int32Array, o: number, meta: number, out: Resolution): Reason {
    const hint = info[o + RuleWord.Hint]!;
    let cid: number;
    // Words as int32 (`| 0`): a uint32 >= 2^31 passed to a call that is not inlined is boxed.
    if (metaIsV6(meta)) {
      const t = f.target;
      cid = this.cache.lookupIdHint(hint, meta | 0, t[0]! | 0, t[1]! | 0, t[2]! | 0, t[3]! | 0);
    } else {
      cid = this.cache.lookupIdHint(hint, meta | 0, 0, 0, 0, f.targetIp | 0);
    }
    if (cid < 0) return Reason.UnknownTarget;
    info[o + RuleWord.Hint] = cid;
    const mac = this.cache.macOf(cid);
    if (mac < 0) return Reason.UnknownTarget;
    out.mac = mac;
    return Reason.Rule;
  }

  /** Every action but ignore and tell. */
  private answerOf(f: FrameView, st: IfState, ri: number, meta: number, cx: FrameContext, out: Resolution): Reason {
    const v6 = metaIsV6(meta);
    const a = st.rules[ri]!.action;
    switch (a.kind) {
      case ActionKind.Redirect:
        return this.redirect(f, st, ri, meta, v6, a.via, cx, out);
      case ActionKind.Mac:
        out.mac = a.mac;
        return Reason.Rule;
      case ActionKind.Self:
        out.mac = cx.ourMac;
        return Reason.Rule;
      case ActionKind.Route: {
        const via = v6 ? this.env.routeInterface(Family.V6, f.target, st.index) : this.env.routeInterface(Family.V4, f.targetIp, st.index);
        if (via === undefined) return Reason.NoRoute;
        if (via === st.cfg.name) return Reason.RouteSameInterface;
        out.mac = cx.ourMac;
        return Reason.Rule;
      }
      case ActionKind.Probe: {
        const r = this.probes.resolve(f, st, ri, a.probe, v6, cx.now);
        out.mac = cx.ourMac;
        return r;
      }
      case ActionKind.Template:
        out.mac = templateMac(a.template, v6 ? (f.target[2]! & 0xffff) * TWO32 + f.target[3]! : f.targetIp);
        return Reason.Rule;
      default:
        return Reason.Ignore;
    }
  }

  /** `delay N*T`: true when this request is at least the N-th of its (source, target) pair within T. */
  private delayDue(f: FrameView, meta: number, cx: FrameContext): boolean {
    const d = this.delays;
    const v6 = metaIsV6(meta);
    // Time in a field, words as int32: doubles and uint32 >= 2^31 arguments are boxed.
    d.now = cx.now;
    const s = f.ip6Src;
    const t = f.target;
    const n = v6
      ? d.hitNow(meta | 0, s[0]! | 0, s[1]! | 0, s[2]! | 0, s[3]! | 0, t[0]! | 0, t[1]! | 0, t[2]! | 0, t[3]! | 0)
      : d.hitNow(meta | 0, 0, 0, 0, f.senderIp | 0, 0, 0, 0, f.targetIp | 0);
    return n >= this.delayCount;
  }

  /** The router's MAC when cached; else the answer is queued until it is learned. */
  private redirect(f: FrameView, st: IfState, ri: number, meta: number, v6: boolean, via: IpAddress, cx: FrameContext, out: Resolution): Reason {
    if ((via.family === Family.V6) !== v6) return Reason.UnknownTarget;
    // The router's words as int32, from the interface's table (the tables compare int32;
    // a uint32 >= 2^31 argument is boxed, and so was `via.v4` merged over its shapes).
    const w = st.viaWords;
    const o = 4 * ri;
    const v0 = w[o]!;
    const v1 = w[o + 1]!;
    const v2 = w[o + 2]!;
    const v3 = w[o + 3]!;
    const cid = this.cache.lookupId(meta, v0, v1, v2, v3);
    const mac = cid < 0 ? -1 : this.cache.macOf(cid);
    if (mac >= 0) {
      out.mac = mac;
      return Reason.Rule;
    }
    return this.redirects.queue(st, f, meta, v0, v1, v2, v3, ri, cx.now, cx.ourMac);
  }
}
