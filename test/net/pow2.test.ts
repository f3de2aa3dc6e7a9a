// pow2AtLeast: the smallest power of two >= max(n, min), against a definition by search.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pow2AtLeast } from '../../src/net/pow2';

test('pow2AtLeast: exact powers stay, others round up, min is a floor', () => {
  assert.equal(pow2AtLeast(0), 1);
  assert.equal(pow2AtLeast(1), 1);
  assert.equal(pow2AtLeast(2), 2);
  assert.equal(pow2AtLeast(3), 4);
  assert.equal(pow2AtLeast(1000), 1024);
  assert.equal(pow2AtLeast(1024), 1024);
  assert.equal(pow2AtLeast(1025), 2048);
  assert.equal(pow2AtLeast(5, 8), 8);
  assert.equal(pow2AtLeast(9, 8), 16);
  assert.equal(pow2AtLeast(0, 3), 4);
  assert.equal(pow2AtLeast(2 ** 31 + 1), 2 ** 32);
});

test('pow2AtLeast is a power of two, >= both bounds, and the smallest such', () => {
  fc.assert(fc.property(fc.integer({ min: -10, max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 20 }), (n, min) => {
    const p = pow2AtLeast(n, min);
    const k = Math.log2(p);
    return Number.isInteger(k) && p >= n && p >= min && (p === 1 || p / 2 < Math.max(n, min));
  }), { numRuns: 5000 });
});
