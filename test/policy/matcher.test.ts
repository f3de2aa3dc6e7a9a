// The indexed matcher agrees with a first-match linear scan, for both families.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RuleMatcher } from '../../src/policy/matcher';
import { Family, mask4, prefixContains, type Ip6 } from '../../src/net/addr';
import type { Rule } from '../../src/config/types';
import { rule, ip4, ip6 } from './fixtures/build';

function linear(rules: Rule[], family: Family, src: number | Ip6, tgt: number | Ip6): number {
  const s = family === Family.V4 ? { family, v4: src as number } : { family, v6: src as Ip6 };
  const t = family === Family.V4 ? { family, v4: tgt as number } : { family, v6: tgt as Ip6 };
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.source.family !== family) continue;
    if (prefixContains(r.source, s as never) && prefixContains(r.target, t as never)) return i;
  }
  return -1;
}

function v4rule(addrS: number, bitsS: number, addrT: number, bitsT: number): Rule {
  const r = rule(1, '0.0.0.0/0', '0.0.0.0/0', 'tell');
  r.source = { family: Family.V4, v4: (addrS & mask4(bitsS)) >>> 0, bits: bitsS };
  r.target = { family: Family.V4, v4: (addrT & mask4(bitsT)) >>> 0, bits: bitsT };
  return r;
}

// Addresses drawn from a small space so that prefixes overlap often.
const addr4 = fc.integer({ min: 0, max: 63 }).map((x) => (0xc6336400 | x) >>> 0);
const bits4 = fc.constantFrom(0, 24, 26, 28, 30, 31, 32);

test('IPv4: first match equals a linear scan (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(addr4, bits4, addr4, bits4), { minLength: 0, maxLength: 40 }),
      fc.array(fc.tuple(addr4, addr4), { minLength: 1, maxLength: 20 }),
      (specs, queries) => {
        const rules = specs.map(([s, bs, t, bt]) => v4rule(s, bs, t, bt));
        const m = new RuleMatcher(Family.V4, rules);
        for (const [s, t] of queries) assert.equal(m.match4(s, t), linear(rules, Family.V4, s, t));
      },
    ),
    { numRuns: 300 },
  );
});

test('IPv6: first match equals a linear scan (property)', () => {
  const a6 = fc.integer({ min: 0, max: 15 }).map((x) => ip6(`2001:db8::${x.toString(16)}`));
  const b6 = fc.constantFrom(0, 32, 64, 124, 126, 127, 128);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(a6, b6, a6, b6), { maxLength: 30 }),
      fc.array(fc.tuple(a6, a6), { minLength: 1, maxLength: 20 }),
      (specs, queries) => {
        const rules = specs.map(([s, bs, t, bt]) => {
          const r = rule(1, '::/0', '::/0', 'tell');
          const net = (a: Ip6, b: number) => {
            const o = new Uint32Array(4);
            for (let w = 0; w < 4; w++) {
              const k = b - 32 * w;
              o[w] = (a[w]! & (k >= 32 ? 0xffffffff : k <= 0 ? 0 : (0xffffffff << (32 - k)) >>> 0)) >>> 0;
            }
            return o;
          };
          r.source = { family: Family.V6, v6: net(s, bs), bits: bs };
          r.target = { family: Family.V6, v6: net(t, bt), bits: bt };
          return r;
        });
        const m = new RuleMatcher(Family.V6, rules);
        for (const [s, t] of queries) assert.equal(m.match6(s, t), linear(rules, Family.V6, s, t));
      },
    ),
    { numRuns: 200 },
  );
});

test('rules of the other family are not indexed, and indices stay those of the file', () => {
  const rules = [
    rule(1, '2001:db8::/32', '2001:db8::/32', 'ignore'),
    rule(2, '198.51.100.0/24', '198.51.100.0/24', 'tell'),
    rule(3, '::/0', '::/0', 'self'),
  ];
  const m4 = new RuleMatcher(Family.V4, rules);
  const m6 = new RuleMatcher(Family.V6, rules);
  assert.equal(m4.match4(ip4('198.51.100.7'), ip4('198.51.100.9')), 1);
  assert.equal(m4.match4(ip4('192.0.2.7'), ip4('198.51.100.9')), -1);
  assert.equal(m6.match6(ip6('2001:db8::1'), ip6('2001:db8::2')), 0);
  assert.equal(m6.match6(ip6('fe80::1'), ip6('2001:db8::2')), 2);
  assert.equal(m4.rules, 1);
  assert.equal(m6.rules, 2);
});

test('100 000 host rules behind 0.0.0.0/0 sources are one group: one probe per lookup', () => {
  const rules: Rule[] = [];
  for (let i = 0; i < 100000; i++) rules.push(v4rule(0, 0, (0x0a000000 + i) >>> 0, 32));
  rules.push(v4rule(0, 0, 0, 0));
  const m = new RuleMatcher(Family.V4, rules);
  assert.equal(m.groups, 2);
  assert.equal(m.match4(ip4('192.0.2.1'), 0x0a000000 + 77777), 77777);
  assert.equal(m.match4(ip4('192.0.2.1'), ip4('203.0.113.1')), 100000);
});
