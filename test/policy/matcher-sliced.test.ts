// A matcher built in slices (the reload's path) decides exactly as one built in one go, and
// no slice does more than its budget of rules (counted, not timed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildMatcher, RuleMatcher } from '../../src/policy/matcher';
import { InterfaceTable } from '../../src/policy/interfaces';
import { SliceBudget } from '../../src/policy/slices';
import { RELOAD_SLICE_RULES } from '../../src/daemon/reload';
import { Family, mask4, type Ip6 } from '../../src/net/addr';
import type { Rule } from '../../src/config/types';
import { config, iface, rule } from './fixtures/build';

/** Runs a sliced build, checking every step's count against the budget; returns the value and the steps. */
function drive<T>(steps: Generator<number, T>, budget: number): { value: T; steps: number; units: number } {
  let n = 0;
  let units = 0;
  for (;;) {
    const r = steps.next();
    if (r.done) return { value: r.value, steps: n, units };
    assert.ok(r.value > 0 && r.value <= budget, `a slice did ${r.value} units, budget ${budget}`);
    n++;
    units += r.value;
  }
}

function v6net(x: number, bits: number): Ip6 {
  const o = new Uint32Array([0x20010db8, 0, 0, x >>> 0]);
  for (let w = 0; w < 4; w++) {
    const k = bits - 32 * w;
    const m = k >= 32 ? 0xffffffff : k <= 0 ? 0 : (0xffffffff << (32 - k)) >>> 0;
    o[w] = (o[w]! & m) >>> 0;
  }
  return o;
}

/** A rule of either family from small address spaces, so prefixes overlap and shadow often. */
function mkRule(v6: boolean, s: number, bs: number, t: number, bt: number): Rule {
  if (v6) {
    const r = rule(1, '::/0', '::/0', 'tell');
    r.source = { family: Family.V6, v6: v6net(s, 96 + bs), bits: 96 + bs };
    r.target = { family: Family.V6, v6: v6net(t, 96 + bt), bits: 96 + bt };
    return r;
  }
  const r = rule(1, '0.0.0.0/0', '0.0.0.0/0', 'tell');
  const base = 0xc6336400;
  r.source = { family: Family.V4, v4: ((base | s) & mask4(bs)) >>> 0, bits: bs };
  r.target = { family: Family.V4, v4: ((base | t) & mask4(bt)) >>> 0, bits: bt };
  return r;
}

const addr = fc.integer({ min: 0, max: 63 });
const bits = fc.constantFrom(0, 24, 26, 28, 30, 31, 32);

test('sliced build: same first match as the one-shot build, every slice within budget (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), addr, bits, addr, bits), { maxLength: 60 }),
      fc.array(fc.tuple(addr, addr), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 20 }),
      (specs, queries, slice) => {
        const rules = specs.map(([v6, s, bs, t, bt]) => mkRule(v6, s, bs, t, bt));
        for (const family of [Family.V4, Family.V6]) {
          const one = new RuleMatcher(family, rules);
          const { value: sliced, units } = drive(buildMatcher(family, rules, new SliceBudget(slice)), slice);
          assert.ok(units >= rules.length - slice, 'every rule counted');
          assert.equal(sliced.rules, one.rules);
          assert.equal(sliced.targetLengths, one.targetLengths);
          assert.equal(sliced.groups, one.groups);
          for (const [s, t] of queries) {
            if (family === Family.V4) assert.equal(sliced.match4(0xc6336400 | s, 0xc6336400 | t), one.match4(0xc6336400 | s, 0xc6336400 | t));
            else assert.equal(sliced.match6(v6net(s, 128), v6net(t, 128)), one.match6(v6net(s, 128), v6net(t, 128)));
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

test(`a reload of 30 000 rules is built in steps of at most ${RELOAD_SLICE_RULES} rules`, () => {
  const rules: Rule[] = [];
  for (let i = 0; i < 30000; i++) rules.push(mkRule(i % 3 === 0, i & 63, 32, (i >> 6) & 63, i % 5 === 0 ? 28 : 32));
  const cfg = config([iface('eth0', rules), iface('eth1', rules.slice(0, 5000))]);
  const table = new InterfaceTable();
  const one = new InterfaceTable().build(cfg);
  const { value: ifs, steps } = drive(table.buildSteps(cfg, RELOAD_SLICE_RULES), RELOAD_SLICE_RULES);
  // ruleInfo, the members scan and two levels per family: about 7 units per rule.
  assert.ok(steps >= Math.floor((35000 * 4) / RELOAD_SLICE_RULES), `only ${steps} steps`);
  assert.equal(ifs.length, 2);
  for (let k = 0; k < 2; k++) {
    assert.deepEqual(ifs[k]!.ruleInfo, one[k]!.ruleInfo);
    assert.equal(ifs[k]!.m4.rules, one[k]!.m4.rules);
    assert.equal(ifs[k]!.m6.rules, one[k]!.m6.rules);
    for (let q = 0; q < 2000; q++) {
      const s = q & 63;
      const t = (q * 7) & 63;
      assert.equal(ifs[k]!.m4.match4(0xc6336400 | s, 0xc6336400 | t), one[k]!.m4.match4(0xc6336400 | s, 0xc6336400 | t));
      assert.equal(ifs[k]!.m6.match6(v6net(s, 128), v6net(t, 128)), one[k]!.m6.match6(v6net(s, 128), v6net(t, 128)));
    }
  }
  // Nothing was put in force by the steps.
  assert.equal(table.list.length, 0);
});
