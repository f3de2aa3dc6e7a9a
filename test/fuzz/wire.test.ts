// A bounded fuzz run of the wire pipeline in every `npm test`: a fixed seed plus one that
// changes per run (printed, and NP_FUZZ_SEED=N replays it). The long run is bench/fuzz.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FuzzFailure, fuzzWire } from './wire-fuzz';

const FRAMES = Number(process.env.NP_FUZZ_FRAMES ?? 40_000);

for (const seed of [1, Number(process.env.NP_FUZZ_SEED ?? (Date.now() % 1_000_000))]) {
  test(`wire fuzz, seed ${seed}: ${FRAMES} frames, no exception, no read outside a frame, sent frames well-formed`, (t) => {
    try {
      const r = fuzzWire(seed, FRAMES);
      t.diagnostic(`seed ${seed}: ${r.frames} frames, ${r.sent} sent, ${r.answers} answers (replay: NP_FUZZ_SEED=${seed})`);
      assert.ok(r.sent > FRAMES / 50, `the fuzzer reaches the answering paths (${r.sent} frames sent)`);
    } catch (err) {
      if (err instanceof FuzzFailure) t.diagnostic(err.message);
      throw err;
    }
  });
}
