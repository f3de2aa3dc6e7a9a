// Where unanswered requests were lost (issue 11), one split shared by `ctl show stats`,
// the metrics (same counters, metrics.ts) and the benches:
//   kernelRingDrop  the RX ring was full: the kernel dropped the frame before we saw it
//                   (PACKET_STATISTICS; per interface, the kernel does not tell families apart)
//   txRingFull      the policy answered but no TX slot was free
//   unanswered      the policy did not answer, by reason (no_rule, delayed, own_address, ...)
//   sendErrors      sendto() calls the kernel refused (the frames stay queued and leave
//                   with the next send, so this counts calls, not frames)
import { REASON_COUNT, REASON_NAMES } from '../policy/decision';
import { FAMILY_NAMES, type InterfaceStats } from '../pipeline/stats';

export interface LossSplit {
  kernelRingDrop: number;
  txRingFull: Record<string, number>;
  unanswered: Record<string, Record<string, number>>;
  sendErrors: number;
}

export function lossSplit(s: InterfaceStats): LossSplit {
  const ring = s.ring();
  const unanswered: Record<string, Record<string, number>> = {};
  const txRingFull: Record<string, number> = {};
  for (let f = 0; f < 2; f++) {
    const byReason: Record<string, number> = {};
    for (let r = 0; r < REASON_COUNT; r++) {
      const v = s.unansweredByReason[f * REASON_COUNT + r]!;
      if (v > 0) byReason[REASON_NAMES[r]!] = v;
    }
    unanswered[FAMILY_NAMES[f]!] = byReason;
    txRingFull[FAMILY_NAMES[f]!] = s.answerTxFull[f]!;
  }
  return { kernelRingDrop: ring.kernelDrops, txRingFull, unanswered, sendErrors: ring.txErrors };
}
