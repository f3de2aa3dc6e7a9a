// Small statistics for the pps bench: percentiles, medians, ratios.
// Inputs are plain number arrays or typed arrays; nothing here is on a hot path.

/**
 * The p-th percentile (0..100) by the nearest-rank method on data sorted ascending:
 * the smallest value such that at least p% of the samples are <= it. NaN when empty.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  // The epsilon keeps float error (99.9 / 100 * 1000 = 999.0000000000001) from skipping a rank.
  const rank = Math.max(1, Math.ceil((p * n) / 100 - 1e-9));
  return sorted[rank - 1]!;
}

/** Sorts a copy (numbers ascending) and returns the requested percentiles. */
export function percentiles(samples: ArrayLike<number>, ps: readonly number[]): number[] {
  const sorted = Float64Array.from(samples as ArrayLike<number>).sort();
  return ps.map((p) => percentileSorted(sorted, p));
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** a / b, or NaN when either is not a positive finite number. */
export function ratio(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return NaN;
  return a / b;
}

/** Latency summary in microseconds from samples in nanoseconds. */
export interface LatencySummary {
  samples: number;
  p50us: number;
  p99us: number;
  p999us: number;
  maxus: number;
}

export function summarizeLatencyNs(samplesNs: ArrayLike<number>): LatencySummary {
  const [p50, p99, p999, max] = percentiles(samplesNs, [50, 99, 99.9, 100]);
  return {
    samples: samplesNs.length,
    p50us: p50! / 1000,
    p99us: p99! / 1000,
    p999us: p999! / 1000,
    maxus: max! / 1000,
  };
}
