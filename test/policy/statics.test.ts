// The static table alone: entries per interface slot, announcements (count, spacing,
// VLANs, removal), reload semantics (file entries replaced, runtime entries kept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Family, type IpAddress } from '../../src/net/addr';
import { InterfaceTable } from '../../src/policy/interfaces';
import { StaticTable } from '../../src/policy/statics';
import { AddrTable } from '../../src/policy/addrtable';
import type { InterfaceConfig, StaticEntry } from '../../src/config/types';
import { config, iface, ip4, ip6, mac, RecordingOutput } from './fixtures/build';

const A = mac('fd:fd:fd:fd:fd:01');
const B = mac('fd:fd:fd:fd:fd:02');
const v4 = (s: string): IpAddress => ({ family: Family.V4, v4: ip4(s) });
const v6 = (s: string): IpAddress => ({ family: Family.V6, v6: ip6(s) });
const entry = (address: IpAddress, m: number, announce = false): StaticEntry => ({ pos: { file: 't', line: 1, column: 1 }, address, mac: m, announce });

function rig(ifs: InterfaceConfig[], opts = { size: 8, announceCount: 3, announceInterval: 1 }) {
  const out = new RecordingOutput();
  const ifaces = new InterfaceTable();
  const statics = new StaticTable(opts, ifaces, out);
  const install = (list: InterfaceConfig[], now = 0) => statics.reload(ifaces.install(config(list)), now);
  install(ifs);
  return { out, ifaces, statics, install };
}

test('statics: add, find per slot and family, replace, remove', () => {
  const { statics, ifaces } = rig([iface('eth0', []), iface('eth1', [])]);
  const [s0, s1] = [ifaces.at(0)!.slot, ifaces.at(1)!.slot];
  assert.equal(statics.add(s0, v4('198.51.100.2'), A, false, 0), true);
  assert.equal(statics.add(s0, v6('2001:db8::2'), B, false, 0), true);
  assert.equal(statics.size, 2);
  assert.equal(statics.macOf(statics.find4(s0, ip4('198.51.100.2'))), A);
  assert.equal(statics.macOf(statics.find6(s0, ip6('2001:db8::2'))), B);
  assert.equal(statics.find4(s1, ip4('198.51.100.2')), -1, 'another interface');
  assert.equal(statics.find4(s0, ip4('198.51.100.3')), -1);
  assert.equal(statics.add(s0, v4('198.51.100.2'), B, false, 0), true);
  assert.equal(statics.size, 2, 'replaced, not added');
  assert.equal(statics.macFor(s0, v4('198.51.100.2')), B);
  assert.equal(statics.remove(s0, v4('198.51.100.2')), true);
  assert.equal(statics.remove(s0, v4('198.51.100.2')), false);
  assert.equal(statics.macFor(s0, v4('198.51.100.2')), -1);
  assert.equal(statics.size, 1);
});

test('statics: a full table refuses new entries', () => {
  const { statics, ifaces } = rig([iface('eth0', [])], { size: 2, announceCount: 3, announceInterval: 1 });
  const s = ifaces.at(0)!.slot;
  assert.equal(statics.add(s, v4('198.51.100.1'), A, false, 0), true);
  assert.equal(statics.add(s, v4('198.51.100.2'), A, false, 0), true);
  assert.equal(statics.add(s, v4('198.51.100.3'), A, false, 0), false);
  assert.equal(statics.add(s, v4('198.51.100.2'), B, false, 0), true, 'replacing needs no room');
});

test('statics: announcements go out announceCount times, interval apart, on every VLAN', () => {
  const { statics, ifaces, out } = rig([iface('eth0', [], { vlans: [0, 20] })], { size: 8, announceCount: 2, announceInterval: 1 });
  const s = ifaces.at(0)!.slot;
  statics.add(s, v4('198.51.100.2'), A, true, 10);
  assert.deepEqual(out.take(), ['arpAnnounce if0 vlan-1 198.51.100.2 is-at fd:fd:fd:fd:fd:01', 'arpAnnounce if0 vlan20 198.51.100.2 is-at fd:fd:fd:fd:fd:01']);
  statics.tick(10.9);
  assert.deepEqual(out.take(), []);
  statics.tick(11);
  assert.equal(out.take().length, 2);
  for (const t of [12, 13, 14]) statics.tick(t);
  assert.deepEqual(out.take(), [], 'announceCount 2: done');
  assert.equal(statics.announcements, 4, 'one per entry, round and VLAN');
  // More than 3 asked: RFC 4861's bound.
  const many = rig([iface('eth0', [])], { size: 8, announceCount: 9, announceInterval: 1 });
  many.statics.add(many.ifaces.at(0)!.slot, v6('2001:db8::2'), A, true, 0);
  for (let t = 1; t < 10; t++) many.statics.tick(t);
  assert.equal(many.statics.announcements, 3);
  assert.match(many.out.take()[0]!, /^unsolicitedNa if0 vlan-1 2001:db8::2 is-at fd:fd:fd:fd:fd:01 flags 1$/);
});

test('statics: removing an entry stops its announcements', () => {
  const { statics, ifaces, out } = rig([iface('eth0', [])]);
  const s = ifaces.at(0)!.slot;
  statics.add(s, v4('198.51.100.2'), A, true, 0);
  statics.add(s, v4('198.51.100.3'), B, true, 0);
  out.take();
  statics.remove(s, v4('198.51.100.2'));
  statics.tick(1);
  assert.deepEqual(out.take(), ['arpAnnounce if0 vlan-1 198.51.100.3 is-at fd:fd:fd:fd:fd:02']);
});

test('statics: reload replaces the file entries, keeps runtime ones, announces only new or changed MACs', () => {
  const file = (list: StaticEntry[]) => [iface('eth0', [], { statics: list })];
  const { statics, ifaces, out, install } = rig(file([entry(v4('198.51.100.3'), A, true), entry(v4('198.51.100.6'), A)]));
  statics.tick(1);
  statics.tick(2);
  assert.equal(out.take().length, 3);
  const s = ifaces.at(0)!.slot;
  statics.add(s, v4('198.51.100.4'), B, false, 0);
  assert.equal(statics.size, 3);
  install(file([entry(v4('198.51.100.3'), A, true), entry(v4('198.51.100.5'), B, true)]), 5);
  assert.deepEqual(out.take(), ['arpAnnounce if0 vlan-1 198.51.100.5 is-at fd:fd:fd:fd:fd:02'], '.3 unchanged, .5 new');
  assert.equal(statics.macFor(s, v4('198.51.100.6')), -1, 'dropped from the file');
  assert.equal(statics.macFor(s, v4('198.51.100.4')), B, 'runtime entry kept');
  install(file([entry(v4('198.51.100.3'), B, true)]), 10);
  // .5 left the file with announcements to go: it stops (its id is free for reuse).
  assert.deepEqual(out.take(), ['arpAnnounce if0 vlan-1 198.51.100.3 is-at fd:fd:fd:fd:fd:02'], 'MAC changed: announced');
  for (const t of [11, 12, 13]) statics.tick(t);
  assert.deepEqual(out.take(), ['arpAnnounce if0 vlan-1 198.51.100.3 is-at fd:fd:fd:fd:fd:02', 'arpAnnounce if0 vlan-1 198.51.100.3 is-at fd:fd:fd:fd:fd:02']);
  // An unchanged entry reloaded mid-way keeps its remaining announcements, no more.
  install(file([entry(v4('198.51.100.3'), A, true)]), 20);
  assert.equal(out.take().length, 1);
  install(file([entry(v4('198.51.100.3'), A, true)]), 20.5);
  assert.deepEqual(out.take(), []);
  for (const t of [21, 22, 23, 24]) statics.tick(t);
  assert.equal(out.take().length, 2, '3 in all across the reload');
  assert.equal(statics.size, 2);
  // Interfaces that leave the configuration keep their slot; their entries announce nothing.
  install([iface('eth1', [])], 20);
  assert.equal(statics.macFor(s, v4('198.51.100.4')), B);
  statics.add(s, v4('198.51.100.7'), A, true, 20);
  assert.deepEqual(out.take(), []);
});

test('AddrTable.grownTo keeps every key under its id and hands out the rest', () => {
  const t = new AddrTable(8);
  const ids: number[] = [];
  for (let i = 0; i < 8; i++) ids.push(t.insert(1, 0, 0, 0, 100 + i));
  t.remove(ids[3]!);
  const g = t.grownTo(32);
  assert.equal(g.size, 7);
  for (let i = 0; i < 8; i++) assert.equal(g.find(1, 0, 0, 0, 100 + i), i === 3 ? -1 : ids[i]);
  const fresh = new Set<number>();
  for (let i = 0; i < 25; i++) fresh.add(g.insert(2, 0, 0, 0, i));
  assert.equal(fresh.size, 25);
  assert.ok(!fresh.has(-1) && fresh.has(ids[3]!));
  for (const id of ids) if (id !== ids[3]) assert.ok(!fresh.has(id), 'a used id is never handed out again');
  assert.equal(g.insert(3, 0, 0, 0, 0), -1, 'full at 32');
});

test('statics: the table grows past its first 4 096 entries, values kept, up to its bound', () => {
  const { statics, ifaces } = rig([iface('eth0', [])], { size: 10_000, announceCount: 3, announceInterval: 1 });
  const s0 = ifaces.at(0)!.slot;
  for (let i = 0; i < 10_000; i++) assert.equal(statics.add(s0, v6(`2001:db8::${i.toString(16)}`), A + i, false, 0), true, `entry ${i}`);
  assert.equal(statics.add(s0, v4('203.0.113.1'), A, false, 0), false, 'the bound holds');
  for (let i = 0; i < 10_000; i += 997) assert.equal(statics.macFor(s0, v6(`2001:db8::${i.toString(16)}`)), A + i);
  assert.equal(statics.size, 10_000);
});
