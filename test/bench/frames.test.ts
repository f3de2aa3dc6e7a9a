import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ARP_FRAME_LEN,
  NS_FRAME_LEN,
  S_ARP,
  S_NS,
  T_ARP,
  T_NS,
  buildRequestCycle,
  pairResidues,
  requestResidue,
  CAPTURE_REQUESTS_AND_REPLIES,
  replyResidue,
  writeArpRequest,
  writeNeighborSolicitation,
} from '../../bench/pps/frames';
import { runFilter } from '../../src/bpf/interp';
import { generate } from '../../src/engine/generator';
import { icmp6ChecksumOk } from '../../src/wire/checksum';
import { needsNetns, waitFor } from '../helpers/netns';
import { Pair, frameOf } from '../engine/fixtures/pair';
import type { BpfProgram } from '../../src/engine/types';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('ARP request from sender 0 for target 0, to the byte', () => {
  const b = new Uint8Array(ARP_FRAME_LEN);
  writeArpRequest(b, 0, 0, 0);
  assert.equal(
    hex(b),
    'ffffffffffff' + '00005e005301' + '0806' + // Ethernet
      '0001' + '0800' + '06' + '04' + '0001' + // Ethernet/IPv4, request
      '00005e005301' + 'c6336402' + // sha, spa 198.51.100.2
      '000000000000' + 'c6336480' + // tha, tpa 198.51.100.128
      '00'.repeat(18), // padding to 60
  );
});

test('NS from sender 0 for target 0x1234, to the byte (checksum included)', () => {
  const b = new Uint8Array(NS_FRAME_LEN);
  writeNeighborSolicitation(b, 0, 0, 0x1233);
  const expected =
    '3333ff001234' + '00005e005301' + '86dd' +
    '60000000' + '0020' + '3a' + 'ff' +
    '20010db8000100000000000000000001' + // 2001:db8:1::1
    'ff0200000000000000000001ff001234' + // ff02::1:ff00:1234
    '87' + '00' + 'CKSM' + '00000000' +
    '20010db8000200000000000000001234' + // target 2001:db8:2::1234
    '0101' + '00005e005301';
  const got = hex(b);
  assert.equal(got.slice(0, 112), expected.slice(0, 112));
  // Independent check of the checksum: the one's complement sum over pseudo-header and
  // ICMPv6 message, checksum included, is 0xffff.
  let sum = 0;
  for (let i = 22; i < 54; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  sum += 32 + 58;
  for (let i = 54; i < 86; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  assert.equal(sum, 0xffff);
  assert.equal(got.slice(116), expected.slice(116));
});

test('the pair (i mod S, i mod T) names i modulo S*T (S, T coprime)', () => {
  for (const [f, S, T] of [['arp', S_ARP, T_ARP], ['ns', S_NS, T_NS]] as const) {
    const tbl = pairResidues(f);
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * S * T }), (i) => tbl[(i % S) * T + (i % T)] === i % (S * T)));
  }
});

/** Turns request i of the cycle into the reply a correct responder sends. */
function arpReplyFor(req: Uint8Array, o: number): Uint8Array {
  const r = new Uint8Array(ARP_FRAME_LEN);
  r.set(req.subarray(o + 6, o + 12), 0); // to the requester
  r.set([0x02, 0, 0, 0, 0, 0x99], 6);
  r.set([0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 2], 12);
  r.set([0x02, 0, 0, 0, 0, 0x99], 22);
  r.set(req.subarray(o + 38, o + 42), 28); // spa = requested target
  r.set(req.subarray(o + 6, o + 12), 32);
  r.set(req.subarray(o + 28, o + 32), 38); // tpa = requester
  return r;
}

test('an ARP reply maps back to the residue of the request it answers', () => {
  const { frames, frameLength } = buildRequestCycle('arp');
  for (const i of [0, 1, 124, 125, 126, 127, 9999, S_ARP * T_ARP - 1]) {
    assert.equal(replyResidue('arp', arpReplyFor(frames, i * frameLength), 0, ARP_FRAME_LEN), i);
  }
  // The request itself is not a reply.
  assert.equal(replyResidue('arp', frames, 0, frameLength), -1);
});

test('a Neighbor Advertisement maps back to its solicitation', () => {
  const { frames, frameLength } = buildRequestCycle('ns');
  const i = 123_456;
  const req = frames.subarray(i * frameLength, (i + 1) * frameLength);
  const na = new Uint8Array(86);
  na.set(req.subarray(6, 12), 0);
  na.set([0x86, 0xdd, 0x60], 12);
  na[20] = 58;
  na.set(req.subarray(62, 78), 22); // source: the target
  na.set(req.subarray(22, 38), 38); // destination: the soliciting sender
  na[54] = 136;
  na.set(req.subarray(62, 78), 62); // target
  assert.equal(replyResidue('ns', na, 0, na.length), i);
  na[54] = 135;
  assert.equal(replyResidue('ns', na, 0, na.length), -1, 'a solicitation is not a reply');
  na[54] = 136;
  na[77] = 0; // target 2001:db8:2::(x00) outside our targets when low byte is 0 and the rest too
  na.fill(0, 74, 78);
  assert.equal(replyResidue('ns', na, 0, na.length), -1, 'target ::0 is none of ours');
});

test('truncated and foreign frames are not replies', () => {
  assert.equal(replyResidue('arp', new Uint8Array(41), 0, 41), -1);
  assert.equal(replyResidue('ns', new Uint8Array(100), 0, 100), -1);
});

test('requests map to their own residue; replies are not requests', () => {
  for (const f of ['arp', 'ns'] as const) {
    const { frames, frameLength, count } = buildRequestCycle(f);
    for (const i of [0, 1, 77, count - 1]) assert.equal(requestResidue(f, frames, i * frameLength, frameLength), i, `${f} ${i}`);
  }
  const { frames } = buildRequestCycle('arp');
  const reply = arpReplyFor(frames, 5 * ARP_FRAME_LEN);
  assert.equal(requestResidue('arp', reply, 0, reply.length), -1);
});

/** Verdict of the kernel-faithful interpreter (bpf/interp) on an untagged frame. */
function runBpf(prog: BpfProgram, p: Uint8Array): number {
  return runFilter(prog, p, p.length);
}

test('the capture filter keeps ARP and NS/NA and nothing else', () => {
  const arp = buildRequestCycle('arp').frames.subarray(0, ARP_FRAME_LEN);
  const ns = buildRequestCycle('ns').frames.subarray(0, NS_FRAME_LEN);
  assert.ok(runBpf(CAPTURE_REQUESTS_AND_REPLIES, arp) > 0);
  assert.ok(runBpf(CAPTURE_REQUESTS_AND_REPLIES, ns) > 0);
  const na = Uint8Array.from(ns);
  na[54] = 136;
  assert.ok(runBpf(CAPTURE_REQUESTS_AND_REPLIES, na) > 0);
  const rs = Uint8Array.from(ns);
  rs[54] = 133; // router solicitation
  assert.equal(runBpf(CAPTURE_REQUESTS_AND_REPLIES, rs), 0);
  const udp = Uint8Array.from(ns);
  udp[20] = 17;
  assert.equal(runBpf(CAPTURE_REQUESTS_AND_REPLIES, udp), 0);
  const ip4 = Uint8Array.from(arp);
  ip4[13] = 0x00; // 0x0800
  assert.equal(runBpf(CAPTURE_REQUESTS_AND_REPLIES, ip4), 0);
});

// The native load generator (native/generator.cc) recomputes the ICMPv6 checksum of every
// NS it varies, with its own C++ sum. Sent from the bench's NS template (whose checksum is
// wire/checksum's writeIcmp6Checksum), frame i must equal the template for sender i % S and
// target i % T written by the bench, checksum included, and verify with icmp6ChecksumOk.
describe('native generator NS against the wire checksum', { skip: needsNetns(), timeout: 20000 }, () => {
  let pair: Pair;
  before(() => {
    pair = new Pair('fc');
  });
  after(() => pair?.destroy());

  test('every varied NS equals the bench frame, checksum included', async () => {
    const rx = pair.open('va', 'a');
    const got: Uint8Array[] = [];
    rx.start((batch) => {
      for (let i = 0; i < batch.count; i++) got.push(frameOf(batch, i));
    });
    const tpl = new Uint8Array(NS_FRAME_LEN);
    writeNeighborSolicitation(tpl, 0, 0, 0);
    const S = 3, T = 0x1ff; // the target walks across a byte boundary of the solicited-node group
    const count = 2 * T;
    const res = await generate(pair.sender(), { templates: [tpl], count, varySender: S, varyTarget: T });
    assert.equal(res.sent, count);
    const ours = (): Uint8Array[] => got.filter((f) => requestResidue('ns', f, 0, f.length) !== -1);
    assert.ok(await waitFor(() => ours().length >= count, 5000), `received ${ours().length} of ${count}`);
    const want = new Uint8Array(NS_FRAME_LEN);
    ours().forEach((f, i) => {
      assert.ok(icmp6ChecksumOk(f, 14, 54, 32), `frame ${i}: checksum verifies`);
      writeNeighborSolicitation(want, 0, i % S, i % T);
      assert.equal(hex(f), hex(want), `frame ${i}`);
    });
    rx.close();
  });
});
