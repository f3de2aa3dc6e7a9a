// A block's rules and statics shipped as flat tables (src/policy/tables.ts): built on one
// side, transferred (structuredClone with a transfer list, as postMessage does), and the
// interface state and static table built from them answer exactly as those built from the
// rule and static objects, without reading cfg.rules or cfg.statics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/parse';
import type { Config, InterfaceConfig } from '../../src/config/types';
import { Family, parseIp4, parseIp6, type IpAddress } from '../../src/net/addr';
import { delayFlags } from '../../src/pipeline/pipeline';
import { InterfaceTable } from '../../src/policy/interfaces';
import { StaticTable } from '../../src/policy/statics';
import { attachTables, buildTables, fromWire, shareTables, wireTransfers } from '../../src/policy/tables';
import { RecordingOutput } from './fixtures/build';

function file(): string {
  const out = ['interface eth0'];
  for (let i = 0; i < 3000; i++) out.push(` rule 203.0.113.${i & 255}/32 198.51.${100 + (i >> 8)}.${i & 255}/32${i % 7 === 0 ? ' delay' : ''} tell`);
  out.push(' rule 192.0.2.0/24 198.51.100.0/24 02:00:5e:00:53:bb');
  out.push(' rule 0.0.0.0/0 198.51.113.0/24 192.0.2.1');
  out.push(' rule ::/0 2001:db8:1::/48 tell');
  out.push(' rule 2001:db8:2::/64 2001:db8:3::/64 02:00:5e:00:53:cc');
  for (let i = 1; i <= 2000; i++) out.push(` static 2001:db8::${i.toString(16)} 02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}${i % 500 === 0 ? ' announce' : ''}`);
  out.push(' static 198.51.100.77 02:00:5e:00:53:dd');
  out.push('end');
  return `${out.join('\n')}\n`;
}

/** The same configuration, its blocks' lists replaced by the transferred tables; reading a list throws. */
function shipped(text: string): Config {
  const { config } = parseConfig(text, 't.conf');
  const wires = config.interfaces.map(buildTables);
  const moved = structuredClone(wires, { transfer: wires.flatMap(wireTransfers) });
  assert.equal(wires[0]!.info.byteLength, 0, 'the buffers were moved, not copied');
  config.interfaces.forEach((c: InterfaceConfig, i) => {
    attachTables(c, fromWire(moved[i]!));
    for (const name of ['rules', 'statics']) Object.defineProperty(c, name, { get: () => { throw new Error(`${name} read`); } });
  });
  return config;
}

const v4 = (s: string): IpAddress => ({ family: Family.V4, v4: parseIp4(s)! });
const v6 = (s: string): IpAddress => ({ family: Family.V6, v6: parseIp6(s)! });

test('tables: interface state from transferred tables matches the one from rule objects', () => {
  const text = file();
  const ref = new InterfaceTable().build(parseConfig(text, 't.conf').config)[0]!;
  const got = new InterfaceTable().build(shipped(text))[0]!;
  assert.deepEqual([...got.ruleInfo], [...ref.ruleInfo]);
  assert.deepEqual([...got.viaWords], [...ref.viaWords]);
  assert.deepEqual(got.redirectRules, ref.redirectRules);
  assert.equal(got.rules.length, ref.rules.length);
  // Only the rules whose answer reads the action are objects: the MAC rule, the redirect, the IPv6 MAC rule.
  assert.deepEqual(Object.keys(got.rules).map(Number), [3000, 3001, 3003]);
  for (const i of [3000, 3001, 3003]) assert.deepEqual(got.rules[i], ref.rules[i]);
  for (let i = 0; i < 4000; i++) {
    const src = parseIp4(`203.0.113.${i & 255}`)!;
    const tgt = parseIp4(`198.51.${100 + ((i >> 8) % 14)}.${(i * 7) & 255}`)!;
    assert.equal(got.m4.match4(src, tgt), ref.m4.match4(src, tgt), `match4 ${i}`);
    assert.equal(got.m4.match4(parseIp4('192.0.2.9')!, tgt), ref.m4.match4(parseIp4('192.0.2.9')!, tgt));
  }
  for (const [s, t] of [['2001:db8:2::1', '2001:db8:3::5'], ['2001:db8:9::1', '2001:db8:1::5'], ['2001:db8:9::1', '2001:db8:4::5']]) {
    assert.equal(got.m6.match6(parseIp6(s!)!, parseIp6(t!)!), ref.m6.match6(parseIp6(s!)!, parseIp6(t!)!));
  }
  assert.ok(ref.m4.match4(parseIp4('203.0.113.5')!, parseIp4('198.51.100.5')!) === 5, 'the reference matches');
});

test('tables: delay flags and the static table from transferred tables', () => {
  const text = file();
  const refCfg = parseConfig(text, 't.conf').config;
  const cfg = shipped(text);
  assert.deepEqual([...delayFlags(cfg.interfaces[0]!)], [...delayFlags(refCfg.interfaces[0]!)]);
  const build = (c: Config) => {
    const out = new RecordingOutput();
    const ifaces = new InterfaceTable();
    const statics = new StaticTable({ size: 65536, announceCount: 3, announceInterval: 1 }, ifaces, out);
    statics.reload(ifaces.install(c), 0);
    return { statics, slot: ifaces.at(0)!.slot, out };
  };
  const ref = build(refCfg);
  const got = build(cfg);
  assert.equal(got.statics.size, 2001);
  for (let i = 1; i <= 2000; i += 37) assert.equal(got.statics.macFor(got.slot, v6(`2001:db8::${i.toString(16)}`)), ref.statics.macFor(ref.slot, v6(`2001:db8::${i.toString(16)}`)));
  assert.equal(got.statics.macFor(got.slot, v4('198.51.100.77')), 0x02005e0053dd);
  assert.equal(got.statics.macFor(got.slot, v6('2001:db8::7d1')), -1);
  assert.deepEqual(got.out.calls, ref.out.calls, 'the same announcements (4 announce entries)');
  assert.ok(got.out.calls.length > 0);
});

test('tables: shared over SharedArrayBuffers for every worker, each with its own ruleInfo', () => {
  const text = file();
  const { config } = parseConfig(text, 't.conf');
  const sharedWire = shareTables(buildTables(config.interfaces[0]!));
  assert.ok(sharedWire.m4.targets.keys.buffer instanceof SharedArrayBuffer);
  assert.ok(sharedWire.statics.words.buffer instanceof SharedArrayBuffer);
  // Two workers' copies of the message: the tables are the same memory, the hints are not.
  const [a, b] = [structuredClone(sharedWire), structuredClone(sharedWire)].map((w) => fromWire(w, true));
  a!.info[2] = 1234; // RuleWord.Hint of rule 0
  assert.equal(b!.info[2], -1);
  assert.ok(!(a!.info.buffer instanceof SharedArrayBuffer));
  const ref = new InterfaceTable().build(parseConfig(text, 't.conf').config)[0]!;
  const cfg = parseConfig(text, 't.conf').config;
  attachTables(cfg.interfaces[0]!, b!);
  const got = new InterfaceTable().build(cfg)[0]!;
  for (let i = 0; i < 300; i++) {
    const src = parseIp4(`203.0.113.${i & 255}`)!;
    const tgt = parseIp4(`198.51.${100 + (i >> 8)}.${i & 255}`)!;
    assert.equal(got.m4.match4(src, tgt), ref.m4.match4(src, tgt));
  }
});
