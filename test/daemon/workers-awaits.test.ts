// RouterAwaits (src/daemon/workers/awaits.ts): a query for a router another worker owns
// leaves a mark every worker sees; the owner takes the reply while the mark stands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownerOf } from '../../src/bpf/fanout';
import { AWAIT_SECONDS, RouterAwaits } from '../../src/daemon/workers/awaits';

const META = 0x10;
/** Router addresses (IPv4 key words: a3 only) owned by worker 0 and worker 1 of 2. */
function routerOwnedBy(w: number): number {
  for (let ip = 0xc0000201; ; ip++) if (ownerOf(0, 0, 0, ip, 2) === w) return ip;
}

test('a query marks a router owned by another worker; the owner takes its reply until the mark lapses', () => {
  let now = 1_000_000;
  const buf = RouterAwaits.buffer();
  const r1 = routerOwnedBy(1);
  const other = routerOwnedBy(1) + 0x100; // not configured as a router
  const isRouter = (_a0: number, _a1: number, _a2: number, a3: number): boolean => a3 === r1;
  const w0 = new RouterAwaits(buf, 1_000_000, 0, 2, isRouter, () => now);
  const w1 = new RouterAwaits(buf, 1_000_000, 1, 2, isRouter, () => now);
  assert.equal(w1.awaited(META, 0, 0, 0, r1), false, 'nobody asked yet');
  w0.asked(META, 0, 0, 0, r1);
  assert.equal(w1.awaited(META, 0, 0, 0, r1), true, 'worker 1 owns r1 and takes the reply worker 0 asked for');
  assert.equal(w1.awaited(META + 1, 0, 0, 0, r1), false, 'another interface/VLAN key is not awaited');
  assert.equal(w1.awaited(META, 0, 0, 0, other), false, 'a key that is not a router is never taken');
  now += (AWAIT_SECONDS - 1) * 1000;
  assert.equal(w1.awaited(META, 0, 0, 0, r1), true, 'still within the window');
  now += 2000;
  assert.equal(w1.awaited(META, 0, 0, 0, r1), false, 'the mark lapsed');
  w0.asked(META, 0, 0, 0, r1);
  assert.equal(w1.awaited(META, 0, 0, 0, r1), true, 'a retry renews it');
  assert.deepEqual([w0.marked, w1.taken], [2, 3]);
});

test('the owner of a router marks nothing for its own queries (its cache awaits them)', () => {
  const buf = RouterAwaits.buffer();
  const r0 = routerOwnedBy(0);
  const w0 = new RouterAwaits(buf, 0, 0, 2, () => true, () => 5000);
  w0.asked(META, 0, 0, 0, r0);
  assert.equal(w0.marked, 0);
  assert.equal(new Int32Array(buf).some((v) => v !== 0), false);
});
