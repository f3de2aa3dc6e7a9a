import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pow2AtLeast } from '../../src/net/pow2';

test('pow2AtLeast: smallest power of two >= max(n, min)', () => {
  const cases: [number, number | undefined, number][] = [
    [0, undefined, 1], [1, undefined, 1], [2, undefined, 2], [3, undefined, 4], [1025, undefined, 2048],
    [3, 8, 8], [8, 8, 8], [9, 8, 16], [5, 4, 8], [0, 4, 4], [2 ** 20 + 1, 8, 2 ** 21],
  ];
  for (const [n, min, want] of cases) assert.equal(min === undefined ? pow2AtLeast(n) : pow2AtLeast(n, min), want, `pow2AtLeast(${n}, ${min})`);
});
