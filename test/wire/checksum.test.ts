// fold16 against a BigInt reference, and the identity the hot path relies on: adding whole
// 32-bit big-endian words gives the same folded checksum as adding their 16-bit halves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fold16, sum16 } from '../../src/wire/checksum';

function refFold(acc: number): number {
  let x = BigInt(acc);
  while (x > 0xffffn) x = (x & 0xffffn) + (x >> 16n);
  return Number(x);
}

test('fold16 equals end-around-carry folding for every integer below 2^53', () => {
  for (const a of [0, 1, 0xffff, 0x10000, 0x1fffe, 2 ** 32 - 1, 2 ** 32, 2 ** 37 + 0xffff, 2 ** 46, 2 ** 48 - 1, 2 ** 53 - 1]) {
    assert.equal(fold16(a), refFold(a), `fold16(${a})`);
  }
  fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (a) => fold16(a) === refFold(a)), { numRuns: 20000 });
});

test('32-bit word sums fold to the same checksum as 16-bit word sums', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 512 }).map((b) => b.subarray(0, b.length & ~3)), (b) => {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let acc32 = 0;
    for (let o = 0; o < b.length; o += 4) acc32 += dv.getUint32(o);
    return fold16(acc32) === fold16(sum16(b, 0, b.length, 0));
  }), { numRuns: 2000 });
});
