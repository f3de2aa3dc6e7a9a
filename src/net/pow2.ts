// Power-of-two sizes for the typed-array tables (hash sets, set-associative caches):
// a power-of-two capacity turns `hash % size` into `hash & (size - 1)`.

/** The smallest power of two that is >= max(n, min) (1 when both are <= 1). */
export function pow2AtLeast(n: number, min = 1): number {
  const want = Math.max(n, min);
  let p = 1;
  while (p < want) p *= 2;
  return p;
}
