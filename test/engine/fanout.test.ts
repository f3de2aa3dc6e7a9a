// PACKET_FANOUT_CBPF with src/bpf/fanout's program on real rings: every frame lands on the
// member ownerOf() names for its address, and our own transmissions never come back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fanoutProgram, ownerOf } from '../../src/bpf/fanout';
import { plainFilter } from '../../src/bpf/plain';
import type { Ring } from '../../src/engine/ring';
import { generate } from '../../src/engine/generator';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE } from '../../src/engine/types';
import { needsNetns, waitFor } from '../helpers/netns';
import { arp, ip4, ip6, mac, ns, na } from './fixtures/frames';
import { MAC_B, Pair, send } from './fixtures/pair';

const skip = needsNetns();
const ip4Word = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const ZERO = [0, 0, 0, 0, 0, 0];

/** The address a frame is about, as the policy's key words (what ownerOf hashes). */
function keyOf(f: Uint8Array): number[] {
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (dv.getUint16(12) === 0x0806) return [0, 0, 0, dv.getUint32(dv.getUint16(20) === 2 ? 28 : 38)];
  return [0, 1, 2, 3].map((i) => dv.getUint32(62 + 4 * i));
}

describe('fanout cbpf by address', { skip, timeout: 20000 }, () => {
  let pair: Pair;
  before(() => {
    pair = new Pair('fo');
  });
  after(() => pair?.destroy());

  test('each frame goes to the member its address hashes to; replies by sender, NS/NA by target', async () => {
    const fanout = { group: 4343, mode: 'cbpf' as const, program: fanoutProgram(), ignoreOutgoing: true };
    const filter = plainFilter().program;
    const rings: Ring[] = [pair.open('va', 'a', { fanout, filter }), pair.open('va', 'a', { fanout, filter })];
    const wrong: string[] = [];
    const got = [0, 0];
    rings.forEach((r, member) => r.start((b) => {
      for (let i = 0; i < b.count; i++) {
        const off = b.desc[i * DESC_STRIDE + DESC_OFFSET]!;
        const f = b.buf.slice(off, off + b.desc[i * DESC_STRIDE + DESC_LENGTH]!);
        const [a0, a1, a2, a3] = keyOf(f);
        const want = ownerOf(a0!, a1!, a2!, a3!, 2);
        got[member]!++;
        if (want !== member) wrong.push(`${Buffer.from(f.subarray(12, 14)).toString('hex')} to ${member}, want ${want}`);
      }
    }));
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      frames.push(arp(1, mac(MAC_B), ip4('192.0.2.2'), ZERO, ip4(`192.0.2.${10 + i}`)));
      frames.push(arp(2, mac(MAC_B), ip4(`198.51.100.${10 + i}`), ZERO, ip4('192.0.2.2')));
      frames.push(ns(mac(MAC_B), ip6('fe80::b'), ip6(`2001:db8::${(i * 7919).toString(16)}`)));
      frames.push(na(mac(MAC_B), mac('33:33:00:00:00:01'), ip6('fe80::b'), ip6('ff02::1'), ip6(`2001:db8:1::${i.toString(16)}`), 0x20));
    }
    send(pair.sender(), frames);
    assert.ok(await waitFor(() => got[0]! + got[1]! >= frames.length, 3000), `received ${got}`);
    assert.deepEqual(wrong, []);
    assert.ok(got[0]! > 20 && got[1]! > 20, `both members get a share: ${got}`);
    // Our own transmissions (on ring 0) are never fed back into the group.
    send(rings[0]!, [arp(1, mac('02:00:5e:00:53:0a'), ip4('192.0.2.1'), ZERO, ip4('192.0.2.99'))]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got[0]! + got[1]!, frames.length);
    for (const r of rings) r.close();
  });

  test('a member joining a busy group sees no frame of the others while it joins (filter after join)', async () => {
    // Every frame is about an address member 0 owns: once joined, member 1 gets none of them.
    // Before the fix, a new socket was an ordinary tap between bind() and PACKET_FANOUT and
    // kept what arrived then. Frames are counted with PACKET_STATISTICS (what reached the socket).
    const fanout = { group: 4344, mode: 'cbpf' as const, program: fanoutProgram(), ignoreOutgoing: true };
    const filter = plainFilter().program;
    const first = pair.open('va', 'a', { fanout, filter });
    let target = 10;
    while (ownerOf(0, 0, 0, ip4Word(`192.0.2.${target}`), 2) !== 0) target++;
    const frame = arp(1, mac(MAC_B), ip4('192.0.2.2'), ZERO, ip4(`192.0.2.${target}`));
    const flood = generate(pair.sender(), { templates: [frame], count: 400_000, ratePps: 200_000 });
    let seen = 0;
    let opens = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      const late = pair.open('va', 'a', { fanout, filter, rxFrames: 64, txFrames: 16, frameSize: 256 });
      seen += late.counters().kernelPackets;
      late.close();
      opens++;
      await new Promise((r) => setImmediate(r));
    }
    const sent = (await flood).sent;
    const firstGot = first.counters().kernelPackets;
    first.close();
    assert.ok(firstGot > 1000, `the flood reached the group (${firstGot} of ${sent})`);
    assert.equal(seen, 0, `${opens} joins during ${sent} frames: the joining member captured ${seen} frames it does not own`);
  });
});

