// Per-interface counters of the batch loop. The pipeline (and its TX glue, output.ts) is
// their only writer; the daemon's exporter (src/daemon/metrics.ts) and `ctl show stats`
// only read them. Every cell is a typed-array slot, so a frame costs no allocation.
// Facts another layer owns are not copied here: the ring's counters (TX ring full, kernel
// drops, ...) are read from the engine through `ringCounters`.
import type { RingCounters } from '../engine/types';
import { REASON_COUNT } from '../policy/decision';
import { ReplyAction, REPLY_ACTION_NAMES } from '../policy/reply';

export const FAMILY_V4 = 0;
export const FAMILY_V6 = 1;
export const FAMILY_NAMES = ['ipv4', 'ipv6'] as const;

// What an answer was, for `neighproxy_replies_total{action}`: the policy names the
// reply actions (src/policy/reply.ts) and sets Decision.replyAction; counted here.
export { ReplyAction } from '../policy/reply';
/** Label of each ReplyAction, in ReplyAction order. */
export const REPLY_ACTIONS = REPLY_ACTION_NAMES;
export const REPLY_OTHER = ReplyAction.Other;

/** Decision time histogram bounds, seconds. */
export const DECISION_BUCKETS = [1e-6, 2e-6, 5e-6, 10e-6, 20e-6, 50e-6, 100e-6, 250e-6, 1e-3, 10e-3];
/** Histogram cells per family: the bounds plus +Inf. */
export const DECISION_CELLS = DECISION_BUCKETS.length + 1;

/** Size of the per-interface drop table; codes at or above it count in the last slot. */
export const MAX_DROP_CODES = 64;

/** Counters of one interface. Kept across reloads and ring reopenings: they never go back. */
export class InterfaceStats {
  readonly requests = new Float64Array(2);
  /** [family * REPLY_ACTIONS.length + ReplyAction] */
  readonly replies = new Float64Array(2 * REPLY_ACTIONS.length);
  /** Requests a policy decided not to answer (ignore, unknown target, delay not yet due). */
  readonly unanswered = new Float64Array(2);
  /** Answers sent after a `delay` window or a wait for a redirect target's MAC. */
  readonly delayedAnswered = new Float64Array(2);
  /** Frames the wire parser rejected, by drop code. */
  readonly drops = new Float64Array(MAX_DROP_CODES);
  /** Requests not answered, by the decision's reason: [family * REASON_COUNT + reason] (silent and dropped verdicts). */
  readonly unansweredByReason = new Float64Array(2 * REASON_COUNT);
  /** Requests the policy answered whose reply found the TX ring full, per family (the ring counts the frames). */
  readonly answerTxFull = new Float64Array(2);
  /** [family * DECISION_CELLS + bucket], plus sums per family. */
  readonly decisionBuckets = new Float64Array(2 * DECISION_CELLS);
  readonly decisionSum = new Float64Array(2);
  /** Ring counters accumulated over closed rings, so reopening never resets a series. */
  readonly ringBase: RingCounters = emptyRingCounters();
  /** The open ring's counters (owned by the engine), or null while the interface has no ring. */
  ringCounters: (() => RingCounters) | null = null;

  constructor(readonly name: string) {}

  /** Hot path: `n` observations (default 1) of a decision's duration in seconds. */
  observeDecision(family: number, seconds: number, n = 1): void {
    let b = 0;
    while (b < DECISION_BUCKETS.length && seconds > DECISION_BUCKETS[b]!) b++;
    this.decisionBuckets[family * DECISION_CELLS + b]! += n;
    this.decisionSum[family]! += seconds * n;
  }

  countDrop(code: number): void {
    this.drops[code < MAX_DROP_CODES ? code : MAX_DROP_CODES - 1]!++;
  }

  /** Hot path: one answer sent, by family and ReplyAction. */
  countReply(family: number, action: ReplyAction): void {
    this.replies[family * REPLY_ACTIONS.length + action]!++;
  }

  /** Current ring counters including those of rings closed before. */
  ring(): RingCounters {
    const now = this.ringCounters?.() ?? emptyRingCounters();
    const out = emptyRingCounters();
    for (const k of Object.keys(out) as (keyof RingCounters)[]) out[k] = (this.ringBase[k] ?? 0) + (now[k] ?? 0);
    return out;
  }

  /** Called when the ring closes: its counters fold into the base. */
  retireRing(): void {
    if (!this.ringCounters) return;
    const last = this.ringCounters();
    for (const k of Object.keys(last) as (keyof RingCounters)[]) this.ringBase[k] = (this.ringBase[k] ?? 0) + (last[k] ?? 0);
    this.ringCounters = null;
  }
}

export function emptyRingCounters(): RingCounters {
  return { framesReceived: 0, batches: 0, repliesSent: 0, txRingFull: 0, kernelDrops: 0, kernelFreezes: 0, kernelPackets: 0, txErrors: 0, socketErrors: 0, pacedWaits: 0 };
}
