// Matches replies to requests and measures latency.
//
// The generator reports the send time of every request (txNs, non-decreasing, same
// clock as the receive timestamps: CLOCK_REALTIME); the receiver reports, per reply,
// the residue (request index modulo the cycle of distinct requests, see frames.ts) and
// its ring timestamp. A reply answers the latest request with its residue sent at or
// before it arrived (plus `slackNs`, for send times taken after the frame left).

export interface MatchResult {
  /** Distinct requests answered. */
  answered: number;
  /** Replies to a request that was already answered. */
  duplicates: number;
  /** Replies that answer no request of this load (before the first, or outside it). */
  stray: number;
  /** Per answered request, reply time minus send time, in nanoseconds (clamped at 0). */
  latencyNs: Float64Array;
}

/** Number of elements of the sorted array `a[0..n)` that are <= v. */
export function countAtOrBelow(a: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function matchReplies(
  cycle: number,
  sent: number,
  txNs: Float64Array,
  rxResidue: Int32Array,
  rxNs: Float64Array,
  rxCount: number,
  slackNs = 1e6,
): MatchResult {
  const seen = new Uint8Array(sent);
  const lat = new Float64Array(Math.min(rxCount, sent));
  let answered = 0;
  let duplicates = 0;
  let stray = 0;
  for (let k = 0; k < rxCount; k++) {
    const m = rxResidue[k]!;
    if (m < 0) continue;
    const j = countAtOrBelow(txNs, sent, rxNs[k]! + slackNs) - 1;
    if (j < 0) {
      stray++;
      continue;
    }
    const i = j - ((((j - m) % cycle) + cycle) % cycle);
    if (i < 0) {
      stray++;
      continue;
    }
    if (seen[i]) {
      duplicates++;
      continue;
    }
    seen[i] = 1;
    lat[answered++] = Math.max(0, rxNs[k]! - txNs[i]!);
  }
  return { answered, duplicates, stray, latencyNs: lat.subarray(0, answered) };
}
