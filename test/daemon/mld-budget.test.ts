// The joins' budget and hold (issue 12, no amplification): every join or leave makes the kernel
// send MLD reports, so a flood of new sources must not turn into a flood of reports. Fake
// sockets and a fake clock: a simulated flood of learned sources, reconcile by reconcile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { parseConfig } from '../../src/config';
import { mldBudget, MulticastJoins, type DesiredJoins, type MembershipSocket } from '../../src/daemon/mld';

const log = pino({ level: 'silent' });

class FakeSocket implements MembershipSocket {
  ops = 0;
  addMembership(): void { this.ops++; }
  dropMembership(): void { this.ops++; }
  close(): void { /* nothing joined for real */ }
}

function lab(budget = { rate: 20, burst: 100 }, holdSeconds?: number) {
  let t = 1000;
  const sockets: FakeSocket[] = [];
  const joins = new MulticastJoins(log, () => { const s = new FakeSocket(); sockets.push(s); return s; }, 1024,
    { clock: () => t, budget: () => budget, ...(holdSeconds !== undefined ? { holdSeconds } : {}) });
  const ops = () => sockets.reduce((n, s) => n + s.ops, 0);
  return { joins, ops, advance: (s: number) => { t += s; } };
}

const STATIC = 'ff02::1:ff00:1';
const ASKED = 'ff02::1:ff00:2';
const hex = (n: number) => `ff02::1:ff${(n >> 16 & 0xff).toString(16).padStart(2, '0')}:${(n & 0xffff).toString(16)}`;

/** What Daemon.reconcileJoins passes under a flood: the static, the host asked for, then 1 022 sources new this time. */
function floodDesired(round: number): Map<string, DesiredJoins> {
  const groups = new Set([STATIC, ASKED]);
  for (let i = 0; groups.size < 1024; i++) groups.add(hex(0x100000 + round * 2000 + i));
  return new Map([['eth0', { ifindex: 2, groups, fixed: 1 }]]);
}

function flood(l: ReturnType<typeof lab>, rounds: number): number[] {
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const before = l.ops();
    l.joins.reconcile(floodDesired(r));
    perRound.push(l.ops() - before);
    const g = new Set(l.joins.groups('eth0'));
    assert.ok(g.has(STATIC) && g.has(ASKED), `round ${r}: the static and the host asked for stay joined`);
    assert.ok(g.size <= 1024);
    l.advance(5);
  }
  return perRound;
}

test('a flood of new sources: joins + leaves per reconcile within the budget, the host asked for stays joined', () => {
  const l = lab();
  const perRound = flood(l, 20);
  // The first reconcile also joins the static (configured groups are not budgeted).
  assert.ok(perRound[0]! <= 101, `first reconcile ${perRound[0]}`);
  for (const [r, n] of perRound.entries()) assert.ok(n <= 101, `reconcile ${r}: ${n} joins + leaves`);
  // Refill: 20/s over 5 s = 100 per reconcile after the first; over 95 s at most 100 + 95 x 20.
  const total = perRound.reduce((a, b) => a + b, 0);
  assert.ok(total <= 1 + 100 + 95 * 20, `total ${total}`);
  assert.ok(l.joins.counters.deferredJoins > 10_000, `deferred ${l.joins.counters.deferredJoins}`);
  assert.equal(l.joins.counters.failed, 0);
});

test('without a budget (limit interface mld off) the same flood leaves and joins ~2 000 groups a reconcile', () => {
  const l = lab({ rate: 0, burst: 0 });
  const perRound = flood(l, 5);
  assert.equal(perRound[0], 1024);
  for (const n of perRound.slice(1)) assert.ok(n >= 2000, `${n} joins + leaves`);
  assert.equal(l.joins.counters.deferredJoins, 0);
});

test('per second: an empty bucket refills at the rate, not at once', () => {
  const l = lab({ rate: 20, burst: 100 });
  l.joins.reconcile(floodDesired(0));
  const first = l.ops();
  l.advance(1);
  l.joins.reconcile(floodDesired(1));
  assert.ok(l.ops() - first <= 20, `${l.ops() - first} in 1 s`);
  l.advance(0.1);
  const before = l.ops();
  l.joins.reconcile(floodDesired(2)); // an interface change triggers one between the ticks
  assert.ok(l.ops() - before <= 2, `${l.ops() - before} in 0.1 s`);
});

test('hold: a learned group no longer wanted stays joined 60 s, then is left; one that comes back costs nothing', () => {
  const l = lab();
  const want = (gs: string[]) => new Map([['eth0', { ifindex: 2, groups: new Set(gs), fixed: 0 }]]);
  l.joins.reconcile(want([ASKED, 'ff02::1:ff00:3']));
  assert.equal(l.ops(), 2);
  l.advance(5);
  l.joins.reconcile(want([ASKED]));
  assert.deepEqual(l.joins.groups('eth0').sort(), [ASKED, 'ff02::1:ff00:3']);
  assert.equal(l.joins.held('eth0'), 1);
  l.advance(5);
  l.joins.reconcile(want([ASKED, 'ff02::1:ff00:3']));
  assert.equal(l.ops(), 2, 'back within the hold: no leave, no join');
  l.advance(5);
  l.joins.reconcile(want([ASKED]));
  l.advance(59);
  l.joins.reconcile(want([ASKED]));
  assert.deepEqual(l.joins.groups('eth0'), [ASKED], 'left once 60 s passed since its join');
  assert.equal(l.ops(), 3);
});

test('a full interface of held groups makes room for a wanted group at once, the longest held first', () => {
  const l = lab({ rate: 0, burst: 0 });
  const many = Array.from({ length: 1024 }, (_, i) => hex(0x200000 + i));
  l.joins.reconcile(new Map([['eth0', { ifindex: 2, groups: new Set(many.slice(0, 512)), fixed: 0 }]]));
  l.advance(1);
  l.joins.reconcile(new Map([['eth0', { ifindex: 2, groups: new Set(many), fixed: 0 }]]));
  l.advance(1);
  l.joins.reconcile(new Map([['eth0', { ifindex: 2, groups: new Set([ASKED]), fixed: 0 }]]));
  const g = l.joins.groups('eth0');
  assert.equal(g.length, 1024);
  assert.ok(g.includes(ASKED));
  assert.ok(!g.includes(many[0]!), 'the first joined went for the room');
  assert.equal(l.joins.counters.overLimit, 0);
});

test('limit interface mld: the file\'s, an interface\'s own, the default; per source is refused', () => {
  const { config } = parseConfig(`limit interface mld 5/s burst 10
interface eth0
end
interface eth1
 limit interface mld off
end
`, 'test.conf');
  assert.deepEqual(mldBudget(config, 'eth0'), { rate: 5, burst: 10 });
  assert.deepEqual(mldBudget(config, 'eth1'), { rate: 0, burst: 0 });
  assert.deepEqual(mldBudget(null, 'eth0'), { rate: 20, burst: 100 });
  assert.throws(() => parseConfig('limit mld 5/s\n', 'bad.conf'), /bad\.conf:1:7: .*limit interface mld/);
});

test('the deferred joins are exported with their reason, the held groups per interface', async () => {
  const { Registry } = await import('prom-client');
  const { registerJoinMetrics } = await import('../../src/daemon/mld-targets');
  const l = lab({ rate: 1, burst: 10 });
  l.joins.reconcile(floodDesired(0));
  l.advance(5);
  l.joins.reconcile(floodDesired(1));
  const registry = new Registry();
  registerJoinMetrics(registry, l.joins, () => ['eth0'], () => null);
  const text = await registry.metrics();
  const deferred = Number(/neighproxy_mld_deferred_total\{op="join",reason="mld_budget"\} (\d+)/.exec(text)?.[1]);
  assert.equal(deferred, l.joins.counters.deferredJoins);
  assert.ok(deferred > 2000);
  assert.match(text, /neighproxy_mld_groups_held\{interface="eth0"\} [1-9]/);
  const f = l.joins.figures() as { deferredJoins: number; interfaces: { name: string; joined: number }[] };
  assert.equal(f.deferredJoins, deferred);
  assert.equal(f.interfaces[0]!.joined, l.joins.groups('eth0').length);
});
