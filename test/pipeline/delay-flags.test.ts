// The pipeline's per-rule delay flags: computed ahead of a reload's swap in bounded steps,
// and what configure() then installs (the same array, so the swap walks no rule).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delayFlags, delayFlagsSteps } from '../../src/pipeline/pipeline';
import { config, iface } from '../policy/fixtures/build';
import type { Rule } from '../../src/config/types';

test('delay flags: computed in steps of at most `slice` rules, then cached per interface block', () => {
  const rules = Array.from({ length: 10_000 }, (_, i) => ({ delay: i % 7 === 0 ? { count: 2, window: 1 } : null }) as unknown as Rule);
  const ifc = config([iface('eth0', rules)]).interfaces[0]!;
  const steps = [...delayFlagsSteps(ifc, 1024)];
  assert.equal(steps.length, 9, 'ten thousand rules in steps of 1 024');
  assert.ok(steps.every((n) => n <= 1024));
  const flags = delayFlags(ifc);
  assert.equal(flags.length, 10_000);
  for (let i = 0; i < 10_000; i += 997) assert.equal(flags[i], i % 7 === 0 ? 1 : 0, `rule ${i}`);
  (rules as unknown[]).length = 0; // a second walk would now find no rule
  assert.equal(delayFlags(ifc), flags, 'the computed flags are reused');
  assert.equal([...delayFlagsSteps(ifc, 1024)].length, 0);
});
