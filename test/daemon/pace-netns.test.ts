// `ring pace` reaches the daemon's rings, on one ring (real.ts) and with workers
// (workers/thread.ts): under the flood test's rate (20 000 NS/s from spoofed sources, each
// learned), `ring pace 10000` makes small batches wait (ring.pacedWaits > 0) and the
// default (off) makes none. Bounded: 2 x 30 000 frames per case, 2001:db8::/32 only.
// Needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from '../../src/engine/generator';
import { parseIp6 } from '../../src/net/addr';
import { buildNsResolve } from '../../src/wire/build';
import { generatorPair, templateFrame } from '../helpers/generator-pair';
import { needsNetns, waitFor } from '../helpers/netns';
import { ctlJson, startResponder } from './fixtures/responder';

const RATE = 20_000;
const FRAMES = 30_000;
const SOURCES = 3_000;

/** NS for a target no rule covers, from sources inside the tell prefix (the filter passes them; each is learned). */
function floodTemplates(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < SOURCES; k++) {
    const src = parseIp6(`2001:db8:1::3:0:${k.toString(16)}`)!;
    out.push(templateFrame((b) => buildNsResolve(b, 0, -1, 0x020200000000 + k, src, parseIp6('2001:db8:4::1')!)));
  }
  return out;
}

interface RingFigures { framesReceived: number; batches: number; pacedWaits: number; kernelDrops: number }

/** Starts the daemon with `ring` (a ring line or none) and `workers`, floods it, returns its ring counters. */
async function flood(t: { after(fn: () => void): void }, tag: string, workers: number, ring: string): Promise<RingFigures & { why: string }> {
  const conf = `workers ${workers}\ncache\n tablesize 1000\nend\ninterface c0\n${ring}rule ::/0 2001:db8:1::/64 tell\nend\n`;
  const { sock, tx } = await startResponder(generatorPair(t, tag), conf);
  const res = await generate(tx, { templates: floodTemplates(), count: FRAMES, ratePps: RATE });
  assert.equal(res.sent, FRAMES);
  const ringOf = (): RingFigures => (ctlJson(sock, ['show', 'stats']) as { interfaces: { ring: RingFigures }[] }).interfaces[0]!.ring;
  await waitFor(() => ringOf().framesReceived + ringOf().kernelDrops >= FRAMES, 5000);
  const r = ringOf();
  const why = `workers ${workers}, ${ring.trim() || 'no ring line'}: ${r.framesReceived} frames in ${r.batches} batches, ${r.pacedWaits} paced waits, ${r.kernelDrops} kernel drops`;
  return { ...r, why };
}

for (const workers of [1, 2]) {
  test(`workers ${workers}: 'ring pace 10000' waits under a 20 000/s flood, the default (off) never`, { skip: needsNetns(), timeout: 120_000 }, async (t) => {
    let paced: RingFigures & { why: string } | undefined;
    let off: RingFigures & { why: string } | undefined;
    await t.test('pace 10000', async (st) => { paced = await flood(st, `pd${workers}`, workers, ' ring pace 10000\n'); });
    await t.test('default (off)', async (st) => { off = await flood(st, `po${workers}`, workers, ''); });
    const why = `${paced!.why}; ${off!.why}`;
    t.diagnostic(why);
    // Both daemons received the flood (not a run where the frames never arrived).
    assert.ok(paced!.framesReceived >= FRAMES * 0.9, why);
    assert.ok(off!.framesReceived >= FRAMES * 0.9, why);
    assert.ok(paced!.pacedWaits > 0, why);
    assert.equal(off!.pacedWaits, 0, why);
  });
}
