/**
 * The smallest power of two that is >= max(n, min): table sizes that index with `& (size - 1)`.
 * A `min` that is not a power of two rounds up too (pow2AtLeast(0, 3) is 4).
 */
export function pow2AtLeast(n: number, min = 1): number {
  const want = Math.max(n, min);
  let p = 1;
  while (p < want) p *= 2;
  return p;
}
