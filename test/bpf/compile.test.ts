import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { aggregate6, compileFilter, mergeRanges, plainFilter } from '../../src/bpf/compile';
import { prepare, runFilter } from '../../src/bpf/interp';
import { interpreterVerdicts } from './fixtures/kernel';
import { validateProgram } from '../../src/bpf/program';
import { formatIp4, formatIp6, mask4, prefixContains, Family, type Ip6 } from '../../src/net/addr';
import type { BpfProgram } from '../../src/engine/types';
import type { Rule } from '../../src/config/types';
import { arpRequest, buildCorpus, nsFrame } from './fixtures/corpus';
import { cache, iface, rule, IGNORE } from './fixtures/configs';
import { ActionKind } from '../../src/config/types';
import { parseIp } from '../../src/net/addr';

function passes(program: BpfProgram, frame: Uint8Array): boolean {
  return interpreterVerdicts(program, [frame])[0]!;
}

function passedNames(program: BpfProgram): string[] {
  return buildCorpus().filter((c) => passes(program, c.data)).map((c) => c.name);
}

test('merging: ranges join when adjacent or overlapping; IPv6 prefixes aggregate', () => {
  assert.deepEqual(mergeRanges([[10, 20], [0, 4], [5, 9], [15, 30], [40, 41]]), [[0, 30], [40, 41]]);
  const big = (s: string): bigint => BigInt(`0x${s}`);
  const agg = aggregate6([
    { v: big('20010db8000000000000000000000000'), bits: 33 },
    { v: big('20010db8800000000000000000000000'), bits: 33 },
    { v: big('20010db8000100000000000000000005'), bits: 128 },
    { v: big('20010db9000000000000000000000000'), bits: 64 },
  ]);
  assert.deepEqual(agg.map((p) => `${p.v.toString(16)}/${p.bits}`), ['20010db8000000000000000000000000/32', '20010db9000000000000000000000000/64']);
});

test('cache off: only ARP requests and NS for configured targets pass, on every tag layout', () => {
  const f = compileFilter(iface('eth0', [rule(3, '192.0.2.0/24'), rule(4, '2001:db8:1::/48')]), cache(0));
  validateProgram(f.program);
  assert.equal(f.fallback, false);
  const names = passedNames(f.program);
  const base = (n: string): string => n.replace(/ \[.*\]$/, '');
  const expected = ['arp-request 192.0.2.1', 'arp-request 192.0.2.77', 'arp-request 192.0.2.200', 'arp-probe 192.0.2.50',
    'ns 2001:db8:1::1 from fe80::1', 'ns 2001:db8:1::1 from fe80::2', 'ns 2001:db8:1:ffff::9 from fe80::1', 'ns 2001:db8:1:ffff::9 from fe80::2', 'ns-dad 2001:db8:1::5'];
  // Every tag layout (none, 802.1Q stripped by the kernel, QinQ with one tag left in band) passes the same set.
  assert.deepEqual([...new Set(names.map(base))].sort(), expected.sort());
  assert.equal(names.length, expected.length * 5);
});

test('an ignore rule before a broader rule does not narrow the filter (first-match is the policy\'s business)', () => {
  const f = compileFilter(iface('eth0', [rule(3, '192.0.2.0/25', IGNORE, '192.0.2.0/24'), rule(4, '192.0.2.0/24'), rule(5, '198.51.100.0/24', IGNORE)]), cache(0));
  assert.ok(passes(f.program, arpRequest(1, [], '192.0.2.254', '192.0.2.1')), 'target in the ignore prefix is still reachable by rule 4');
  assert.ok(!passes(f.program, arpRequest(1, [], '192.0.2.254', '198.51.100.1')), 'a prefix only ignore rules cover is dropped');
});

test('statics count as targets; vlans list passes only those ids; uplinks restrict NS sources', () => {
  const f = compileFilter(iface('eth0', [rule(3, '2001:db8:1::/48')], { vlans: [10, 20], uplinks: ['fe80::2'], statics: ['203.0.113.9'] }), cache(0));
  const names = passedNames(f.program);
  // Innermost tag decides: [q20/q11] has 20 stripped by the kernel but 11 in band, so it drops.
  assert.deepEqual(names.sort(), [
    'arp-request 203.0.113.9 [q10]', 'arp-request 203.0.113.9 [ad100/q10]',
    'ns 2001:db8:1::1 from fe80::2 [q10]', 'ns 2001:db8:1::1 from fe80::2 [ad100/q10]',
    'ns 2001:db8:1:ffff::9 from fe80::2 [q10]', 'ns 2001:db8:1:ffff::9 from fe80::2 [ad100/q10]',
  ].sort());
});

test('vlan id 0 in the list stands for untagged frames', () => {
  const f = compileFilter(iface('eth0', [rule(3, '192.0.2.0/24')], { vlans: [0, 30] }), cache(0));
  assert.deepEqual(passedNames(f.program).filter((n) => n.startsWith('arp-request 192.0.2.1')).sort(), ['arp-request 192.0.2.1', 'arp-request 192.0.2.1 [q30]']);
});

test('cache on: every ARP request and reply passes (they teach the cache); ND only where the cache is read or a target is proxied', () => {
  const never = ['arp-htype6 192.0.2.1', 'arp-truncated'];
  const arp = buildCorpus().map((c) => c.name).filter((n) => !n.includes('[') && n.startsWith('arp') && !never.includes(n));
  const f = compileFilter(iface('eth0', [rule(3, '2001:db8:1::/48')], { uplinks: ['fe80::1'] }), cache(300));
  // No tell or redirect rule reads the cache for IPv6: NS only for proxied targets from the uplink, no NA.
  assert.deepEqual(passedNames(f.program).filter((n) => !n.includes('[')).sort(),
    [...arp, 'ns 2001:db8:1::1 from fe80::1', 'ns 2001:db8:1:ffff::9 from fe80::1'].sort());
  // A redirect via fe80::2 reads the cache for fe80::2: its solicitations teach its MAC
  // whatever they ask for.
  const g = compileFilter(iface('eth0', [rule(3, '2001:db8:1::/48', { kind: ActionKind.Redirect, via: parseIp('fe80::2')! })],
    { uplinks: ['fe80::1'] }), cache(300));
  assert.deepEqual(passedNames(g.program).filter((n) => !n.includes('[')).sort(), [...arp,
    'ns 2001:db8:1::1 from fe80::1', 'ns 2001:db8:1:ffff::9 from fe80::1',
    'ns 2001:db8:1::1 from fe80::2', 'ns 2001:db8:1:ffff::9 from fe80::2', 'ns 2001:db8:2::1 from fe80::2',
    'ns 2001:db8:3::5 from fe80::2', 'ns 2001:db8:3::6 from fe80::2'].sort());
});

test('cache off: replies pass only from what redirect/tell rules resolve', () => {
  const f = compileFilter(iface('eth0', [
    rule(3, '198.51.100.0/24', { kind: ActionKind.Redirect, via: parseIp('192.0.2.9')! }),
    rule(4, '2001:db8:3::/64', { kind: ActionKind.Redirect, via: parseIp('2001:db8:1::7')! }),
  ]), cache(0));
  const names = passedNames(f.program).filter((n) => !n.includes('['));
  assert.deepEqual(names.sort(), ['arp-request 198.51.100.5', 'arp-request 198.51.100.130', 'arp-gratuitous 198.51.100.7', 'arp-reply 192.0.2.9',
    'ns 2001:db8:3::5 from fe80::1', 'ns 2001:db8:3::5 from fe80::2', 'ns 2001:db8:3::6 from fe80::1', 'ns 2001:db8:3::6 from fe80::2', 'na 2001:db8:1::7'].sort());
  const g = compileFilter(iface('eth0', [rule(3, '203.0.113.0/24', { kind: ActionKind.Tell })]), cache(0));
  assert.deepEqual(passedNames(g.program).filter((n) => !n.includes('[')).sort(), ['arp-request 203.0.113.9', 'arp-request 203.0.113.200', 'arp-gratuitous-reply 203.0.113.4'].sort());
});

test('nothing to answer and no learning: the program drops everything', () => {
  const f = compileFilter(iface('eth0', [rule(3, '192.0.2.0/24', IGNORE)]), cache(0));
  assert.equal(f.program.length, 1);
  assert.deepEqual(passedNames(f.program), []);
});

test('over 4096 instructions: falls back to the plain ARP+NS filter and says so', () => {
  const rules: Rule[] = [];
  for (let i = 0; i < 2100; i++) rules.push(rule(i + 1, `${formatIp4(0xc6120000 + 2 * i)}/32`)); // 198.18.0.0/15 (benchmarking range), every other address
  const warnings: string[] = [];
  const f = compileFilter(iface('eth9', rules), cache(0), { log: { warn: (_o, m) => warnings.push(m) } });
  assert.equal(f.fallback, true);
  assert.ok(f.compiledLength > 4096);
  assert.deepEqual(f.program, plainFilter().program);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /eth9 needs \d+ instructions, more than the kernel's 4096/);
  // Just under the limit still compiles, with every jump in reach (chunked exits).
  const g = compileFilter(iface('eth9', rules.slice(0, 1900)), cache(0));
  assert.equal(g.fallback, false);
  validateProgram(g.program);
  assert.ok(passes(g.program, arpRequest(1, [], '192.0.2.1', formatIp4(0xc6120000 + 2 * 1899))));
  assert.ok(!passes(g.program, arpRequest(1, [], '192.0.2.1', formatIp4(0xc6120000 + 2 * 1899 + 1))));
  assert.ok(passes(g.program, arpRequest(1, [], '192.0.2.1', formatIp4(0xc6120000 + 2 * 950))));
  // Every configured address passes and every address between them drops, across all chunks.
  const prog = prepare(g.program);
  const frame = arpRequest(1, [], '192.0.2.1', '192.0.2.1');
  for (let a = 0xc6120000 - 2; a < 0xc6120000 + 2 * 1900 + 2; a++) {
    frame[38] = a >>> 24;
    frame[39] = (a >>> 16) & 0xff;
    frame[40] = (a >>> 8) & 0xff;
    frame[41] = a & 0xff;
    const want = a >= 0xc6120000 && a < 0xc6120000 + 2 * 1900 && (a - 0xc6120000) % 2 === 0;
    assert.equal(runFilter(prog, frame, frame.length) > 0, want, formatIp4(a));
  }
});

test('many IPv6 prefixes: chunked tests keep every jump in reach and stay exact', () => {
  const rules: Rule[] = [];
  for (let i = 0; i < 150; i++) rules.push(rule(i + 1, `2001:db8:${(2 * i).toString(16)}::/${i % 3 === 0 ? 48 : i % 3 === 1 ? 64 : 127}`));
  const f = compileFilter(iface('eth0', rules), cache(0));
  validateProgram(f.program);
  assert.equal(f.fallback, false);
  assert.ok(f.program.length > 600, `${f.program.length} instructions: more than one chunk`);
  for (let i = 0; i < 150; i++) {
    assert.ok(passes(f.program, nsFrame(1, [], 'fe80::1', `2001:db8:${(2 * i).toString(16)}::1`)), `prefix ${i}`);
    assert.ok(!passes(f.program, nsFrame(1, [], 'fe80::1', `2001:db8:${(2 * i + 1).toString(16)}::1`)), `gap ${i}`);
  }
});

const v4Prefix = fc.tuple(fc.constantFrom(0xc0000200, 0xc6336400, 0xcb007100, 0xc6120000), fc.integer({ min: 16, max: 32 }), fc.nat()).map(([base, bits, r]) => {
  const v = ((base + (r % 65536)) & mask4(bits)) >>> 0;
  return { v, bits };
});

test('property: an IPv4 request passes iff some non-ignore rule\'s target prefix covers its target', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(v4Prefix, fc.boolean()), { minLength: 1, maxLength: 8 }), fc.array(fc.oneof(fc.nat(), fc.integer({ min: 0xc0000200, max: 0xc00002ff }), fc.integer({ min: 0xc6120000, max: 0xc613ffff })), { minLength: 1, maxLength: 20 }), (specs, targets) => {
      const rules = specs.map(([p, ign], i) => rule(i + 1, `${formatIp4(p.v)}/${p.bits}`, ign ? IGNORE : undefined));
      const f = compileFilter(iface('eth0', rules), cache(0));
      const prog = prepare(f.program);
      for (const t of targets) {
        const target = t >>> 0;
        const want = rules.some((r) => r.action.kind !== 'ignore' && prefixContains(r.target, { family: Family.V4, v4: target }));
        const frame = arpRequest(1, [], '192.0.2.254', formatIp4(target));
        assert.equal(runFilter(prog, frame, frame.length) > 0, want, `${formatIp4(target)} with ${rules.map((r) => `${r.action.kind} ${r.target.family === Family.V4 ? formatIp4(r.target.v4) : ''}/${r.target.bits}`).join(', ')}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('property: an IPv6 NS passes iff some non-ignore rule\'s target prefix covers its target', () => {
  const word = fc.oneof(fc.constant(0), fc.constant(1), fc.nat());
  const ip6 = fc.tuple(fc.constantFrom(0x20010db8), fc.oneof(fc.constantFrom(0, 1, 0x10000), word), word, word).map((w) => Uint32Array.from(w.map((x) => x >>> 0)) as Ip6);
  const pfx = fc.tuple(ip6, fc.integer({ min: 32, max: 128 })).map(([a, bits]) => {
    const n = new Uint32Array(4);
    for (let w = 0, b = bits; w < 4; w++, b -= 32) n[w] = (a[w]! & (b >= 32 ? 0xffffffff : b <= 0 ? 0 : mask4(b))) >>> 0;
    return `${formatIp6(n)}/${bits}`;
  });
  fc.assert(
    fc.property(fc.array(fc.tuple(pfx, fc.boolean()), { minLength: 1, maxLength: 6 }), fc.array(ip6, { minLength: 1, maxLength: 10 }), (specs, targets) => {
      const rules = specs.map(([p, ign], i) => rule(i + 1, p, ign ? IGNORE : undefined));
      const f = compileFilter(iface('eth0', rules), cache(0));
      const prog = prepare(f.program);
      // Targets also taken from inside the rules' prefixes.
      const all = [...targets, ...rules.map((r) => (r.target.family === Family.V6 ? r.target.v6 : new Uint32Array(4)))];
      for (const t of all) {
        const want = rules.some((r) => r.action.kind !== 'ignore' && prefixContains(r.target, { family: Family.V6, v6: t }));
        const frame = nsFrame(1, [], 'fe80::1', formatIp6(t));
        assert.equal(runFilter(prog, frame, frame.length) > 0, want, formatIp6(t));
      }
    }),
    { numRuns: 300 },
  );
});
