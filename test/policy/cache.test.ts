// Learning, refresh, expiry, eviction and resolution with an injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy, Verdict, REASON_NAMES } from '../../src/policy';
import { NeighborCache } from '../../src/policy/cache';
import { AddrTable } from '../../src/policy/addrtable';
import { arp, config, iface, ip4, mac, na, ns, RecordingOutput, rule, TestEnv, ip6 } from './fixtures/build';
import { Family } from '../../src/net/addr';

const OUR = mac('02:00:00:00:00:fe');
const H1 = mac('02:00:00:00:00:11');
const H2 = mac('02:00:00:00:00:12');
const ASKER = mac('02:00:00:00:00:99');

function setup(cacheOver = {}, rules = [rule(1, '0.0.0.0/0', '198.51.100.0/24', 'tell'), rule(2, '::/0', '2001:db8::/32', 'tell')]) {
  const env = new TestEnv([OUR]);
  env.src4.set(0, ip4('198.51.100.254'));
  env.linkLocal.set(0, ip6('fe80::fe'));
  const out = new RecordingOutput();
  const policy = new Policy({ config: config([iface('eth0', rules)], cacheOver), env, output: out });
  // Unicast requests: the asker itself is not learned, so cache counts are the hosts under test.
  const who = (target: string, now: number) =>
    policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: target, ethDst: OUR }), 0, now);
  return { env, out, policy, who };
}

test('learns from broadcast requests and gratuitous ARP, not from probes, unicast requests or unrequested replies', () => {
  const { policy, who } = setup();
  // Probe: sender 0.0.0.0 -> nothing learned.
  policy.handle(arp({ senderMac: H1, senderIp: '0.0.0.0', targetIp: '198.51.100.1' }), 0, 1);
  // Unicast request (a router's refresh): not learned.
  policy.handle(arp({ senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.254', ethDst: OUR }), 0, 1);
  // A reply we did not ask for, even from the owner's MAC: not learned.
  policy.handle(arp({ op: 'reply', senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.99', ethDst: ASKER }), 0, 1);
  // A request whose sender hardware address is not the frame's source (relayed/spoofed): not learned.
  policy.handle(arp({ senderMac: H1, ethSrc: H2, senderIp: '198.51.100.1', targetIp: '198.51.100.50' }), 0, 1);
  assert.equal(REASON_NAMES[who('198.51.100.1', 2).reason], 'unknown_target');
  // Broadcast request: learned.
  policy.handle(arp({ senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.50' }), 0, 3);
  assert.equal(who('198.51.100.1', 4).answerMac, H1);
  // Gratuitous ARP (announcement) from another MAC: the live entry stays until its owner
  // fails a probe (takeover guard, see guard.test.ts).
  policy.handle(arp({ senderMac: H2, senderIp: '198.51.100.1', targetIp: '198.51.100.1' }), 0, 5);
  assert.equal(who('198.51.100.1', 6).answerMac, H1);
  // Gratuitous ARP reply also counts (sender = target).
  policy.handle(arp({ op: 'reply', senderMac: H1, senderIp: '198.51.100.2', targetIp: '198.51.100.2' }), 0, 6);
  assert.equal(who('198.51.100.2', 7).answerMac, H1);
  assert.equal(policy.stats().cache.learned, 2);
});

test('learning is per VLAN: the same address on another VLAN is another host', () => {
  const { policy } = setup();
  policy.handle(arp({ senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.50', vlan: 10 }), 0, 1);
  const ask = (vlan: number) => policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: '198.51.100.1', vlan }), 0, 2);
  assert.equal(ask(10).answerMac, H1);
  assert.equal(REASON_NAMES[ask(20).reason], 'unknown_target');
});

test('refresh R*I: R unicast probes I seconds apart before expiry; an answer keeps the entry', () => {
  const { policy, out, who } = setup({ timeout: 30, refresh: { count: 3, interval: 5 } });
  policy.handle(arp({ senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.50' }), 0, 0);
  assert.equal(who('198.51.100.1', 1).answerMac, H1); // in use: only entries someone asked for are refreshed
  out.take();
  policy.tick(14.9); // window opens at 30 - 15 = 15
  assert.deepEqual(out.take(), []);
  policy.tick(15);
  assert.deepEqual(out.take(), ['arpRequest if0 vlan-1 from 02:00:00:00:00:fe 198.51.100.254 who-has 198.51.100.1 to 02:00:00:00:00:11']);
  policy.tick(19);
  assert.deepEqual(out.take(), []);
  policy.tick(20);
  assert.equal(out.take().length, 1);
  // The owner answers our unicast probe: entry fresh again, lives 30 s from now.
  policy.handle(arp({ op: 'reply', senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.254', targetMac: OUR, ethDst: OUR }), 0, 21);
  policy.tick(25);
  assert.deepEqual(out.take(), []);
  assert.equal(who('198.51.100.1', 50).answerMac, H1);
  assert.equal(policy.stats().cache.refreshed, 1);
});

test('refresh: all R probes unanswered drops the entry at expiry', () => {
  const { policy, out, who } = setup({ timeout: 30, refresh: { count: 3, interval: 5 } });
  policy.handle(arp({ senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.50' }), 0, 0);
  who('198.51.100.1', 0.5);
  out.take();
  let probes = 0;
  for (let t = 0; t <= 31; t += 0.5) {
    policy.tick(t);
    probes += out.take().length;
  }
  assert.equal(probes, 3);
  assert.equal(REASON_NAMES[who('198.51.100.1', 31).reason], 'unknown_target');
  assert.equal(policy.stats().cache.expired, 1);
  assert.equal(policy.stats().cache.size, 0);
});

test('timeout without refresh: an entry answers until it expires, not after', () => {
  const { policy, who } = setup({ timeout: 10 });
  policy.handle(arp({ senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.50' }), 0, 0);
  assert.equal(who('198.51.100.1', 9.9).verdict, Verdict.Answer);
  assert.equal(who('198.51.100.1', 10).verdict, Verdict.Silent); // expired even before tick sweeps it
  policy.tick(10);
  assert.equal(policy.stats().cache.size, 0);
});

test('timeout 0 disables learning', () => {
  const { policy, who } = setup({ timeout: 0 });
  policy.handle(arp({ senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.50' }), 0, 0);
  assert.equal(REASON_NAMES[who('198.51.100.1', 1).reason], 'unknown_target');
});

test('tablesize is a hard bound: the least recently used entry is evicted and counted', () => {
  const { policy, who } = setup({ tablesize: 3 });
  for (let i = 1; i <= 3; i++) policy.handle(arp({ senderMac: H1 + i, senderIp: `198.51.100.${i}`, targetIp: '198.51.100.50' }), 0, i);
  assert.equal(who('198.51.100.1', 4).answerMac, H1 + 1); // .1 becomes most recently used; .2 is now LRU
  policy.handle(arp({ senderMac: H1 + 4, senderIp: '198.51.100.4', targetIp: '198.51.100.50' }), 0, 5);
  const s = policy.stats().cache;
  assert.equal(s.size, 3);
  assert.equal(s.evictions, 1);
  assert.equal(REASON_NAMES[who('198.51.100.2', 6).reason], 'unknown_target');
  assert.equal(who('198.51.100.1', 6).answerMac, H1 + 1);
  assert.equal(who('198.51.100.3', 6).answerMac, H1 + 3);
  assert.equal(who('198.51.100.4', 6).answerMac, H1 + 4);
});

test('redirect resolution: retried, pending answers held for the interface timeout, then dropped', () => {
  const rules = [rule(1, '198.51.100.0/24', '198.51.100.0/24', '198.51.100.1')];
  const { policy, out } = setup({}, rules);
  const ask = (now: number) =>
    policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: '198.51.100.7', ethDst: OUR }), 0, now);
  assert.equal(REASON_NAMES[ask(0).reason], 'resolving');
  assert.equal(out.take().length, 1); // broadcast who-has 198.51.100.1
  assert.equal(REASON_NAMES[ask(0.2).reason], 'resolving');
  assert.deepEqual(out.take(), []); // no second broadcast while one is under way
  policy.tick(1);
  assert.deepEqual(out.take(), ['arpRequest if0 vlan-1 from 02:00:00:00:00:fe 198.51.100.254 who-has 198.51.100.1 to ff:ff:ff:ff:ff:ff']);
  assert.equal(policy.stats().pending.expired, 0);
  policy.tick(1.5); // interface timeout is 1 s: both pending answers expired
  assert.equal(policy.stats().pending.expired, 2);
  policy.tick(2);
  policy.tick(3);
  assert.deepEqual(out.take(), []); // third attempt: no answer waits for it any more, nothing sent
  assert.equal(policy.stats().limits.retriesSkipped, 1);
  policy.tick(10);
  assert.deepEqual(out.take(), []);
  assert.equal(policy.stats().cache.resolveFailures, 1);
  // A late reply is no longer awaited: not learned, nothing sent.
  policy.handle(arp({ op: 'reply', senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.254', ethDst: OUR, targetMac: OUR }), 0, 11);
  assert.deepEqual(out.take(), []);
  assert.equal(policy.stats().cache.size, 0);
});

test('redirect pending queue is bounded', () => {
  const rules = [rule(1, '198.51.100.0/24', '198.51.100.0/24', '198.51.100.1')];
  const env = new TestEnv([OUR]);
  const out = new RecordingOutput();
  const policy = new Policy({ config: config([iface('eth0', rules)]), env, output: out, options: { pendingSize: 2 } });
  const reasons = [1, 2, 3].map((i) =>
    REASON_NAMES[policy.handle(arp({ senderMac: ASKER + i, senderIp: `198.51.100.${90 + i}`, targetIp: '198.51.100.7' }), 0, 0).reason],
  );
  assert.deepEqual(reasons, ['resolving', 'resolving', 'queue_full']);
});

test('ND: learns from multicast NS with a source link-layer option and unsolicited NA (O=1); refresh is unicast NS', () => {
  const { policy, out } = setup({ timeout: 30, refresh: { count: 1, interval: 5 } });
  const askNd = (target: string, now: number) => policy.handle(ns({ ethSrc: ASKER, src: '2001:db8::99', target }), 0, now);
  policy.handle(ns({ ethSrc: H1, src: '2001:db8::1', target: '2001:db8::50' }), 0, 0);
  assert.equal(askNd('2001:db8::1', 1).answerMac, H1);
  // Unsolicited NA from a proxy (O=0): not learned. From the owner (O=1): learned.
  policy.handle(na({ ethSrc: H2, target: '2001:db8::2', flags: 0 }), 0, 1);
  assert.equal(REASON_NAMES[askNd('2001:db8::2', 1).reason], 'unknown_target');
  policy.handle(na({ ethSrc: H2, target: '2001:db8::2', flags: 1 }), 0, 1);
  assert.equal(askNd('2001:db8::2', 2).answerMac, H2);
  // DAD NS (source ::) teaches nothing.
  policy.handle(ns({ ethSrc: H1, src: '::', target: '2001:db8::3' }), 0, 2);
  assert.equal(REASON_NAMES[askNd('2001:db8::3', 2).reason], 'unknown_target');
  out.take();
  policy.tick(25);
  assert.deepEqual(out.take(), ['ns if0 vlan-1 from fe80::fe who-has 2001:db8::1 to 02:00:00:00:00:11']);
  // Solicited NA to us answers the probe: kept.
  policy.handle(na({ ethSrc: H1, ethDst: OUR, dst: 'fe80::fe', target: '2001:db8::1', flags: 2 | 1 }), 0, 26);
  assert.equal(askNd('2001:db8::1', 40).answerMac, H1);
  // A solicited NA to someone else is not ours to learn from.
  policy.handle(na({ ethSrc: H2, ethDst: ASKER, target: '2001:db8::5', flags: 3 }), 0, 41);
  assert.equal(REASON_NAMES[askNd('2001:db8::5', 41).reason], 'unknown_target');
});

test('AddrTable: removal keeps every other key findable (backward shift)', () => {
  const t = new AddrTable(600);
  const ids: number[] = [];
  for (let i = 0; i < 600; i++) ids.push(t.insert(1, 0, 0, 0, i * 7919));
  assert.equal(t.insert(1, 0, 0, 0, 5), -1); // full
  for (let i = 0; i < 600; i += 3) t.remove(ids[i]!);
  for (let i = 0; i < 600; i++) assert.equal(t.find(1, 0, 0, 0, i * 7919) >= 0, i % 3 !== 0, `key ${i}`);
  assert.equal(t.size, 400);
});

test('NeighborCache keeps a million entries in typed arrays', () => {
  const c = new NeighborCache(1_000_000, { timeout: 300, refreshCount: 3, refreshInterval: 5, resolveAttempts: 3, resolveInterval: 1 });
  for (let i = 0; i < 1_000_000; i++) c.learn(1, 0, 0, 0, i, 0x020000000000 + i, 0);
  assert.equal(c.size, 1_000_000);
  assert.equal(c.lookup(1, 0, 0, 0, 123456, 1), 0x020000000000 + 123456);
  c.learn(1, 0, 0, 0, 2_000_000, 1, 1);
  assert.equal(c.evictions, 1);
  assert.equal(c.lookup(1, 0, 0, 0, 0, 2), -1); // the oldest went
  assert.ok(c.bytes() < 116 * 1_000_000, `${c.bytes()} bytes`); // 115: 16 of them the exact MAC quota (lru.ts)
});

test('pending slots are reused after answers expire', () => {
  const rules = [rule(1, '198.51.100.0/24', '198.51.100.0/24', '198.51.100.1')];
  const policy = new Policy({ config: config([iface('eth0', rules)]), env: new TestEnv([OUR]), output: new RecordingOutput(), options: { pendingSize: 2 } });
  const ask = (i: number, now: number) =>
    REASON_NAMES[policy.handle(arp({ senderMac: ASKER + i, senderIp: `198.51.100.${90 + i}`, targetIp: '198.51.100.7', ethDst: OUR }), 0, now).reason];
  assert.deepEqual([ask(1, 0), ask(2, 0), ask(3, 0)], ['resolving', 'resolving', 'queue_full']);
  policy.tick(1.5); // interface timeout 1 s
  assert.deepEqual([ask(4, 1.6), ask(5, 1.6), ask(6, 1.6)], ['resolving', 'resolving', 'queue_full']);
  assert.equal(policy.stats().pending.expired, 2);
});

test('a mass expiry is spread over ticks (bounded work per tick)', () => {
  const c = new NeighborCache(1000, { timeout: 10, refreshCount: 0, refreshInterval: 0, resolveAttempts: 3, resolveInterval: 1 });
  c.maxPerTick = 300;
  for (let i = 0; i < 1000; i++) c.learn(1, 0, 0, 0, i, i + 1, 0);
  const sink = { cacheProbe: () => true };
  c.tick(20, sink);
  assert.equal(c.size, 700);
  c.tick(20.1, sink);
  c.tick(20.2, sink);
  c.tick(20.3, sink);
  assert.equal(c.size, 0);
  assert.equal(c.expired, 1000);
});

test('NeighborCache with exact LRU behaves like a two-segment LRU model (property)', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.tuple(fc.constantFrom('learn', 'lookup', 'remove'), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 1000 })), { maxLength: 200 }),
      (cap, ops) => {
        const c = new NeighborCache(cap, { timeout: 1e9, refreshCount: 0, refreshInterval: 0, resolveAttempts: 3, resolveInterval: 1 });
        c.lruResolution = 0;
        // Insertion order = LRU order (first = least recent). Learned entries start on
        // probation, a lookup protects them; a full table evicts the probation tail unless
        // probation is under 1/8 of the entries (lru.ts).
        const prob = new Map<number, number>();
        const prot = new Map<number, number>();
        const size = () => prob.size + prot.size;
        let now = 0;
        for (const [op, key, mac] of ops) {
          now += 1;
          if (op === 'learn') {
            if (prob.has(key)) prob.delete(key), prob.set(key, mac);
            else if (prot.has(key)) prot.delete(key), prot.set(key, mac);
            else {
              if (size() === cap) {
                const fromProb = prob.size > 0 && (prot.size === 0 || prob.size * 8 >= size());
                const m = fromProb ? prob : prot;
                m.delete(m.keys().next().value!);
              }
              prob.set(key, mac);
            }
            c.learn(7, 0, 0, 0, key, mac, now);
          } else if (op === 'lookup') {
            const want = prob.get(key) ?? prot.get(key);
            if (want !== undefined) {
              prob.delete(key);
              prot.delete(key);
              prot.set(key, want);
            }
            assert.equal(c.lookup(7, 0, 0, 0, key, now), want ?? -1);
          } else {
            const id = c.find(7, 0, 0, 0, key);
            if (id >= 0) c.remove(id);
            prob.delete(key);
            prot.delete(key);
          }
          assert.equal(c.size, size());
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('dumpCache lists entries with interface name, VLAN, state; refresh failures are counted apart', () => {
  const { policy } = setup({ timeout: 30, refresh: { count: 1, interval: 5 } });
  policy.handle(arp({ senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.50', vlan: 7 }), 0, 0);
  policy.handle(ns({ ethSrc: H2, src: '2001:db8::2', target: '2001:db8::50' }), 0, 1);
  // Partition by partition (interface, family), most recently used first within each.
  assert.deepEqual(policy.dumpCache(2), [
    { interface: 'eth0', vlan: 7, family: 4, address: '198.51.100.1', mac: '02:00:00:00:00:11', state: 'fresh' },
    { interface: 'eth0', vlan: -1, family: 6, address: '2001:db8::2', mac: '02:00:00:00:00:12', state: 'fresh' },
  ]);
  policy.lookup(0, 7, { family: Family.V4, v4: ip4('198.51.100.1') }, 2); // asked for: refreshed
  policy.tick(25);
  assert.equal(policy.dumpCache(25)[0]!.state, 'probing');
  policy.tick(30);
  assert.equal(policy.stats().cache.refreshFailures, 1);
  // The IPv6 entry nobody asked for was dropped unprobed when its refresh would have begun (26 s).
  assert.equal(policy.stats().cache.unusedExpired, 1);
  assert.equal(policy.dumpCache(30).length, 0);
  assert.equal(policy.slotName(0), 'eth0');
});

test('dumpCache lists entries in use before those nobody asked for (a bounded reader, MLD joins, takes real hosts first)', () => {
  const { policy, who } = setup();
  for (let i = 1; i <= 3; i++) policy.handle(arp({ senderMac: H1 + i, senderIp: `198.51.100.${i}`, targetIp: '198.51.100.50' }), 0, 1);
  assert.deepEqual(policy.dumpCache(2).map((e) => e.address), ['198.51.100.3', '198.51.100.2', '198.51.100.1']);
  who('198.51.100.1', 2); // asked for: protected
  assert.deepEqual(policy.dumpCache(2).map((e) => e.address), ['198.51.100.1', '198.51.100.3', '198.51.100.2']);
});

test('a rule\'s remembered cache entry is re-checked: an evicted and reused entry never answers for the old address', () => {
  // tablesize 1: learning H2 evicts H1 and reuses the same entry id the `tell` rule remembered.
  const { policy, who } = setup({ tablesize: 1 });
  policy.handle(arp({ senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.50' }), 0, 1);
  assert.equal(who('198.51.100.1', 2).answerMac, H1);
  policy.handle(arp({ senderMac: H2, senderIp: '198.51.100.2', targetIp: '198.51.100.50' }), 0, 3);
  assert.equal(policy.stats().cache.evictions, 1);
  assert.equal(REASON_NAMES[who('198.51.100.1', 4).reason], 'unknown_target');
  assert.equal(who('198.51.100.2', 5).answerMac, H2);
  assert.equal(REASON_NAMES[who('198.51.100.1', 6).reason], 'unknown_target');
});

test('lookupIdHint equals lookupId for any hint, stale, foreign or out of range (property)', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('learn', 'remove', 'lookup'), fc.integer({ min: 0, max: 11 }), fc.integer({ min: -2, max: 9 })), { maxLength: 150 }),
      (ops) => {
        const c = new NeighborCache(6, { timeout: 50, refreshCount: 0, refreshInterval: 0, resolveAttempts: 3, resolveInterval: 1 });
        let now = 0;
        for (const [op, key, hint] of ops) {
          now += 1;
          if (op === 'learn') c.learn(3, 0, 0, 0, key, 100 + key, now);
          else if (op === 'remove') {
            const id = c.find(3, 0, 0, 0, key);
            if (id >= 0) c.remove(id);
          } else {
            c.now = now;
            const want = c.lookupId(3, 0, 0, 0, key);
            assert.equal(c.lookupIdHint(hint, 3, 0, 0, 0, key), want);
            assert.equal(c.lookupIdHint(want, 3, 0, 0, 0, key), want);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});
