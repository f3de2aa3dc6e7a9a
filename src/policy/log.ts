// The decision log: one structured line per decision, written from here only. Every
// decision goes out at `debug` with its reason and the rule that decided (none for
// `no_rule`, `static`, `own_address`, ...); a `verbose` rule's decisions at `info`. The
// levels are read once (construction, reload), so with debug off the hot path tests one
// boolean and builds nothing.
import { formatIp4, formatIp6, formatMac } from '../net/addr';
import type { FrameView } from '../wire/view';
import { type Decision, REASON_NAMES, Verdict } from './decision';
import type { PolicyLogger } from './types';

/** One logged decision (the fields of the line). */
export interface DecisionRecord {
  interface: string;
  vlan: number;
  /** 4 (ARP), 6 (ND), 0 (neither: an invalid frame). */
  family: number;
  /** The requester's (sender's) address. */
  source: string | undefined;
  target: string | undefined;
  /** Line of the deciding rule; absent when no rule decided. */
  line: number | undefined;
  action: string | undefined;
  verdict: 'answer' | 'silent' | 'drop';
  reason: string;
  /** The MAC answered; absent unless answered. */
  mac: string | undefined;
}

const VERDICT_NAMES = ['silent', 'answer', 'drop'] as const;

export class DecisionLog {
  /** Every decision is written (the logger is at debug or below). */
  debug = false;
  /** `verbose` rules' decisions are written (the logger is at info or below). */
  info = false;

  constructor(private readonly logger: PolicyLogger | undefined) {
    this.refresh();
  }

  /** Re-reads the logger's levels (call after changing them; the policy calls it on reload). */
  refresh(): void {
    const l = this.logger;
    const enabled = (level: string, dflt: boolean) => (l?.isLevelEnabled ? l.isLevelEnabled(level) : dflt);
    this.info = l !== undefined && enabled('info', true);
    this.debug = l !== undefined && typeof l.debug === 'function' && enabled('debug', false);
  }

  /** Writes an event that is not a decision (an address conflict) at info, when info is on. */
  event(obj: object, msg: string): void {
    if (this.info) this.logger!.info(obj, msg);
  }

  /**
   * Writes decision `d` about frame `f` on interface `ifName`: at info when `verbose` (and
   * info is on), else at debug (when on). Only called when one of them is on.
   */
  write(d: Decision, f: FrameView, ifName: string, verbose: boolean): void {
    const rec = record(d, f, ifName);
    if (verbose && this.info) this.logger!.info(rec, 'decision');
    else if (this.debug) this.logger!.debug!(rec, 'decision');
  }
}

/** The line for decision `d` (allocates: only reached when the line is written). */
export function record(d: Decision, f: FrameView, ifName: string): DecisionRecord {
  const v4 = d.family === 4;
  const v6 = d.family === 6;
  const ruled = d.ruleIndex >= 0;
  const answered = d.verdict === Verdict.Answer;
  return {
    interface: ifName,
    vlan: d.vlan,
    family: d.family,
    source: v4 ? formatIp4(f.senderIp) : v6 ? formatIp6(f.ip6Src) : undefined,
    target: v4 ? formatIp4(f.targetIp) : v6 ? formatIp6(f.target) : undefined,
    line: ruled ? d.ruleLine : undefined,
    action: ruled ? (d.action ?? undefined) : undefined,
    verdict: VERDICT_NAMES[d.verdict],
    reason: REASON_NAMES[d.reason]!,
    mac: answered ? formatMac(d.answerMac) : undefined,
  };
}
