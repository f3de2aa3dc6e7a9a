// MulticastJoins with fake sockets: reconcile joins and leaves exactly the difference,
// keeps to its bound, starts again on a recreated link, and survives failing calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { parseConfig } from '../../src/config';
import { desiredGroups, MulticastJoins, uncoveredPrefixRules, type JoinOptions, type MembershipSocket } from '../../src/daemon/mld';

const log = pino({ level: 'silent' });

class FakeSocket implements MembershipSocket {
  readonly groups = new Set<string>();
  closed = false;
  failJoin: string | null = null;
  addMembership(g: string, iface: string): void {
    if (g === this.failJoin) throw Object.assign(new Error('no buffer space'), { code: 'ENOBUFS' });
    this.groups.add(`${g}${iface}`);
  }
  dropMembership(g: string, iface: string): void { this.groups.delete(`${g}${iface}`); }
  close(): void { this.closed = true; this.groups.clear(); }
}

function fixture(max?: number, opts: JoinOptions = {}): { joins: MulticastJoins; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  const joins = new MulticastJoins(log, () => { const s = new FakeSocket(); sockets.push(s); return s; }, max, { clock: () => 0, ...opts });
  return { joins, sockets };
}

/** Groups from the configuration (statics, /128 rules): no budget, no hold. */
const configured = (groups: Set<string>, ifindex = 2) => ({ ifindex, groups, fixed: groups.size });

const live = (sockets: FakeSocket[]): string[] => sockets.flatMap((s) => [...s.groups]).sort();

test('reconcile joins the new groups and leaves the gone ones, per interface by name', () => {
  const { joins, sockets } = fixture();
  joins.reconcile(new Map([['eth0', configured(new Set(['ff02::1:ff00:1', 'ff02::1:ff00:2']), 2)]]));
  assert.deepEqual(live(sockets), ['ff02::1:ff00:1::%eth0', 'ff02::1:ff00:2::%eth0']);
  joins.reconcile(new Map([['eth0', configured(new Set(['ff02::1:ff00:2', 'ff02::1:ff00:3']), 2)]]));
  assert.deepEqual(live(sockets), ['ff02::1:ff00:2::%eth0', 'ff02::1:ff00:3::%eth0']);
  assert.deepEqual([joins.counters.joins, joins.counters.leaves], [3, 1]);
  joins.reconcile(new Map());
  assert.deepEqual(live(sockets), []);
  assert.ok(sockets.every((s) => s.closed));
});

test('a recreated interface (new ifindex) gets fresh sockets and joins again', () => {
  const { joins, sockets } = fixture();
  const groups = new Set(['ff02::1:ff00:1']);
  joins.reconcile(new Map([['eth0', configured(groups, 2)]]));
  joins.reconcile(new Map([['eth0', configured(groups, 7)]]));
  assert.equal(sockets.length, 2);
  assert.equal(sockets[0]!.closed, true);
  assert.deepEqual([...sockets[1]!.groups], ['ff02::1:ff00:1::%eth0']);
});

test('at most maxGroups per interface, 128 per socket; the rest counted', () => {
  const { joins, sockets } = fixture(300);
  const many = new Set(Array.from({ length: 400 }, (_, i) => `ff02::1:ff00:${i.toString(16)}`));
  joins.reconcile(new Map([['eth0', configured(many, 2)]]));
  assert.equal(joins.groups('eth0').length, 300);
  assert.deepEqual(sockets.map((s) => s.groups.size), [128, 128, 44]);
  assert.equal(joins.counters.overLimit, 100);
});

test('a failing join is counted and logged, the others go on, and it is tried again next time', () => {
  const { joins, sockets } = fixture();
  const groups = new Set(['ff02::1:ff00:1', 'ff02::1:ff00:2']);
  joins.reconcile(new Map([['eth0', configured(new Set(['ff02::1:ff00:9']), 2)]]));
  sockets[0]!.failJoin = 'ff02::1:ff00:1';
  joins.reconcile(new Map([['eth0', configured(groups, 2)]]));
  assert.deepEqual(joins.groups('eth0'), ['ff02::1:ff00:2']);
  assert.equal(joins.counters.failed, 1);
  sockets[0]!.failJoin = null;
  joins.reconcile(new Map([['eth0', configured(groups, 2)]]));
  assert.deepEqual(joins.groups('eth0').sort(), ['ff02::1:ff00:1', 'ff02::1:ff00:2']);
});

test('desired groups: IPv6 statics and answering /128 targets; prefix rules are named as uncovered', () => {
  const { config } = parseConfig(`interface eth0
 static 2001:db8::abcd:1234 02:00:5e:00:53:01
 static 192.0.2.5 02:00:5e:00:53:02
 rule ::/0 2001:db8::5/128 self
 rule ::/0 2001:db8::6/128 ignore
 rule ::/0 2001:db8:1::/64 self
 rule 192.0.2.0/24 192.0.2.0/24 self
end
`, 'test.conf');
  assert.deepEqual([...desiredGroups(config.interfaces[0]!)].sort(), ['ff02::1:ff00:5', 'ff02::1:ffcd:1234']);
  assert.deepEqual(uncoveredPrefixRules(config), [{ iface: 'eth0', line: 6, target: '2001:db8:1::/64' }]);
});

test('answered and learned IPv6 targets add their groups, newest first, up to the bound', async () => {
  const { addDynamicGroups, learnedFromEntries } = await import('../../src/daemon/mld-targets');
  const { IfaceSlot } = await import('../../src/pipeline/pipeline');
  const { InterfaceStats } = await import('../../src/pipeline/stats');
  const { parseIp6 } = await import('../../src/net/addr');
  const slot = new IfaceSlot('np0', 0, new InterfaceStats('np0'));
  slot.answered.record6(-1, parseIp6('2001:db8:1::a1')!, 1, 10);
  slot.answered.record6(-1, parseIp6('2001:db8:1::a2')!, 1, 20);
  slot.answered.record6(-1, parseIp6('2001:db8:1::a0')!, 1, 1); // older than `since`
  slot.answered.record(4, -1, 0, 0, 0, 0xc0000201, 1, 20); // IPv4: no group
  const learned = learnedFromEntries([
    { interface: 'np0', family: 6, address: '2001:db8:1::b1' },
    { interface: 'other', family: 6, address: '2001:db8:1::b2' },
  ]);
  const groups = new Set(['ff02::1:ff00:77']);
  assert.equal(addDynamicGroups(groups, slot, 5, learned, 10), 0);
  assert.deepEqual([...groups], ['ff02::1:ff00:77', 'ff02::1:ff00:a2', 'ff02::1:ff00:a1', 'ff02::1:ff00:b1']);
  const capped = new Set(['ff02::1:ff00:77']);
  assert.equal(addDynamicGroups(capped, slot, 5, learned, 2), 2, 'two left out by the bound');
  assert.deepEqual([...capped], ['ff02::1:ff00:77', 'ff02::1:ff00:a2'], 'the newest answer first');
});

test('the joins read the cache snapshot in place: no entry objects (a 65 536-entry dump held the loop 0.6-2 s)', async () => {
  const { addDynamicGroups, learnedOf } = await import('../../src/daemon/mld-targets');
  const { CacheSnapshot } = await import('../../src/daemon/cache-dump');
  const { IfaceSlot } = await import('../../src/pipeline/pipeline');
  const { InterfaceStats } = await import('../../src/pipeline/stats');
  const { metaWord } = await import('../../src/policy/addrtable');
  const { parseIp6 } = await import('../../src/net/addr');
  const snap = new CacheSnapshot(8, (slot) => ['np0', 'other'][slot]);
  const push = (slot: number, text: string): void => {
    const a = parseIp6(text)!;
    snap.push(metaWord(true, slot, -1), a[0]!, a[1]!, a[2]!, a[3]!, 0x020000000001, 1);
  };
  snap.push(metaWord(false, 0, -1), 0, 0, 0, 0xc6336401, 0x020000000002, 1); // IPv4: no group
  push(0, '2001:db8:1::c1');
  push(1, '2001:db8:1::c2'); // another interface
  push(0, '2001:db8:1::c3');
  const policy = {
    cacheSnapshot: () => snap,
    cacheEntries: (): Record<string, unknown>[] => { throw new Error('the joins asked for entry objects'); },
  };
  const learned = learnedOf(policy, 1);
  const slot = new IfaceSlot('np0', 0, new InterfaceStats('np0'));
  const groups = new Set<string>();
  assert.equal(addDynamicGroups(groups, slot, 0, learned, 1), 1, 'one left out by the bound');
  assert.deepEqual([...groups], ['ff02::1:ff00:c1']);
  const all = new Set<string>();
  addDynamicGroups(all, slot, 0, learned, 10);
  assert.deepEqual([...all], ['ff02::1:ff00:c1', 'ff02::1:ff00:c3']);
});
