// The same comparison as kernel.test.ts, through the daemon's own ring engine: the
// corpus is sent from a peer namespace and received by Ring.open(if, { filter: compiled, netns }).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, plainFilter } from '../../src/bpf/compile';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, type BpfProgram, type RingCounters } from '../../src/engine/types';
import { Ring } from '../../src/engine/ring';
import { Lab, needsNetns, waitFor } from '../helpers/netns';
import { arpRequest, buildCorpus } from './fixtures/corpus';
import { cache, iface, rule, IGNORE } from './fixtures/configs';
import { AFPACKET_PY, interpreterVerdicts, kernelPair } from './fixtures/kernel';

const skip = needsNetns();

/** Receives `frames` through a ring with `program`; returns the source MACs seen and the ring's counters. */
async function throughRing(lab: Lab, pair: ReturnType<typeof kernelPair>, program: BpfProgram, frames: readonly Uint8Array[]): Promise<{ macs: Set<string>; counters: RingCounters }> {
  const r = Ring.open(pair.rxIf, { filter: program, netns: lab.nsPath(pair.rxNs) });
  const macs = new Set<string>();
  try {
    r.start((batch) => {
      for (let i = 0; i < batch.count; i++) {
        const off = batch.desc[i * DESC_STRIDE + DESC_OFFSET]!;
        const len = batch.desc[i * DESC_STRIDE + DESC_LENGTH]!;
        if (len >= 12) macs.add(Buffer.from(batch.buf.subarray(off + 6, off + 12)).toString('hex'));
      }
    });
    const hex = frames.map((f) => Buffer.from(f).toString('hex')).join('\n');
    lab.exec(pair.txNs, 'python3', [AFPACKET_PY, 'tx', pair.txIf], { input: `${hex}\n` });
    let last = -1;
    // Settle: stop when the received count has not moved for 200 ms (bounded at 3 s).
    await waitFor(() => {
      const n = macs.size;
      const stable = n === last;
      last = n;
      return stable && n > 0;
    }, 3000, 200);
    return { macs, counters: r.counters() };
  } finally {
    r.close();
  }
}

test('ring engine: the compiled filter attached by Ring.open agrees with our interpreter frame by frame', { skip, timeout: 30000 }, async () => {
  const corpus = buildCorpus();
  const frames = corpus.map((c) => c.data);
  const lab = new Lab('rng');
  try {
    const pair = kernelPair(lab);
    const programs: BpfProgram[] = [
      compileFilter(iface('eth0', [rule(3, '192.0.2.0/25', IGNORE), rule(4, '192.0.2.0/24'), rule(5, '2001:db8:1::/48')], { vlans: [0, 10] }), cache(0)).program,
      compileFilter(iface('eth0', [rule(3, '203.0.113.0/28')], { uplinks: ['fe80::1'] }), cache(300)).program,
      plainFilter().program,
    ];
    for (const program of programs) {
      const want = interpreterVerdicts(program, frames);
      const got = await throughRing(lab, pair, program, frames);
      const diff = corpus.flatMap((c, i) => {
        const k = got.macs.has(Buffer.from(c.data.subarray(6, 12)).toString('hex'));
        return k === want[i] ? [] : [`${c.name}: ring ${k}, ours ${want[i]}`];
      });
      assert.deepEqual(diff, []);
      assert.equal(got.counters.framesReceived, want.filter(Boolean).length);
    }
  } finally {
    lab.destroy();
  }
});

test('ring engine: with one prefix configured, only its requests reach user space (ring counters)', { skip, timeout: 30000 }, async () => {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) frames.push(arpRequest(i, [], '203.0.113.254', i % 10 === 0 ? `192.0.2.${i % 250}` : `198.51.100.${i % 250}`));
  const lab = new Lab('rn1');
  try {
    const pair = kernelPair(lab);
    const got = await throughRing(lab, pair, compileFilter(iface('eth0', [rule(3, '192.0.2.0/24')]), cache(0)).program, frames);
    assert.equal(got.counters.framesReceived, 20);
    assert.equal(got.counters.kernelPackets, 20);
    assert.equal(got.macs.size, 20);
  } finally {
    lab.destroy();
  }
});
