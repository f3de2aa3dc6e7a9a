// Builders compared to the byte: against frames the Linux kernel produced, and against
// hand-derived tables for the tagged variants (the kernel's bytes with the tag spliced in).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VLAN_NONE } from '../../src/engine/types';
import { BROADCAST_MAC, parseIp4, parseIp6, parseMac } from '../../src/net/addr';
import {
  FrameKind, FrameView, NA_FLAG_OVERRIDE, NA_FLAG_ROUTER, NA_FLAG_SOLICITED, buildArpReply, buildArpReplyTo, buildArpRequest,
  buildGratuitousArp, buildNaReplyTo, buildNeighborAdvertisement, buildNeighborSolicitation, buildNsRefresh, buildNsResolve,
  buildUnsolicitedNa, parseFrame, qinqTag, vlanTci, MAC_ANSWER, MAC_CELLS, MAC_DST, MAC_OURS, buildArpReplyCells,
  buildNaReplyCells, buildNeighborAdvertisementCells,
} from '../../src/wire';
import { fromHex, hex } from '../helpers/pcap';
import { KERNEL_FRAMES } from './fixtures/kernel-frames';
import { rebuildLikeKernel } from './fixtures/rebuild';

const MAC_A = parseMac('02:00:00:00:00:0a')!;
const MAC_B = parseMac('02:00:00:00:00:0b')!;
const MAC_A2 = parseMac('02:00:00:00:00:0c')!;
const IP4_A = parseIp4('192.0.2.1')!;
const IP4_B = parseIp4('192.0.2.2')!;
const IP6_A = parseIp6('2001:db8::a')!;
const IP6_B = parseIp6('2001:db8::b')!;
const IP6_D = parseIp6('2001:db8::d')!;
const LL_A = parseIp6('fe80::ff:fe00:a')!;

/** A slot pre-filled with garbage so a builder that leaves a byte unwritten fails. */
function slot(): Uint8Array {
  return new Uint8Array(256).fill(0xa5);
}

function built(fn: (out: Uint8Array, off: number) => number, off = 7): string {
  const out = slot();
  const n = fn(out, off);
  assert.equal(out[off - 1], 0xa5, 'wrote before the offset');
  assert.equal(out[off + n], 0xa5, 'wrote past the returned length');
  return hex(out.subarray(off, off + n));
}

/** Splices an 802.1Q tag (TPID 8100 + TCI) after the MAC addresses. */
function tagged(frameHex: string, ...tags: string[]): string {
  return frameHex.slice(0, 24) + tags.join('') + frameHex.slice(24);
}

// Positional builders, each against a frame the kernel sent.
const cases: Array<{ name: string; expect: string; make: (out: Uint8Array, off: number) => number }> = [
  { name: 'ARP reply', expect: KERNEL_FRAMES.arpReply,
    make: (o, off) => buildArpReply(o, off, -1, MAC_B, MAC_A, IP4_A, MAC_B, IP4_B) },
  { name: 'ARP request, broadcast (resolve)', expect: KERNEL_FRAMES.arpRequestBroadcast,
    make: (o, off) => buildArpRequest(o, off, -1, BROADCAST_MAC, MAC_A, IP4_A, IP4_B) },
  { name: 'ARP request, unicast (refresh)', expect: KERNEL_FRAMES.arpRequestUnicast,
    make: (o, off) => buildArpRequest(o, off, -1, MAC_B, MAC_A, IP4_A, IP4_B) },
  { name: 'gratuitous ARP', expect: KERNEL_FRAMES.gratuitousArp,
    make: (o, off) => buildGratuitousArp(o, off, -1, MAC_A2, IP4_A) },
  { name: 'NA, solicited (S=1 O=1)', expect: KERNEL_FRAMES.naSolicited,
    make: (o, off) => buildNeighborAdvertisement(o, off, -1, MAC_B, MAC_A, IP6_B, IP6_A, IP6_B, MAC_B, NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE) },
  { name: 'NS to the solicited-node group (resolve)', expect: KERNEL_FRAMES.nsResolve,
    make: (o, off) => buildNsResolve(o, off, -1, MAC_A, IP6_A, IP6_B) },
  { name: 'NS unicast (refresh)', expect: KERNEL_FRAMES.nsRefresh,
    make: (o, off) => buildNsRefresh(o, off, -1, MAC_A, LL_A, IP6_B, MAC_B) },
  { name: 'NS general form = unicast refresh', expect: KERNEL_FRAMES.nsRefresh,
    make: (o, off) => buildNeighborSolicitation(o, off, -1, MAC_A, MAC_B, LL_A, IP6_B, IP6_B, MAC_A) },
  { name: 'unsolicited NA (S forced to 0)', expect: KERNEL_FRAMES.unsolicitedNa,
    make: (o, off) => buildUnsolicitedNa(o, off, -1, MAC_A2, IP6_A, IP6_A, MAC_A2, NA_FLAG_OVERRIDE | NA_FLAG_SOLICITED) },
  { name: 'unsolicited NA after DAD', expect: KERNEL_FRAMES.unsolicitedNaAfterDad,
    make: (o, off) => buildUnsolicitedNa(o, off, -1, MAC_A2, IP6_D, IP6_D, MAC_A2, NA_FLAG_OVERRIDE) },
];

for (const c of cases) {
  test(`builder equals the kernel's bytes: ${c.name}`, () => {
    assert.equal(built(c.make), c.expect);
  });
}

test('every kernel frame rebuilt from its parsed fields is byte-identical (or skipped for a stated reason)', () => {
  let compared = 0;
  for (const [name, h] of Object.entries(KERNEL_FRAMES)) {
    const r = rebuildLikeKernel(fromHex(h));
    if ('skip' in r) {
      assert.ok(name === 'dadNs' || name === 'naToUnicastNs', `${name} skipped: ${r.skip}`);
      continue;
    }
    assert.equal(hex(r.built), h, `${name} (${r.label})`);
    compared++;
  }
  assert.equal(compared, Object.keys(KERNEL_FRAMES).length - 2);
});

test('buildArpReplyTo answers the kernel request exactly as the kernel did', () => {
  const v = new FrameView();
  const req = fromHex(KERNEL_FRAMES.arpRequestBroadcast);
  assert.equal(parseFrame(req, 0, req.length, VLAN_NONE, v), FrameKind.ArpRequest);
  assert.equal(built((o, off) => buildArpReplyTo(o, off, v, MAC_B, MAC_B)), KERNEL_FRAMES.arpReply);
});

test('buildNaReplyTo answers the kernel NS exactly as the kernel did (source = target, O=1)', () => {
  const v = new FrameView();
  const ns = fromHex(KERNEL_FRAMES.nsResolve);
  assert.equal(parseFrame(ns, 0, ns.length, VLAN_NONE, v), FrameKind.NeighborSolicitation);
  // S is the builder's business: passing it in flags changes nothing.
  assert.equal(built((o, off) => buildNaReplyTo(o, off, v, MAC_B, MAC_B, v.target, NA_FLAG_OVERRIDE)), KERNEL_FRAMES.naSolicited);
  assert.equal(built((o, off) => buildNaReplyTo(o, off, v, MAC_B, MAC_B, v.target, NA_FLAG_OVERRIDE | NA_FLAG_SOLICITED)), KERNEL_FRAMES.naSolicited);
});

test('the *Cells builders (MACs from a Float64Array) write the same bytes as the plain ones', () => {
  const macs = new Float64Array(MAC_CELLS);
  macs[MAC_ANSWER] = MAC_A2;
  macs[MAC_OURS] = MAC_B;
  macs[MAC_DST] = MAC_A;
  const v = new FrameView();
  const req = fromHex(KERNEL_FRAMES.arpRequestBroadcast);
  assert.equal(parseFrame(req, 0, req.length, VLAN_NONE, v), FrameKind.ArpRequest);
  assert.equal(built((o, off) => buildArpReplyCells(o, off, v, macs)), built((o, off) => buildArpReplyTo(o, off, v, MAC_A2, MAC_B)));
  const ns = fromHex(KERNEL_FRAMES.nsResolve);
  assert.equal(parseFrame(ns, 0, ns.length, VLAN_NONE, v), FrameKind.NeighborSolicitation);
  assert.equal(built((o, off) => buildNaReplyCells(o, off, v, macs, LL_A, NA_FLAG_ROUTER)),
    built((o, off) => buildNaReplyTo(o, off, v, MAC_A2, MAC_B, LL_A, NA_FLAG_ROUTER)));
  assert.equal(built((o, off) => buildNeighborAdvertisementCells(o, off, 100, macs, IP6_A, IP6_B, IP6_D, NA_FLAG_SOLICITED)),
    built((o, off) => buildNeighborAdvertisement(o, off, 100, MAC_B, MAC_A, IP6_A, IP6_B, IP6_D, MAC_A2, NA_FLAG_SOLICITED)));
});

test('buildNaReplyTo to a DAD probe (source ::) goes to ff02::1 with S=0, R from flags', () => {
  const v = new FrameView();
  const ns = fromHex(KERNEL_FRAMES.dadNs);
  assert.equal(parseFrame(ns, 0, ns.length, VLAN_NONE, v), FrameKind.NeighborSolicitation);
  // Expected: the kernel's own unsolicited NA for 2001:db8::d, with R set and O clear
  // (flags byte 0x80, checksum 0xf907 + 0x2000 - 0x8000 in one's complement = 0x9907).
  const expect = KERNEL_FRAMES.unsolicitedNaAfterDad.replace('8800f90720', '8800990780');
  assert.equal(built((o, off) => buildNaReplyTo(o, off, v, MAC_A2, MAC_A2, IP6_D, NA_FLAG_ROUTER)), expect);
});

test('NA reply goes to the source link-layer option, not the Ethernet source, when they differ', () => {
  const v = new FrameView();
  const ns = fromHex(KERNEL_FRAMES.nsResolve);
  ns[11] = 0x99; // Ethernet source 02:00:00:00:00:99; the SLLAO still says ...:0a
  parseFrame(ns, 0, ns.length, VLAN_NONE, v);
  const h = built((o, off) => buildNaReplyTo(o, off, v, MAC_B, MAC_B, v.target, NA_FLAG_OVERRIDE));
  assert.equal(h.slice(0, 12), '02000000000a');
});

test('VLAN tags: out-of-band request tag becomes an in-band 802.1Q tag with its PCP', () => {
  const v = new FrameView();
  const req = fromHex(KERNEL_FRAMES.arpRequestBroadcast);
  parseFrame(req, 0, req.length, 0xa064 /* PCP 5, VID 100 */, v);
  assert.equal(built((o, off) => buildArpReplyTo(o, off, v, MAC_B, MAC_B)), tagged(KERNEL_FRAMES.arpReply, '8100a064'));
});

test('VLAN tags: QinQ request (out-of-band outer, in-band inner) is answered with both tags', () => {
  const v = new FrameView();
  const ns = fromHex(tagged(KERNEL_FRAMES.nsResolve, '81002007'));
  parseFrame(ns, 0, ns.length, 0x00c8, v);
  assert.equal(v.outerVlan, 200);
  assert.equal(v.vlan, 7);
  assert.equal(built((o, off) => buildNaReplyTo(o, off, v, MAC_B, MAC_B, v.target, NA_FLAG_OVERRIDE)),
    tagged(KERNEL_FRAMES.naSolicited, '88a800c8', '81002007'));
});

test('VLAN parameter forms: plain id (PCP 0), vlanTci, qinqTag with outer VID 0', () => {
  assert.equal(built((o, off) => buildGratuitousArp(o, off, 4095, MAC_A2, IP4_A)), tagged(KERNEL_FRAMES.gratuitousArp, '81000fff'));
  assert.equal(built((o, off) => buildGratuitousArp(o, off, vlanTci(1, 7), MAC_A2, IP4_A)), tagged(KERNEL_FRAMES.gratuitousArp, '8100e001'));
  assert.equal(built((o, off) => buildGratuitousArp(o, off, qinqTag(0, 10), MAC_A2, IP4_A)),
    tagged(KERNEL_FRAMES.gratuitousArp, '88a80000', '8100000a'));
  assert.equal(built((o, off) => buildNsResolve(o, off, 0, MAC_A, IP6_A, IP6_B)), tagged(KERNEL_FRAMES.nsResolve, '81000000'));
});

test('NS without a source link-layer option (-1) is 24 bytes of ICMPv6 with a valid checksum', () => {
  const out = slot();
  const group = parseIp6('ff02::1:ff00:d')!;
  const n = buildNeighborSolicitation(out, 0, -1, MAC_A2, parseMac('33:33:ff:00:00:0d')!, new Uint32Array(4), group, IP6_D, -1);
  assert.equal(n, 14 + 40 + 24);
  // The kernel's DAD probe minus its nonce option: payload length 0x18, checksum recomputed.
  const v = new FrameView();
  assert.equal(parseFrame(out, 0, n, VLAN_NONE, v), FrameKind.NeighborSolicitation);
  assert.equal(hex(out.subarray(0, 54)), KERNEL_FRAMES.dadNs.slice(0, 108).replace('6000000000203aff', '6000000000183aff'));
});
