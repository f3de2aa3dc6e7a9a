// The static table built by the prepare thread (statics-index.ts): a worker takes it as it
// stands (shared with the other workers until a run-time change), with the same entries
// and announcements as a table built from the entries, and falls back when its slots
// differ from the prepare thread's guess.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/parse';
import type { Config, InterfaceConfig } from '../../src/config/types';
import { Family, parseIp6, type IpAddress } from '../../src/net/addr';
import { InterfaceTable } from '../../src/policy/interfaces';
import { StaticTable } from '../../src/policy/statics';
import { buildStaticIndex } from '../../src/policy/statics-index';
import { attachTables, buildTables, fromWire, shareIndex, shareTables } from '../../src/policy/tables';
import { RecordingOutput } from './fixtures/build';

const hex = (n: number) => n.toString(16).padStart(2, '0');

/** Two blocks, every 300th entry announced, 198.51.100.77 in both. */
function file(macByte = 0): string {
  const out: string[] = [];
  for (const [b, name] of ['eth0', 'eth1'].entries()) {
    out.push(`interface ${name}`);
    for (let i = 1; i <= 3000; i++) out.push(` static 2001:db8:${b}::${i.toString(16)} 02:00:${hex(macByte)}:${hex(b)}:${hex(i >> 8)}:${hex(i & 255)}${i % 300 === 0 ? ' announce' : ''}`);
    out.push(' static 198.51.100.77 02:00:5e:00:53:dd announce');
    out.push('end');
  }
  return `${out.join('\n')}\n`;
}

/** What a worker receives: shared tables and index; reading a list throws. */
function shipped(text: string): Config {
  const { config } = parseConfig(text, 't.conf');
  const index = shareIndex(buildStaticIndex(config.interfaces)!);
  const wires = config.interfaces.map((c) => ({ ...shareTables(buildTables(c)), staticIndex: index }));
  const got = structuredClone(wires);
  config.interfaces.forEach((c: InterfaceConfig, i) => {
    attachTables(c, fromWire(got[i]!, true));
    for (const name of ['rules', 'statics']) Object.defineProperty(c, name, { get: () => { throw new Error(`${name} read`); } });
  });
  return config;
}

const v6 = (s: string): IpAddress => ({ family: Family.V6, v6: parseIp6(s)! });

function worker() {
  const out = new RecordingOutput();
  const ifaces = new InterfaceTable();
  const statics = new StaticTable({ size: 65536, announceCount: 3, announceInterval: 1 }, ifaces, out);
  const keys = () => (statics as unknown as { table: { keys: Uint32Array } }).table.keys;
  return { out, ifaces, statics, sharedKeys: () => keys().buffer instanceof SharedArrayBuffer, reload: (c: Config, now: number) => statics.reload(ifaces.install(c), now) };
}

function sameEntries(a: ReturnType<typeof worker>, b: ReturnType<typeof worker>): void {
  assert.equal(a.statics.size, b.statics.size);
  for (const [k, name] of ['eth0', 'eth1'].entries()) {
    const sa = a.ifaces.slots.get(name)!;
    const sb = b.ifaces.slots.get(name)!;
    for (let i = 1; i <= 3001; i += 23) assert.equal(a.statics.macFor(sa, v6(`2001:db8:${k}::${i.toString(16)}`)), b.statics.macFor(sb, v6(`2001:db8:${k}::${i.toString(16)}`)), `${name} entry ${i}`);
  }
}

test('statics-index: two workers take the shared table; a run-time add copies it first', () => {
  const ref = worker();
  const [a, b] = [worker(), worker()];
  ref.reload(parseConfig(file(), 't.conf').config, 0);
  a.reload(shipped(file()), 0);
  b.reload(shipped(file()), 0);
  assert.ok(a.sharedKeys() && b.sharedKeys(), 'the index is used as it stands');
  sameEntries(a, ref);
  assert.equal(a.statics.macFor(a.ifaces.slots.get('eth1')!, v6('2001:db8:1::5')), 0x020000010005);
  assert.deepEqual(a.out.calls, ref.out.calls, 'the same announcements');
  assert.ok(a.out.calls.length > 0);
  // ctl add in a: b's table is not changed, a's is its own from then on.
  for (const w of [a, ref]) assert.ok(w.statics.add(w.ifaces.slots.get('eth1')!, v6('2001:db8:1::ffff'), 0x020000000001, false, 0.5));
  assert.equal(a.sharedKeys(), false);
  assert.equal(a.statics.macFor(a.ifaces.slots.get('eth1')!, v6('2001:db8:1::ffff')), 0x020000000001);
  assert.equal(b.statics.macFor(b.ifaces.slots.get('eth1')!, v6('2001:db8:1::ffff')), -1);
  // A reload with new MACs for eth0's first entries: the run-time entry stays, and the
  // announcements go on or restart as in the table built from the entries.
  const text2 = file().replace(/02:00:00:00:01:/g, '02:00:07:00:01:');
  for (const w of [ref, a]) {
    w.statics.tick(1);
    w.reload(w === ref ? parseConfig(text2, 't.conf').config : shipped(text2), 1.2);
    w.statics.tick(2.5);
  }
  sameEntries(a, ref);
  assert.equal(a.statics.macFor(a.ifaces.slots.get('eth1')!, v6('2001:db8:1::ffff')), 0x020000000001, 'the run-time entry is kept');
  assert.equal(a.statics.macFor(a.ifaces.slots.get('eth0')!, v6('2001:db8::12c')), 0x02000700012c);
  assert.deepEqual(a.out.calls, ref.out.calls, 'the same announcements after the reload');
});

test('statics-index: slots that differ from the guess build the table as before', () => {
  const ref = worker();
  const got = worker();
  const eth1 = `interface eth1\n static 2001:db8:1::1 02:00:00:00:00:01\nend\n`;
  ref.reload(parseConfig(eth1, 't.conf').config, 0);
  ref.reload(parseConfig(file(), 't.conf').config, 0);
  got.reload(parseConfig(eth1, 't.conf').config, 0); // eth1 gets slot 0, eth0 slot 1
  got.reload(shipped(file()), 0);
  assert.equal(got.sharedKeys(), false, 'the index is not taken');
  sameEntries(got, ref);
  assert.deepEqual(got.out.calls, ref.out.calls);
});
