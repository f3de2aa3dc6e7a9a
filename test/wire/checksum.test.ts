// fold16 against a BigInt reference, and the identity the hot path relies on: adding whole
// 32-bit big-endian words gives the same folded checksum as adding their 16-bit halves.
// Then the two ICMPv6 checksums against each other: the parser's word-wise ndChecksumOk
// (fold16 over 32-bit words it already read) and checksum.ts's byte-wise icmp6ChecksumOk /
// writeIcmp6Checksum, on NS and NA with bytes changed anywhere the checksum covers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { VLAN_NONE } from '../../src/engine/types';
import { DropReason, FrameKind, FrameView, parseFrame } from '../../src/wire';
import { fold16, icmp6ChecksumOk, sum16, writeIcmp6Checksum } from '../../src/wire/checksum';
import { dadFrame, naFrame, nsFrame, type Built } from './fixtures/arb';

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

/** Byte offsets the ICMPv6 checksum covers without changing what else the parser checks. */
function coveredOffsets(f: Built): number[] {
  const ip = f.l3;
  const q = ip + 40;
  const out: number[] = [];
  for (let o = ip + 9; o < ip + 40; o++) out.push(o); // addresses (not the first byte of the source: multicast)
  out.push(q + 2, q + 3, q + 5, q + 6, q + 7); // checksum field, reserved bytes
  for (let o = q + 9; o < q + 24; o++) out.push(o); // target (not its first byte: multicast)
  for (let o = q + 26; o < f.bytes.length; o++) out.push(o); // option payloads (lengths stay)
  return out;
}

test('parser (word-wise) and checksum.ts (byte-wise) agree on every changed NS/NA', () => {
  let bad = 0;
  let good = 0;
  fc.assert(fc.property(fc.oneof(nsFrame, dadFrame, naFrame), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (f, pick, xor, repair) => {
    const b = f.bytes.slice();
    const at = coveredOffsets(f);
    b[at[pick % at.length]!]! ^= xor;
    const plen = (b[f.l3 + 4]! << 8) | b[f.l3 + 5]!;
    if (repair) writeIcmp6Checksum(b, f.l3, f.l3 + 40, plen);
    const v = new FrameView();
    const kind = parseFrame(b, 0, b.length, VLAN_NONE, v);
    const checksumDrop = v.drop === DropReason.NsChecksum || v.drop === DropReason.NaChecksum;
    // A change may also make the frame invalid for other reasons (a DAD probe's source, a
    // solicited NA to a multicast group...); those say nothing about the checksum.
    if (kind === FrameKind.None && !checksumDrop) return;
    const ok = icmp6ChecksumOk(b, f.l3, f.l3 + 40, plen);
    assert.equal(kind !== FrameKind.None, ok, `parser and icmp6ChecksumOk disagree (drop ${v.drop})`);
    assert.equal(ok, repair, repair ? 'writeIcmp6Checksum repairs' : 'one changed byte breaks the checksum');
    if (ok) good++;
    else bad++;
  }), { numRuns: 3000 });
  assert.ok(good > 500 && bad > 500, `both outcomes exercised (${good} good, ${bad} bad)`);
});
