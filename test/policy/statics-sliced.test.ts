// The static table of a reload built aside in slices (StaticTable.prepareSteps) and put in
// force by commit(): nothing changes until the commit, every step is bounded, the commit
// walks only the entries with announcements, and run-time adds or announcements made while
// the table was being prepared are not lost or repeated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Family, type IpAddress } from '../../src/net/addr';
import { InterfaceTable } from '../../src/policy/interfaces';
import { StaticTable } from '../../src/policy/statics';
import type { StaticEntry } from '../../src/config/types';
import { config, iface, ip4, ip6, mac, RecordingOutput } from './fixtures/build';

const A = mac('fd:fd:fd:fd:fd:01');
const B = mac('fd:fd:fd:fd:fd:02');
const v4 = (s: string): IpAddress => ({ family: Family.V4, v4: ip4(s) });
const v6n = (i: number): IpAddress => ({ family: Family.V6, v6: ip6(`2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`) });
const entry = (address: IpAddress, m: number, announce = false): StaticEntry => ({ pos: { file: 't', line: 1, column: 1 }, address, mac: m, announce });
const SLICE = 2048;
const N = 70_000;

function rig() {
  const out = new RecordingOutput();
  const ifaces = new InterfaceTable();
  const statics = new StaticTable({ size: 262_144, announceCount: 3, announceInterval: 1 }, ifaces, out);
  return { out, ifaces, statics };
}

const bigFile = (m: number, extra: StaticEntry[] = []) => config([iface('eth0', [], { statics: [...Array.from({ length: N }, (_, i) => entry(v6n(i + 1), m)), ...extra] })]);

test('statics: a 70 000-entry reload is prepared in bounded steps and changes nothing until the commit', () => {
  const { statics, ifaces } = rig();
  statics.reload(ifaces.install(bigFile(A)), 0);
  const slot = ifaces.at(0)!.slot;
  assert.equal(statics.add(slot, v4('198.51.100.9'), B, false, 0), true);
  const next = ifaces.build(bigFile(B, [entry(v4('198.51.100.1'), B)]));
  const steps = statics.prepareSteps(next, SLICE);
  let count = 0;
  let units = 0;
  for (;;) {
    const r = steps.next();
    if (r.done) {
      // Still the old table between steps and after the last one.
      assert.equal(statics.macFor(slot, v6n(5)), A);
      assert.equal(statics.macFor(slot, v4('198.51.100.1')), -1);
      assert.equal(r.value.touched.length, 1, 'only the run-time entry carries state: the commit walks one entry, not 70 000');
      ifaces.commit(next);
      statics.commit(r.value, 1);
      break;
    }
    count++;
    units += r.value;
    assert.ok(r.value >= 1 && r.value <= SLICE + 16, `step of ${r.value} units`);
    assert.equal(statics.macFor(slot, v6n(1 + ((count * 997) % N))), A, 'the old entries answer between steps');
  }
  assert.ok(count >= Math.floor(N / SLICE), `${count} steps`);
  assert.ok(units >= N - SLICE, 'every entry is counted');
  assert.equal(statics.macFor(slot, v6n(5)), B);
  assert.equal(statics.macFor(slot, v6n(N)), B);
  assert.equal(statics.macFor(slot, v4('198.51.100.1')), B);
  assert.equal(statics.macFor(slot, v4('198.51.100.9')), B, 'run-time entry kept');
  assert.equal(statics.size, N + 2);
});

test('statics: an add or remove at run time while a reload is prepared is kept by the commit', () => {
  const { statics, ifaces } = rig();
  const file = (list: StaticEntry[]) => config([iface('eth0', [], { statics: list })]);
  statics.reload(ifaces.install(file([entry(v4('198.51.100.3'), A)])), 0);
  const slot = ifaces.at(0)!.slot;
  statics.add(slot, v4('198.51.100.8'), A, false, 0);
  const next = ifaces.build(file([entry(v4('198.51.100.4'), A)]));
  const steps = statics.prepareSteps(next, 1);
  let r = steps.next();
  statics.add(slot, v4('198.51.100.5'), B, false, 0); // ctl add between two steps
  statics.remove(slot, v4('198.51.100.8')); // ctl del
  while (!r.done) r = steps.next();
  ifaces.commit(next);
  statics.commit(r.value, 1);
  assert.equal(statics.macFor(slot, v4('198.51.100.5')), B, 'added meanwhile');
  assert.equal(statics.macFor(slot, v4('198.51.100.8')), -1, 'removed meanwhile');
  assert.equal(statics.macFor(slot, v4('198.51.100.4')), A);
  assert.equal(statics.macFor(slot, v4('198.51.100.3')), -1);
  assert.equal(statics.size, 2);
});

test('statics: announcements sent while a reload is prepared are not sent again', () => {
  const { statics, ifaces, out } = rig();
  const file = (list: StaticEntry[]) => config([iface('eth0', [], { statics: list })]);
  statics.reload(ifaces.install(file([entry(v4('198.51.100.3'), A, true)])), 0);
  assert.equal(out.take().length, 1, 'the first at once');
  const next = ifaces.build(file([entry(v4('198.51.100.3'), A, true), entry(v4('198.51.100.4'), B, true)]));
  const steps = statics.prepareSteps(next, 1);
  let r = steps.next();
  statics.tick(1); // the second announcement of .3, from the table in force
  assert.equal(out.take().length, 1);
  while (!r.done) r = steps.next();
  ifaces.commit(next);
  statics.commit(r.value, 1.5);
  assert.deepEqual(out.take(), ['arpAnnounce if0 vlan-1 198.51.100.4 is-at fd:fd:fd:fd:fd:02'], '.4 new, .3 not due');
  for (const t of [2, 3, 4, 5]) statics.tick(t);
  const sent = out.take();
  assert.equal(sent.filter((l) => l.includes('198.51.100.3')).length, 1, '.3: 3 in all');
  assert.equal(sent.filter((l) => l.includes('198.51.100.4')).length, 2, '.4: 3 in all');
});
