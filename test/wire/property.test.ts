// Properties: build then parse gives back every field; arbitrary and mutated bytes never
// throw; and nothing at or past off+len (nor before off) can change what the parser says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VLAN_NONE } from '../../src/engine/types';
import { ip6Equal, isUnspecified6, solicitedNode6 } from '../../src/net/addr';
import {
  FrameKind, FrameView, NA_FLAG_SOLICITED, buildArpReply, buildArpRequest, buildNaReplyTo, buildNeighborAdvertisement,
  buildNeighborSolicitation, parseFrame, replyVlan,
} from '../../src/wire';
import { anyMac, arpFrame, dadFrame, ip4, naFrame, nsFrame, unicastIp6, unicastMac, vlanParam, type Built } from './fixtures/arb';

const RUNS = { numRuns: 300 };

function expectVlan(v: FrameView, vlan: number): void {
  if (vlan < 0) {
    assert.deepEqual([v.vlan, v.outerVlan], [-1, -1]);
  } else if (vlan <= 0xffff) {
    assert.deepEqual([v.vlan, v.vlanPcp, v.outerVlan], [vlan & 0xfff, vlan >>> 13, -1]);
  } else {
    assert.deepEqual([v.outerVlan, v.vlan], [Math.floor(vlan / 0x10000) & 0xfff, vlan & 0xfff]);
  }
  // The reply goes back with exactly the tags that came in.
  assert.equal(replyVlan(v), vlan);
}

test('ARP: build then parse returns every field', () => {
  fc.assert(fc.property(vlanParam, unicastMac, unicastMac, ip4, ip4, anyMac, fc.boolean(), (vlan, a, b, ipa, ipb, dst, reply) => {
    const out = new Uint8Array(80);
    const v = new FrameView();
    const n = reply ? buildArpReply(out, 3, vlan, dst, a, ipa, b, ipb) : buildArpRequest(out, 3, vlan, dst, a, ipa, ipb);
    const kind = parseFrame(out, 3, n, VLAN_NONE, v);
    assert.equal(kind, reply ? FrameKind.ArpReply : FrameKind.ArpRequest);
    expectVlan(v, vlan);
    if (reply) {
      assert.deepEqual([v.ethDst, v.ethSrc, v.senderMac, v.senderIp, v.targetMac, v.targetIp], [a, dst, b, ipb, a, ipa]);
    } else {
      assert.deepEqual([v.ethDst, v.ethSrc, v.senderMac, v.senderIp, v.targetMac, v.targetIp], [dst, a, a, ipa, 0, ipb]);
    }
  }), RUNS);
});

test('NS and NA: build then parse returns every field, checksum verifies', () => {
  fc.assert(fc.property(vlanParam, unicastMac, anyMac, unicastIp6, unicastIp6, unicastIp6, fc.integer({ min: 0, max: 7 }), fc.boolean(),
    (vlan, mac, dstMac, src, dst, target, flags, sll) => {
      const out = new Uint8Array(160);
      const v = new FrameView();
      let n = buildNeighborSolicitation(out, 5, vlan, mac, dstMac, src, dst, target, sll ? mac : -1);
      assert.equal(parseFrame(out, 5, n, VLAN_NONE, v), FrameKind.NeighborSolicitation);
      expectVlan(v, vlan);
      assert.ok(ip6Equal(v.ip6Src, src) && ip6Equal(v.ip6Dst, dst) && ip6Equal(v.target, target));
      assert.deepEqual([v.ethSrc, v.ethDst, v.hopLimit, v.sourceLinkAddr, v.targetLinkAddr], [mac, dstMac, 255, sll ? mac : -1, -1]);
      n = buildNeighborAdvertisement(out, 5, vlan, mac, dstMac, src, dst, target, dstMac, flags);
      assert.equal(parseFrame(out, 5, n, VLAN_NONE, v), FrameKind.NeighborAdvertisement);
      expectVlan(v, vlan);
      assert.ok(ip6Equal(v.ip6Src, src) && ip6Equal(v.ip6Dst, dst) && ip6Equal(v.target, target));
      assert.deepEqual([v.naFlags, v.targetLinkAddr, v.sourceLinkAddr], [flags, dstMac, -1]);
    }), RUNS);
});

test('NA reply to any valid NS parses as a valid NA addressed back to the solicitor', () => {
  fc.assert(fc.property(fc.oneof(nsFrame, dadFrame), unicastMac, unicastMac, unicastIp6, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0xffff }),
    (f, answer, ours, srcIp, flags, oob) => {
      const req = new FrameView();
      // Out-of-band tag too, when the frame has at most one in band.
      const tci = f.vlan > 0xffff ? VLAN_NONE : oob;
      assert.equal(parseFrame(f.bytes, 0, f.bytes.length, tci, req), FrameKind.NeighborSolicitation);
      const out = new Uint8Array(160);
      const n = buildNaReplyTo(out, 0, req, answer, ours, srcIp, flags);
      const v = new FrameView();
      assert.equal(parseFrame(out, 0, n, VLAN_NONE, v), FrameKind.NeighborAdvertisement);
      assert.deepEqual([v.vlan, v.vlanPcp, v.outerVlan, v.outerVlanPcp], [req.vlan, req.vlanPcp, req.outerVlan, req.outerVlanPcp]);
      assert.ok(ip6Equal(v.target, req.target) && ip6Equal(v.ip6Src, srcIp));
      assert.deepEqual([v.ethSrc, v.targetLinkAddr], [ours, answer]);
      const dad = isUnspecified6(req.ip6Src);
      assert.equal(v.naFlags, dad ? flags & 5 : (flags & 5) | NA_FLAG_SOLICITED);
      if (dad) assert.deepEqual([...v.ip6Dst], [0xff020000, 0, 0, 1]);
      else assert.ok(ip6Equal(v.ip6Dst, req.ip6Src));
    }), RUNS);
});

// ---- robustness

function snapshot(v: FrameView, off: number): unknown[] {
  // Offsets are absolute; 0 and -1 mean "never set" (a real offset is at least 14).
  const rel = (x: number) => (x <= 0 ? x : x - off);
  return [v.kind, v.drop, v.ethDst, v.ethSrc, v.vlan, v.outerVlan, v.vlanPcp, v.outerVlanPcp, rel(v.l3Offset), v.arpOp, v.senderMac,
    v.senderIp, v.targetMac, v.targetIp, [...v.ip6Src], [...v.ip6Dst], v.hopLimit, [...v.target], v.sourceLinkAddr, v.targetLinkAddr,
    v.naFlags, rel(v.nonceOffset), rel(v.icmpOffset), v.icmpLength];
}

/** Parses `frame` alone, then inside bigger buffers whose surrounding bytes would change the answer if read. */
function checkBounded(frame: Uint8Array, tci: number, before: Uint8Array, after: Uint8Array): void {
  const alone = new FrameView();
  const kind = parseFrame(frame, 0, frame.length, tci, alone);
  assert.ok(kind >= FrameKind.None && kind <= FrameKind.NeighborAdvertisement);
  assert.equal(kind === FrameKind.None, alone.drop !== 0);
  const big = new Uint8Array(before.length + frame.length + after.length);
  big.set(before);
  big.set(frame, before.length);
  big.set(after, before.length + frame.length);
  const inside = new FrameView();
  assert.equal(parseFrame(big, before.length, frame.length, tci, inside), kind);
  assert.deepEqual(snapshot(inside, before.length), snapshot(alone, 0));
}

const validFrame = fc.oneof(arpFrame, nsFrame, dadFrame, naFrame);
const tciArb = fc.oneof(fc.constant(VLAN_NONE), fc.integer({ min: 0, max: 0xffff }));
const pad = fc.uint8Array({ maxLength: 64 });

test('random bytes never throw and never read outside the frame', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), tciArb, pad, pad, (b, tci, pre, post) => checkBounded(b, tci, pre, post)), { numRuns: 2000 });
});

test('random bytes behind a valid Ethernet/IPv6/ICMPv6 ND prefix never throw nor read outside the frame', () => {
  fc.assert(fc.property(validFrame, fc.integer({ min: 0, max: 200 }), fc.uint8Array({ maxLength: 80 }), tciArb, pad,
    (f, cut, tail, tci, post) => {
      const keep = Math.min(cut, f.bytes.length);
      const b = new Uint8Array(keep + tail.length);
      b.set(f.bytes.subarray(0, keep));
      b.set(tail, keep);
      checkBounded(b, tci, new Uint8Array(3), post);
    }), { numRuns: 2000 });
});

test('mutated valid frames (byte changes, truncation, tails that complete them) stay bounded', () => {
  const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 });
  fc.assert(fc.property(validFrame, mutation, fc.nat(), tciArb, (f, muts, cutSeed, tci) => {
    const b = f.bytes.slice();
    for (const [pos, val] of muts) b[pos % b.length] = val;
    const cut = cutSeed % (b.length + 1);
    // The bytes after the cut are exactly the ones that would make the frame valid again.
    checkBounded(b.subarray(0, cut), tci, new Uint8Array(0), b.subarray(cut));
  }), { numRuns: 3000 });
});

test('a truncated valid frame is truncated, whatever follows it in the buffer', () => {
  fc.assert(fc.property(validFrame, fc.nat(), (f, seed) => {
    const cut = seed % f.bytes.length;
    const v = new FrameView();
    assert.equal(parseFrame(f.bytes, 0, cut, VLAN_NONE, v), FrameKind.None);
    assert.equal(v.drop, 1 /* Truncated */);
  }), RUNS);
});

test('solicitedNode6 / parse agree: a resolve NS to the group of its target is valid from ::', () => {
  fc.assert(fc.property(unicastIp6, unicastMac, (t, mac) => {
    const out = new Uint8Array(100);
    const g = solicitedNode6(t, new Uint32Array(4));
    const n = buildNeighborSolicitation(out, 0, -1, mac, 0x333300000000 + (g[3]! >>> 0), new Uint32Array(4), g, t, -1);
    const v = new FrameView();
    assert.equal(parseFrame(out, 0, n, VLAN_NONE, v), FrameKind.NeighborSolicitation);
  }), RUNS);
});

export type { Built };
