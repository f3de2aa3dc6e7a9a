// The hot path allocates nothing per request: 200 000 frames per case through the real
// Pipeline + Policy (bench/alloc.ts harness: HostEnvironment, RingOutput, in-memory rings),
// bytes attributed to Pipeline.onBatch and below by V8's sampling heap profiler. The
// profiler counts bytes, not time, so load does not move the figure; what can is a
// function not yet optimized (or reoptimized after a deopt) while the case runs, hence up
// to three measurements per case, the lowest kept. One boxed number per request is 16 B.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, loadTree, measure, type CaseResult, type Harness, type Tree } from '../../bench/alloc';
import { buildCase, CASE_NAMES, type AllocCase, type Family } from '../../bench/alloc-cases';
import type { Decision } from '../../src/policy';
import type { FrameView } from '../../src/wire/view';

/** Bytes per request below which a case counts as allocation-free (a box on 1 request in 16 exceeds it). */
const LIMIT = 1;
const FRAMES = 200_000;
const BATCH = 256;
/** Frames per case cycle: enough distinct senders and targets for every path, little memory. */
const CYCLE = 20_000;

function setup(tree: Tree, families: Family[]): { c: AllocCase; h: Harness }[] {
  const all = families.flatMap((f) => CASE_NAMES.map((n) => buildCase(f, n, CYCLE)));
  const hs = all.map((c) => ({ c, h: harness(tree, c, BATCH) }));
  // Warm every case first, as a daemon seeing all of them would compile its code.
  for (const n of [100_000, 10_000]) for (const { h } of hs) for (let f = 0; f < n; f += BATCH) h.step();
  return hs;
}

async function lowest(h: Harness, c: AllocCase): Promise<CaseResult> {
  let best = await measure(h, c, FRAMES, BATCH, true);
  for (let attempt = 1; attempt < 3 && best.hot >= LIMIT; attempt++) {
    const r = await measure(h, c, FRAMES, BATCH, true);
    if (r.hot < best.hot) best = r;
  }
  return best;
}

const describe = (r: CaseResult): string =>
  `${r.family} ${r.name}: ${r.hot.toFixed(2)} B/request (${Object.keys(r.reasons).join(', ')}); ` +
  r.sites.slice(0, 3).map((s) => `${s.bytesPerRequest.toFixed(1)} ${s.stack}`).join(' | ');

test('every decision path, answered and silent, allocates < 1 byte per request below Pipeline.onBatch', { timeout: 600_000 }, async (t) => {
  const tree = loadTree();
  for (const { c, h } of setup(tree, ['arp', 'ns'])) {
    const r = await lowest(h, c);
    t.diagnostic(describe(r));
    assert.ok(r.frames >= FRAMES - BATCH, 'the loop ran');
    // The case decided what its name says (the harness is not silently answering nothing).
    const main = Object.entries(r.reasons).sort((a, b) => b[1] - a[1])[0]![0];
    const expect: Record<string, string[]> = {
      self: ['rule'], tell: ['rule'], redirect: ['rule'], no_rule: ['no_rule'], rate_limited: ['rate_limited'],
      delay: ['delayed', 'rule'], learned: ['self_request', 'not_request'],
    };
    assert.ok(expect[c.name]!.includes(main), `${c.family} ${c.name}: decided ${JSON.stringify(r.reasons)}`);
    if (c.name === 'self' || c.name === 'tell' || c.name === 'redirect') assert.ok(r.replies >= FRAMES * 0.99, `${c.family} ${c.name} answered`);
    assert.ok(r.hot < LIMIT, describe(r));
  }
});

/** A Policy that keeps one small object per decision reachable: what the test above must catch. */
let kept: unknown = null;

test('the measurement sees an allocation per request (the bound above can fail)', { timeout: 300_000 }, async () => {
  const tree = loadTree();
  class Allocating extends tree.policy.Policy {
    override handle(f: FrameView, ifIndex: number, now?: number): Decision {
      kept = { ifIndex, f };
      return super.handle(f, ifIndex, now);
    }
  }
  const leaky: Tree = { ...tree, policy: { ...tree.policy, Policy: Allocating } };
  const c = buildCase('arp', 'self', CYCLE);
  const h = harness(leaky, c, BATCH);
  for (let f = 0; f < 100_000; f += BATCH) h.step();
  const r = await measure(h, c, FRAMES, BATCH, true);
  assert.ok(kept !== null);
  assert.ok(r.hot >= 16, `an object per request measures ${r.hot.toFixed(1)} B/request`);
  // Attributed to the batch loop (handle is inlined into onBatch, so its frame is onBatch's).
  assert.ok(r.sites[0]!.stack.includes('onBatch'), `attributed to the loop: ${r.sites.map((s) => s.stack).join(' | ')}`);
});
