// A bounded fuzz run of the configuration parser in every `npm test`: a fixed seed and one
// that changes per run (printed; NP_FUZZ_SEED=N replays it). The long run is bench/fuzz.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigFuzzFailure, fuzzConfig } from './config-fuzz';

const CASES = Number(process.env.NP_FUZZ_CONFIGS ?? 1000);

for (const seed of [1, Number(process.env.NP_FUZZ_SEED ?? (Date.now() % 1_000_000))]) {
  test(`config fuzz, seed ${seed}: ${CASES} files, only FILE:LINE:COL errors, accepted files run`, (t) => {
    try {
      const r = fuzzConfig(seed, CASES);
      t.diagnostic(`seed ${seed}: ${r.valid} valid, ${r.errors} refused (replay: NP_FUZZ_SEED=${seed})`);
      assert.ok(r.valid > CASES / 20 && r.errors > CASES / 20, 'both outcomes are exercised');
    } catch (err) {
      if (err instanceof ConfigFuzzFailure) t.diagnostic(err.message);
      throw err;
    }
  });
}
