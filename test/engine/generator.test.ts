// The native load generator: every frame it sends is compared byte for byte with the
// frame built independently here (ARP and NS, sender and target varied, NS checksum and
// solicited-node destination recomputed), plus pacing, send times and TX ownership.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { needsNetns, waitFor } from '../helpers/netns';
import { binding, type RingHandle } from '../../src/engine/binding';
import { cancelGenerate, generate } from '../../src/engine/generator';
import type { Ring } from '../../src/engine/ring';
import { arp, ip4, ip6, mac, ns } from './fixtures/frames';
import { MAC_B, Pair, frameOf, hex, send } from './fixtures/pair';

const skip = needsNetns();

/** The native handle behind a Ring (tests only: to call the addon as a careless caller would). */
const handleOf = (ring: Ring): RingHandle => (ring as unknown as { handle: RingHandle }).handle;

function plus(bytes: number[], k: number): number[] {
  const out = [...bytes];
  let carry = k;
  for (let i = out.length - 1; i >= 0 && carry; i--) {
    const v = out[i]! + carry;
    out[i] = v & 0xff;
    carry = v >> 8;
  }
  return out;
}

describe('load generator', { skip, timeout: 20000 }, () => {
  let pair: Pair;
  before(() => {
    pair = new Pair('gn');
  });
  after(() => pair?.destroy());

  const capture = () => {
    const ring = pair.open('va', 'a');
    const got: string[] = [];
    ring.start((batch) => {
      for (let i = 0; i < batch.count; i++) got.push(hex(frameOf(batch, i)));
    });
    return { ring, got };
  };

  test('ARP: sender and target vary per frame as documented', async () => {
    const { ring, got } = capture();
    const gen = pair.sender();
    const sha = mac(MAC_B);
    const tpl = arp(1, sha, ip4('192.0.2.2'), [0, 0, 0, 0, 0, 0], ip4('192.0.2.1'));
    const res = await generate(gen, { templates: [tpl], count: 6, varySender: 3, varyTarget: 2 });
    assert.equal(res.sent, 6);
    assert.ok(await waitFor(() => got.length >= 6, 2000));
    const want = Array.from({ length: 6 }, (_, i) => {
      const ks = i % 3, kt = i % 2;
      const m = plus(sha, ks);
      return hex(arp(1, m, plus(ip4('192.0.2.2'), ks), [0, 0, 0, 0, 0, 0], plus(ip4('192.0.2.1'), kt)));
    });
    assert.deepEqual(got, want);
    ring.close();
  });

  test('NS: source, target, solicited-node destination and checksum follow', async () => {
    const { ring, got } = capture();
    const gen = pair.sender();
    const sha = mac(MAC_B);
    const src = ip6('2001:db8::2');
    const target = ip6('2001:db8::1:fe');
    const templates = [ns(sha, src, target)];
    const res = await generate(gen, { templates, count: 4, varySender: 2, varyTarget: 4 });
    assert.equal(res.sent, 4);
    assert.ok(await waitFor(() => got.length >= 4, 2000));
    const want = Array.from({ length: 4 }, (_, i) => hex(ns(plus(sha, i % 2), plus(src, i % 2), plus(target, i))));
    assert.deepEqual(got, want);
    ring.close();
  });

  test('paced runs keep the rate, record send times, and own the TX ring while they run', async () => {
    const { ring, got } = capture();
    const gen = pair.sender();
    const tpl = arp(1, mac(MAC_B), ip4('192.0.2.2'), [0, 0, 0, 0, 0, 0], ip4('192.0.2.1'));
    const sendTimes = new Float64Array(40);
    const before = Date.now() * 1000;
    const run = generate(gen, { templates: [tpl], count: 40, ratePps: 2000, sendTimes });
    assert.equal(gen.tx.reserve(), -1, 'tx is unavailable while the generator owns the ring');
    await assert.rejects(generate(gen, { templates: [tpl], count: 1 }), /already runs/);
    const res = await run;
    assert.equal(res.sent, 40);
    assert.ok(res.elapsedNs >= 19e6 * 0.95, `40 frames at 2000 pps took ${res.elapsedNs / 1e6} ms`);
    for (let i = 1; i < 40; i++) assert.ok(sendTimes[i]! >= sendTimes[i - 1]!);
    assert.ok(sendTimes[0]! >= before - 1000 && sendTimes[39]! <= Date.now() * 1000 + 1000);
    assert.ok(sendTimes[39]! - sendTimes[0]! >= 19000 * 0.9, 'send times are spread over the run');
    assert.ok(await waitFor(() => got.length >= 40, 2000));
    assert.ok(gen.tx.reserve() >= 0, 'tx is usable again');
    ring.close();
  });

  test('cancelGenerate stops a long run early', async () => {
    const gen = pair.sender();
    const tpl = arp(1, mac(MAC_B), ip4('192.0.2.2'), [0, 0, 0, 0, 0, 0], ip4('192.0.2.1'));
    const run = generate(gen, { templates: [tpl], count: 1_000_000, ratePps: 1000 });
    await new Promise((r) => setTimeout(r, 30));
    cancelGenerate(gen);
    const res = await run;
    assert.ok(res.sent > 0 && res.sent < 1000, `sent ${res.sent}`);
  });

  test('the addon refuses ring_send while the generator holds the TX ring (EBUSY)', async () => {
    const gen = pair.sender();
    const tpl = arp(1, mac(MAC_B), ip4('192.0.2.2'), [0, 0, 0, 0, 0, 0], ip4('192.0.2.1'));
    const run = generate(gen, { templates: [tpl], count: 20, ratePps: 1000 });
    assert.throws(() => binding().ring_send(handleOf(gen), 1), (e: Error & { code?: string }) => e.code === 'EBUSY' && /^send vb: EBUSY/.test(e.message));
    assert.equal((await run).sent, 20);
    assert.equal(binding().ring_send(handleOf(gen), 0), 0, 'the TX ring is back');
  });

  test('after a run the ring sends from where the generator stopped, and counts its frames', async () => {
    const { ring, got } = capture();
    const gen = pair.sender();
    const tpl = (t: string) => arp(1, mac(MAC_B), ip4('192.0.2.2'), [0, 0, 0, 0, 0, 0], ip4(t));
    assert.equal((await generate(gen, { templates: [tpl('192.0.2.1')], count: 5 })).sent, 5);
    send(gen, [tpl('192.0.2.99')]);
    assert.ok(await waitFor(() => got.length >= 6, 2000));
    assert.deepEqual(got.slice(5), [hex(tpl('192.0.2.99'))], 'the next slot, not one the generator used');
    assert.equal(gen.counters().repliesSent, 6);
    ring.close();
  });

  test('closing the ring stops a running generator; the run settles with what was sent', async () => {
    const gen = pair.sender();
    const tpl = arp(1, mac(MAC_B), ip4('192.0.2.2'), [0, 0, 0, 0, 0, 0], ip4('192.0.2.1'));
    const run = generate(gen, { templates: [tpl], count: 1_000_000, ratePps: 1000 });
    await new Promise((r) => setTimeout(r, 30));
    gen.close();
    const res = await run;
    assert.ok(res.sent > 0 && res.sent < 1000, `sent ${res.sent}`);
    cancelGenerate(gen); // harmless once the run is over
  });

  test('ring and generator handles are not interchangeable at the addon', async () => {
    const gen = pair.sender();
    const native = binding();
    const tpl = arp(1, mac(MAC_B), ip4('192.0.2.2'), [0, 0, 0, 0, 0, 0], ip4('192.0.2.1'));
    const run = native.gen_start(handleOf(gen), tpl, Uint32Array.of(tpl.length), { count: 3, ratePps: 0, varySender: 0, varyTarget: 0, batch: 1 }, null);
    const asRing = run.handle as unknown as RingHandle;
    const asGenerator = handleOf(gen) as unknown as typeof run.handle;
    assert.throws(() => native.ring_send(asRing, 1), /first argument must be a ring handle/);
    assert.throws(() => native.gen_cancel(asGenerator), /gen_cancel\(generator\)/);
    assert.equal((await run.done).sent, 3);
    gen.close();
  });

  test('options are validated', async () => {
    const gen = pair.sender();
    await assert.rejects(generate(gen, { templates: [], count: 1 }), /non-empty array/);
    await assert.rejects(generate(gen, { templates: [new Uint8Array(10)], count: 1 }), /templates\[0\].length/);
    await assert.rejects(generate(gen, { templates: [new Uint8Array(60)], count: -1 }), /for count/);
    await assert.rejects(generate(gen, { templates: [new Uint8Array(60)], count: 5, sendTimes: new Float64Array(2) }), /sendTimes/);
  });
});
