// Whole-file checks and run's limits: shadowing against a brute-force reference on
// random configurations, the limits against the modules that impose them, the ring
// setting, and W_NO_INTERFACES.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Family, mask4, inPrefix6, parseIp6, formatPrefix, type Prefix } from '../../src/net/addr';
import {
  ConfigError, MAX_STATICS, MAX_TABLESIZE, RING_PACE_DEFAULT_PPS, cacheBytes, describePace, describeRing, effectivePace,
  findShadowing, formatConfig, formatRing, parseConfig, ringBytes, type Rule,
} from '../../src/config';
import { NeighborCache } from '../../src/policy/cache';
import { Policy } from '../../src/policy';
import { RecordingLogger, RecordingOutput, TestEnv } from '../policy/fixtures/build';

/** The definition, pair by pair: the earliest earlier rule whose source and target contain this one's. */
function covers(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.bits > inner.bits) return false;
  if (outer.family === Family.V4) return ((inner as { v4: number }).v4 & mask4(outer.bits)) >>> 0 === outer.v4;
  return inPrefix6((inner as { v6: Uint32Array }).v6, outer.v6, outer.bits);
}
function bruteForce(rules: readonly Rule[]): number[] {
  return rules.map((r, j) => {
    for (let i = 0; i < j; i++) if (covers(rules[i]!.source, r.source) && covers(rules[i]!.target, r.target)) return i;
    return -1;
  });
}

// Few distinct prefixes in nested ranges, so containment (and ties) are frequent.
const v4Prefix = fc.tuple(fc.constantFrom(0, 8, 24, 25, 26, 30, 32), fc.integer({ min: 0, max: 255 })).map(([bits, low]) => {
  const v4 = ((0xc6336400 | low) & mask4(bits)) >>> 0; // within 198.51.100.0/24
  return `${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}/${bits}`;
});
const v6Prefix = fc.tuple(fc.constantFrom(0, 32, 48, 64, 120, 127, 128), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 }))
  .map(([bits, mid, low]) => {
    const a = parseIp6(`2001:db8:${mid}::${low.toString(16)}`)!;
    return formatPrefix({ family: Family.V6, v6: a, bits } as Prefix).replace(/\/\d+$/, '') + `/${bits}`;
  });
const ruleLine = fc.oneof(
  fc.tuple(v4Prefix, v4Prefix),
  fc.tuple(v6Prefix, v6Prefix),
).map(([s, t]) => ` rule ${s} ${t} ignore`);

function masked(text: string): string {
  // Host bits set is an error: rewrite each prefix to its network.
  return text.replace(/([0-9a-f.:]+)\/(\d+)/g, (_m, addr: string, bits: string) => {
    const b = Number(bits);
    if (addr.includes(':')) {
      const a = parseIp6(addr)!;
      for (let w = 0; w < 4; w++) {
        const k = b - 32 * w;
        a[w] = (a[w]! & (k >= 32 ? 0xffffffff : k <= 0 ? 0 : (0xffffffff << (32 - k)) >>> 0)) >>> 0;
      }
      return formatPrefix({ family: Family.V6, v6: a, bits: b } as Prefix);
    }
    const v = addr.split('.').reduce((x, o) => x * 256 + Number(o), 0);
    const n = (v & mask4(b)) >>> 0;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${b}`;
  });
}

test('shadowing equals the pairwise definition on random configurations', () => {
  let shadowed = 0;
  fc.assert(
    fc.property(fc.array(ruleLine, { minLength: 1, maxLength: 40 }), (lines) => {
      const text = masked(`interface eth0\n${lines.join('\n')}\nend\n`);
      const { config, warnings } = parseConfig(text, 'r.conf');
      const rules = config.interfaces[0]!.rules;
      const expected = bruteForce(rules);
      shadowed += expected.filter((i) => i >= 0).length;
      assert.deepEqual([...findShadowing(rules)], expected);
      // And the warnings say so, naming the earliest covering rule.
      const said = warnings.filter((w) => w.code === 'W_RULE_SHADOWED').map((w) => [w.line, /at line (\d+)/.exec(w.message)![1]]);
      const want = expected.flatMap((i, j) => (i < 0 ? [] : [[rules[j]!.pos.line, String(rules[i]!.pos.line)]]));
      assert.deepEqual(said, want);
    }),
    { numRuns: 500 },
  );
  assert.ok(shadowed > 200, `the generator makes shadowed rules (${shadowed})`);
});

test('the shadowing warning keeps its wording', () => {
  const { warnings } = parseConfig('interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 tell\n rule 192.0.2.0/24 198.51.100.0/25 ignore\nend\n', 'w.conf');
  assert.deepEqual(warnings.map((w) => w.message), [
    'w.conf:3:2: warning: rule never matches: the rule at line 2 (0.0.0.0/0 198.51.100.0/24) matches every request it would',
  ]);
});

test('W_NO_INTERFACES: an empty file, or one with only a cache block, configures nothing', () => {
  for (const text of ['', '# nothing\n', 'cache\n timeout 60\nend\n']) {
    const { warnings } = parseConfig(text, 'e.conf');
    assert.deepEqual(warnings.map((w) => [w.code, w.message]), [
      ['W_NO_INTERFACES', "e.conf:1:1: warning: no 'interface NAME' block: 'run' would open no interface and answer nothing"],
    ]);
  }
  assert.deepEqual(parseConfig('interface eth0\n rule 0.0.0.0/0 0.0.0.0/0 self\nend\n', 'f').warnings, []);
});

test('cacheBytes is what the neighbour cache allocates', () => {
  for (const n of [1, 7, 3499, 65536, 100_000]) {
    const c = new NeighborCache(n, { timeout: 1, refreshCount: 0, refreshInterval: 1, resolveAttempts: 1, resolveInterval: 1 });
    assert.equal(cacheBytes(n), c.bytes(), `tablesize ${n}`);
  }
  assert.ok(cacheBytes(MAX_TABLESIZE) < 1.8 * 2 ** 30);
  assert.equal(parseConfig(`cache\n tablesize ${MAX_TABLESIZE}\nend\n`, 't').config.cache.tablesize, MAX_TABLESIZE);
});

function staticsText(n: number): string {
  const lines = ['interface eth0'];
  for (let i = 1; i <= n; i++) lines.push(` static 2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)} 02:00:00:${((i >> 16) & 255).toString(16)}:${((i >> 8) & 255).toString(16)}:${(i & 255).toString(16)}`);
  lines.push('end');
  return lines.join('\n') + '\n';
}

test('70 000 statics (past the old 65 536 table) are valid and all installed', () => {
  const { config } = parseConfig(staticsText(70_000), 's');
  assert.equal(config.interfaces[0]!.statics.length, 70_000);
  const policy = new Policy({ config, env: new TestEnv([0x0200000000fe]), output: new RecordingOutput(), logger: new RecordingLogger() });
  assert.equal(policy.stats().statics.size, 70_000);
  const last = config.interfaces[0]!.statics[69_999]!;
  assert.equal(policy.staticFor(0, last.address), last.mac);
});

test('statics beyond the static table are an error at the first one that does not fit', () => {
  assert.throws(() => parseConfig(staticsText(MAX_STATICS + 2), 's.conf'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.errors.map((x) => x.message), [
      `s.conf:${MAX_STATICS + 2}:2: found 'static', expected at most ${MAX_STATICS} static entries in the file, all interfaces together (the size of the static table; this is entry ${MAX_STATICS + 1})`,
    ]);
    assert.equal(e.code, 'E_CONFIG_LIMIT');
    return true;
  });
});

test("MAX_STATICS is the policy's static table: one more is dropped at run", () => {
  // Built without the parser (it refuses the extra one), as run would see it.
  const { config } = parseConfig(staticsText(1), 's');
  const one = config.interfaces[0]!.statics[0]!;
  const statics = config.interfaces[0]!.statics;
  for (let i = 1; i <= MAX_STATICS; i++) {
    statics.push({ ...one, address: { family: Family.V6, v6: Uint32Array.of(0x20010db8, 1, i >>> 16, i & 0xffff) } });
  }
  const policy = new Policy({ config, env: new TestEnv([0x0200000000fe]), output: new RecordingOutput(), logger: new RecordingLogger() });
  assert.equal(policy.stats().statics.size, MAX_STATICS);
  assert.equal(policy.staticFor(0, statics[MAX_STATICS]!.address), -1);
  assert.equal(policy.staticFor(0, statics[MAX_STATICS - 1]!.address), one.mac);
});

test('ring: parsed, printed back, and its memory stated', () => {
  const { config } = parseConfig('interface eth0\n ring rx 8192 framesize 1024\n rule 0.0.0.0/0 0.0.0.0/0 self\nend\ninterface eth1\n ring tx 100\n rule 0.0.0.0/0 0.0.0.0/0 self\nend\n', 'r');
  const [a, b] = config.interfaces;
  assert.deepEqual(a!.ring, { rxFrames: 8192, frameSize: 1024 });
  assert.deepEqual(b!.ring, { txFrames: 100 });
  assert.equal(describeRing(a!.ring), 'rx 8192 x 1024 B = 8 MiB, tx 4096 (default) x 1024 B = 4 MiB: 12 MiB per interface');
  assert.equal(describeRing(b!.ring), 'rx 32768 (default) x 256 B (default) = 8 MiB, tx 112 (100 rounded up to whole 4 KiB blocks) x 256 B (default) = 28 KiB: 8.03 MiB per interface');
  assert.equal(describeRing(undefined), 'defaults: rx 32768 x 256 B = 8 MiB, tx 4096 x 256 B = 1 MiB: 9 MiB per interface');
  assert.equal(ringBytes(a!.ring), 12 * 2 ** 20);
  const again = parseConfig(formatConfig(config), 'again').config;
  assert.deepEqual(again.interfaces.map((i) => i.ring), [a!.ring, b!.ring]);
  assert.equal(config.interfaces.length, 2);
  assert.equal(parseConfig('interface eth0\n rule 0.0.0.0/0 0.0.0.0/0 self\nend\n', 'n').config.interfaces[0]!.ring, undefined);
});

test('ring pace: a rate or off, printed back, the default when absent, and stated by check', () => {
  const text = 'interface eth0\n ring pace off\n rule 0.0.0.0/0 0.0.0.0/0 self\nend\ninterface eth1\n ring rx 8192 pace 25000\n rule 0.0.0.0/0 0.0.0.0/0 self\nend\n' +
    'interface eth2\n ring pace 0\n rule 0.0.0.0/0 0.0.0.0/0 self\nend\ninterface eth3\n rule 0.0.0.0/0 0.0.0.0/0 self\nend\n';
  const { config } = parseConfig(text, 'p');
  const [off, set, zero, none] = config.interfaces;
  assert.deepEqual(off!.ring, { pace: 0 });
  assert.deepEqual(set!.ring, { rxFrames: 8192, pace: 25000 });
  assert.deepEqual(zero!.ring, { pace: 0 });
  assert.equal(none!.ring, undefined);
  assert.deepEqual(config.interfaces.map((i) => effectivePace(i.ring)), [0, 25000, 0, RING_PACE_DEFAULT_PPS]);
  assert.equal(RING_PACE_DEFAULT_PPS, 0);
  // Pace does not change what the rings map.
  assert.equal(ringBytes(off!.ring), ringBytes(undefined));
  assert.equal(formatRing(off!.ring!), 'pace off');
  assert.equal(formatRing(set!.ring!), 'rx 8192 pace 25000');
  const again = parseConfig(formatConfig(config), 'again').config;
  assert.deepEqual(again.interfaces.map((i) => i.ring), config.interfaces.map((i) => i.ring));
  assert.match(describePace(off!.ring), /^off: /);
  assert.match(describePace(set!.ring), /^25000 frames\/s: .*waits 1 ms/);
  assert.match(describePace(none!.ring), /^off \(default\): /);
  assert.match(describePace({ rxFrames: 8192 }), /^off \(default\): /);
  assert.match(describePace({ pace: 10000 }), /^10000 frames\/s: /);
});
