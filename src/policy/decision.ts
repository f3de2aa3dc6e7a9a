// The verdict on the frame in hand. One Decision object is reused for every frame:
// the policy overwrites all of its fields in `handle()`, so reading it allocates nothing.
import { newIp6, type Ip6, type Mac } from '../net/addr';
import type { ActionKind } from '../config/types';
import { ReplyAction } from './reply';

export const enum Verdict {
  /** Not answered on purpose (no rule, ignore, probe, delayed, ...). */
  Silent = 0,
  /** Answer now: build an ARP reply or NA from the frame and this decision. */
  Answer = 1,
  /** Not ours to look at (invalid, our own frame, wrong VLAN, unknown interface). */
  Drop = 2,
}

/**
 * Why the policy decided what it did. Numbers are stable (they index `Policy.stats.reasons`);
 * names in REASON_NAMES are the `reason` field of the decision log and the metrics label.
 */
export const enum Reason {
  /** Answered by a rule. */
  Rule = 0,
  /** Answered from a static entry. */
  Static = 1,
  /** No rule matched source and target. */
  NoRule = 2,
  /** The matching rule says `ignore`. */
  Ignore = 3,
  /** The target is one of this interface's own addresses: the kernel answers. */
  OwnAddress = 4,
  /** The requester asks for its own address, or the answer would be its own MAC. */
  SelfRequest = 5,
  /** ARP probe (sender 0.0.0.0), announcement or DAD without a rule allowing it. */
  Probe = 6,
  /** `delay` rule: not yet the N-th request within the window. */
  Delayed = 7,
  /** `tell`: the target's MAC has not been learned. */
  UnknownTarget = 8,
  /** Redirect: the router's MAC is being resolved; the answer is queued. */
  Resolving = 9,
  /** ND: the solicitation does not come from a listed uplink router. */
  NotUplink = 10,
  /** ND: the target is in the exception list. */
  Exception = 11,
  /** `route`: the kernel routes the target out of the requester's own interface. */
  RouteSameInterface = 12,
  /** `route`: the kernel has no route for the target. */
  NoRoute = 13,
  /** A frame we sent (Ethernet source is our MAC). */
  OwnFrame = 14,
  /** Invalid frame (wire parser drop code) or not ARP/ND. */
  Invalid = 15,
  /** VLAN not handled on this interface. */
  Vlan = 16,
  /** A reply/advertisement: only learned from, never answered. */
  NotRequest = 17,
  /** Redirect: the pending-answer queue is full. */
  QueueFull = 18,
  /** Interface index not in the configuration. */
  UnknownInterface = 19,
  /** `probe`: the target is being asked for on the probed interface; the answer is queued. */
  Probing = 20,
  /** `probe`: the target did not answer a probe within its `absent` seconds. */
  ProbeAbsent = 21,
  /** `probe`: the probed interface's probe rate limit is spent. */
  ProbeLimited = 22,
  /** Would have been answered, but this box is the standby of an HA pair (src/daemon/ha.ts). */
  Standby = 23,
  /** A per-source or per-interface limit (limiter.ts): the requester's or the interface's bucket is empty. */
  RateLimited = 24,
}

export const REASON_COUNT = 25;

/** Stable names, indexed by Reason. */
export const REASON_NAMES: readonly string[] = [
  'rule',
  'static',
  'no_rule',
  'ignore',
  'own_address',
  'self_request',
  'probe',
  'delayed',
  'unknown_target',
  'resolving',
  'not_uplink',
  'exception',
  'route_same_interface',
  'no_route',
  'own_frame',
  'invalid',
  'vlan',
  'not_request',
  'queue_full',
  'unknown_interface',
  'probing',
  'probe_absent',
  'probe_limited',
  'standby',
  'rate_limited',
];

export class Decision {
  verdict: Verdict = Verdict.Drop;
  reason: Reason = Reason.Invalid;
  /** Index of the interface in config.interfaces. */
  ifIndex = -1;
  /** VLAN of the frame (-1 untagged); the answer goes out on the same VLAN. */
  vlan = -1;
  /** 4 (ARP) or 6 (ND); 0 when the frame was not ARP/ND. */
  family = 0;
  /** MAC to put in the ARP sender hardware address / NA target link-layer option. */
  answerMac: Mac = 0;
  /** Ethernet destination of the answer (the requester, or 33:33:00:00:00:01 for DAD defence). */
  dstMac: Mac = 0;
  /** ND only: IPv6 destination of the NA (requester's address, or ff02::1 for DAD). */
  readonly dstIp6: Ip6 = newIp6();
  /** ND only: NA flags (NA_FLAG_ROUTER | NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE). */
  naFlags = 0;
  /** ND only: true when the NA goes to ff02::1 (DAD defence, S=0). */
  toAllNodes = false;
  /** Index of the deciding rule in the interface's `rules`, -1 when none. */
  ruleIndex = -1;
  /** Line of that rule in the configuration file, 0 when none. */
  ruleLine = 0;
  /** The deciding rule's action kind, or null. */
  action: ActionKind | null = null;
  /** What the answer was (metrics `action` label): set on every answer, Other otherwise. */
  replyAction: ReplyAction = ReplyAction.Other;

  reset(): void {
    this.verdict = Verdict.Drop;
    this.reason = Reason.Invalid;
    this.ifIndex = -1;
    this.vlan = -1;
    this.family = 0;
    this.answerMac = 0;
    this.dstMac = 0;
    this.naFlags = 0;
    this.toAllNodes = false;
    this.ruleIndex = -1;
    this.ruleLine = 0;
    this.action = null;
    this.replyAction = ReplyAction.Other;
  }
}
