// The per-MAC cache quota (`limit entries N`, lru.ts MacQuota) is exact: every MAC has its
// own count, whatever its hash. The hashed 16-bit cells it replaced made two MACs sharing a
// cell share a count; the first tests below pick such a pair and fail on that version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy } from '../../src/policy';
import { NeighborCache } from '../../src/policy/cache';
import { MacQuota, quotaBigSlots, quotaSlots } from '../../src/policy/lru';
import type { Config, LimitSettings } from '../../src/config/types';
import { ownerOf } from '../../src/bpf/fanout';
import { arp, config, iface, ip4, mac, RecordingOutput, rule, TestEnv } from './fixtures/build';

const OUR = mac('02:00:00:00:00:fe');
const PARAMS = { timeout: 300, refreshCount: 0, refreshInterval: 1, resolveAttempts: 1, resolveInterval: 1 };

/** The cell of the hashed quota this replaced (cells = power of two >= 2 * capacity): only to pick MACs that collided there. */
function oldCell(m: number, capacity: number): number {
  let n = 8;
  while (n < 2 * capacity) n *= 2;
  const lo = m >>> 0;
  const hi = (m / 0x100000000) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) & (n - 1);
}

/** Two unicast MACs 02:00:00:00:xx:xx sharing an old cell for a cache of `capacity`. */
function oldCollision(capacity: number): [number, number] {
  const seen = new Map<number, number>();
  for (let i = 1; ; i++) {
    const m = 0x020000000000 + i;
    const c = oldCell(m, capacity);
    const other = seen.get(c);
    if (other !== undefined) return [other, m];
    seen.set(c, m);
  }
}

function rig(tablesize: number, limits: Partial<LimitSettings>) {
  const cfg: Config = config([iface('eth0', [rule(1, '0.0.0.0/0', '198.51.100.0/24', 'tell'), rule(2, '0.0.0.0/0', '203.0.0.0/8', 'tell')])], { timeout: 300, tablesize });
  cfg.limits = limits;
  const env = new TestEnv([OUR]);
  env.src4.set(0, ip4('198.51.100.254'));
  const policy = new Policy({ config: cfg, env, output: new RecordingOutput() });
  /** A gratuitous ARP: `m` announces `ip` (learned, within its quota). */
  const announce = (m: number, ip: number | string, now = 0) => policy.handle(arp({ senderMac: m, senderIp: ip, targetIp: ip }), 0, now);
  return { policy, announce };
}

test('quota: two MACs that shared a hashed cell have a count each (one is not refused because of the other)', () => {
  const [a, b] = oldCollision(1000);
  assert.equal(oldCell(a, 1000), oldCell(b, 1000), 'the pair collided in the old cells');
  const { policy, announce } = rig(1000, { entriesPerMac: 2 });
  announce(a, '198.51.100.1');
  announce(a, '198.51.100.2');
  announce(a, '198.51.100.3'); // a's third: over its quota
  assert.equal(policy.stats().cache.quotaRefused, 1);
  // Before: b's first address was refused, its cell holding a's two.
  announce(b, '198.51.100.11');
  announce(b, '198.51.100.12');
  assert.equal(policy.stats().cache.size, 4);
  assert.equal(policy.stats().cache.quotaRefused, 1);
  announce(b, '198.51.100.13');
  assert.equal(policy.stats().cache.quotaRefused, 2, 'b is held to its own quota');
});

test('quota: a MAC whose entries go away frees its own count, never another\'s', () => {
  const [a, b] = oldCollision(64);
  const c = new NeighborCache(64, PARAMS);
  c.quota.limit = 1;
  const idA = c.learn(7, 0, 0, 0, 1, a, 0);
  assert.ok(idA >= 0);
  assert.ok(c.learn(7, 0, 0, 0, 2, b, 0) >= 0, 'b has its own count');
  assert.equal(c.learn(7, 0, 0, 0, 3, b, 0), -1, 'b at its quota');
  c.remove(idA);
  // Before: removing a's entry lowered the shared cell, and b got a second address.
  assert.equal(c.learn(7, 0, 0, 0, 3, b, 0), -1, 'b still at its quota after a left');
  assert.ok(c.learn(7, 0, 0, 0, 4, a, 0) >= 0, 'a may learn again');
  assert.equal(c.quota.entriesOf(a), 1);
  assert.equal(c.quota.entriesOf(b), 1);
});

test('quota: a full cache of distinct MACs at `limit entries 1`: every one learned once, none twice', () => {
  // 4096 MACs in the old 8192 cells collide by the hundred (birthday): those were refused.
  const n = 4096;
  const { policy, announce } = rig(n, { entriesPerMac: 1 });
  for (let i = 0; i < n; i++) announce(0x020100000000 + i * 0x10001, (0xcb000000 + i) >>> 0);
  assert.equal(policy.stats().cache.size, n);
  assert.equal(policy.stats().cache.quotaRefused, 0);
  for (let i = 0; i < n; i++) announce(0x020100000000 + i * 0x10001, (0xcb100000 + i) >>> 0, 1);
  assert.equal(policy.stats().cache.quotaRefused, n);
});

test('quota with workers: each worker counts the MAC\'s entries in its own share (up to workers x N in all)', () => {
  // As `workers 2` runs it: each worker a Policy with tablesize / 2, every learn handed to
  // the worker owning the address (the fanout hash, src/bpf/fanout.ts; src/daemon/workers).
  const W = 2;
  const workers = Array.from({ length: W }, () => rig(500, { entriesPerMac: 4 }));
  const m = mac('02:00:00:00:00:31');
  const owned = [0, 0];
  for (let i = 1; i <= 40; i++) {
    const ip = ip4(`198.51.100.${i}`);
    const w = ownerOf(0, 0, 0, ip, W);
    owned[w]!++;
    workers[w]!.announce(m, ip);
  }
  assert.ok(owned[0]! > 4 && owned[1]! > 4, `the 40 addresses spread over both workers (${owned})`);
  for (const { policy } of workers) assert.equal(policy.stats().cache.size, 4, 'N per worker');
  const refused = workers.reduce((n, { policy }) => n + policy.stats().cache.quotaRefused, 0);
  assert.equal(refused, 40 - W * 4);
});

test('MacQuota equals a per-MAC count model under churn, chains wrapping the table end (property)', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 })), { maxLength: 300 }),
      fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })),
      (cap, ops, [s0, s1]) => {
        const q = new MacQuota(cap, Uint32Array.of(s0, s1));
        // A few MACs across the 48 bits (high word, low word, both).
        const macs = Array.from({ length: 21 }, (_, i) => (i % 3 === 0 ? 0x020000000000 + i : i % 3 === 1 ? 0xfe0000000000 + i * 0x1000000 : 0x0a0b0c0d0e00 + i));
        const model = new Map<number, number>();
        let held = 0;
        for (const [add, k] of ops) {
          const m = macs[k]!;
          if (add) {
            // The cache's invariant: at most `cap` entries hold a MAC.
            if (held === cap) continue;
            q.add(m);
            model.set(m, (model.get(m) ?? 0) + 1);
            held++;
          } else if (model.has(m)) {
            q.sub(m);
            const left = model.get(m)! - 1;
            if (left === 0) model.delete(m);
            else model.set(m, left);
            held--;
          }
          for (const x of macs) assert.equal(q.entriesOf(x), model.get(x) ?? 0);
          assert.equal(q.macs, model.size);
        }
        const seen = new Map<number, number>();
        q.forEach((m, e) => seen.set(m, e));
        assert.deepEqual([...seen].sort((x, y) => x[0] - y[0]), [...model].sort((x, y) => x[0] - y[0]));
      },
    ),
    { numRuns: 500 },
  );
});

test('MacQuota counts what the cache holds through learns, moves, evictions and expiry (property)', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 16 }),
      fc.array(fc.tuple(fc.constantFrom('learn', 'remove', 'resolve', 'tick'), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 9 })), { maxLength: 200 }),
      (cap, ops) => {
        const c = new NeighborCache(cap, { ...PARAMS, timeout: 20 });
        const sink = { cacheProbe: () => true };
        let now = 0;
        for (const [op, key, m] of ops) {
          now += 1;
          const mm = 0x020000000000 + m * 0x100000001;
          if (op === 'learn') c.learn(7, 0, 0, 0, key, mm, now);
          else if (op === 'resolve') c.startResolve(7, 0, 0, 0, key, now);
          else if (op === 'tick') c.tick(now + 10, sink);
          else {
            const id = c.find(7, 0, 0, 0, key);
            if (id >= 0) c.remove(id);
          }
          const held = new Map<number, number>();
          c.forEach((id) => {
            const x = c.macOf(id);
            if (x >= 0) held.set(x, (held.get(x) ?? 0) + 1);
          });
          for (let k = 1; k <= 9; k++) {
            const x = 0x020000000000 + k * 0x100000001;
            assert.equal(c.quota.entriesOf(x), held.get(x) ?? 0);
          }
          assert.equal(c.quota.macs, held.size);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('MacQuota: a MAC holding 0xffff entries and more is counted exactly, up and down', () => {
  // A router answering for a whole prefix with the quota off: the slot's 16-bit count hands over to a big record.
  const n = 140_000;
  const q = new MacQuota(n);
  const router = mac('02:00:00:00:00:01');
  const other = mac('02:00:00:00:00:02');
  for (let i = 0; i < n - 1; i++) q.add(router);
  q.add(other);
  assert.equal(q.entriesOf(router), n - 1);
  assert.equal(q.entriesOf(other), 1);
  q.limit = n;
  assert.equal(q.tryAdd(router), true, 'one under the limit: counted');
  assert.equal(q.tryAdd(router), false, 'at the limit: refused');
  assert.equal(q.entriesOf(router), n);
  for (let i = 0; i < n - 0xfffe; i++) q.sub(router);
  assert.equal(q.entriesOf(router), 0xfffe);
  q.add(router);
  q.add(router);
  assert.equal(q.entriesOf(router), 0x10000);
  for (let i = 0; i < 0x10000; i++) q.sub(router);
  assert.equal(q.entriesOf(router), 0);
  assert.equal(q.macs, 1);
  assert.equal(q.entriesOf(other), 1);
});

test('MacQuota: fixed memory from the capacity, load factor at most 1/2; the hash key differs per instance', () => {
  for (const n of [1, 3, 1000, 65536]) {
    const q = new MacQuota(n);
    assert.equal(q.slots, quotaSlots(n));
    assert.ok(q.slots > n + 1 && (n + 1) / q.slots <= 0.5, `capacity ${n}: ${q.slots} slots`);
    assert.equal(q.bytes(), 8 * q.slots + 16 * quotaBigSlots(n));
    // Filled to the capacity with distinct MACs: every one counted, no growth.
    for (let i = 0; i < n; i++) q.add(0x020000000000 + i);
    assert.equal(q.macs, n);
    assert.equal(q.bytes(), 8 * q.slots + 16 * quotaBigSlots(n));
  }
  // The layout depends on the random key: a flood cannot aim MACs at one probe chain.
  const order = () => {
    const q = new MacQuota(64);
    for (let i = 0; i < 48; i++) q.add(0x020000000000 + i);
    const out: number[] = [];
    q.forEach((m) => out.push(m));
    return out.join();
  };
  assert.notEqual(order(), order());
});
