// Takeover probes (guard.ts) have a send budget of their own (issue 12, no amplification):
// `limit interface guard` per interface and `limit source guard` per probed owner, apart
// from the `sends` buckets that resolutions and refresh probes spend. Before, one budget
// served both: a claim flood spent it and a redirect's resolution was refused
// (rate_limited), and a burst of resolutions left no probe for a claim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy, REASON_NAMES } from '../../src/policy';
import { DEFAULT_LIMITS, SourceLimiter } from '../../src/policy/limiter';
import { parseConfig } from '../../src/config';
import type { Config, LimitSettings } from '../../src/config/types';
import { arp, config, iface, ip4, mac, RecordingOutput, rule, TestEnv } from './fixtures/build';

const OUR = mac('02:00:00:00:00:fe');
const CLIENT = mac('02:00:00:00:00:91');
const OWNERS = 1100; // more than the guard's 1024 challenges
const owner = (i: number) => 0x020300000000 + i;
const ownerIp = (i: number) => (0xcb000000 + i) >>> 0; // 203.0.x.x, in memory only

function rig(limits?: Partial<LimitSettings>) {
  const cfg: Config = config(
    [iface('eth0', [rule(1, '0.0.0.0/0', '198.51.100.0/24', '198.51.100.1'), rule(2, '0.0.0.0/0', '203.0.0.0/8', 'tell')])],
    { timeout: 300, refresh: { count: 3, interval: 5 }, tablesize: 4096 },
  );
  if (limits) cfg.limits = limits;
  const env = new TestEnv([OUR]);
  env.src4.set(0, ip4('198.51.100.254'));
  const out = new RecordingOutput();
  const policy = new Policy({ config: cfg, env, output: out });
  // The owners announce themselves: live entries a claim must challenge.
  for (let i = 0; i < OWNERS; i++) policy.handle(arp({ senderMac: owner(i), senderIp: ownerIp(i), targetIp: ownerIp(i) }), 0, 0);
  const frames = () => {
    const all = out.take();
    return { broadcasts: all.filter((l) => l.endsWith('to ff:ff:ff:ff:ff:ff')).length, unicast: all.filter((l) => /^arpRequest.* to 02:/.test(l)).length };
  };
  /** Gratuitous ARPs from `n` spoofed claimants for the owners' addresses (from `from`). */
  const claims = (n: number, now: number, from = 0) => {
    for (let k = 0; k < n; k++) {
      const a = ownerIp((from + k) % OWNERS);
      policy.handle(arp({ senderMac: 0x020400000000 + from + k, senderIp: a, targetIp: a }), 0, now);
    }
  };
  return { policy, frames, claims };
}

test('guard budget: a claim flood no longer delays a redirect resolution', () => {
  const { policy, frames, claims } = rig();
  frames();
  claims(OWNERS, 1);
  const d = policy.handle(arp({ senderMac: CLIENT, senderIp: '198.51.100.91', targetIp: '198.51.100.7' }), 0, 1);
  // Before: rate_limited, the claims' 1000 probes having spent the whole interface send budget.
  assert.equal(REASON_NAMES[d.reason], 'resolving');
  const f = frames();
  assert.equal(f.broadcasts, 1, 'the router\'s resolution left at once');
  const probes = f.unicast;
  assert.equal(probes, DEFAULT_LIMITS.interfaceGuard.burst, 'the flood got the guard budget, no more');
  const sends = policy.stats().limits.sends;
  assert.equal(sends.interface, 0, 'the send budget was not touched by the claims');
  assert.equal(sends.guard_interface, OWNERS - probes, 'the claims over the guard budget are counted by reason');
  assert.equal(policy.stats().guard.challenges, probes);
});

test('guard budget: resolutions that spend the send budget leave the guard its own', () => {
  const { policy, frames, claims } = rig();
  frames();
  // One request per VLAN from distinct hosts (MAC and IP): a resolution each, until the interface send budget is spent.
  const n = DEFAULT_LIMITS.interfaceSends.burst + 50;
  let limited = 0;
  for (let v = 1; v <= n; v++) {
    const d = policy.handle(arp({ senderMac: 0x020500000000 + v, senderIp: (0xcb010000 + v) >>> 0, targetIp: '198.51.100.7', vlan: v }), 0, 1);
    if (REASON_NAMES[d.reason] === 'rate_limited') limited++;
  }
  assert.equal(frames().broadcasts, DEFAULT_LIMITS.interfaceSends.burst);
  assert.equal(limited, 50);
  assert.equal(policy.stats().limits.sends.interface, 50);
  // Before: the claim found the budget spent; no probe, the claim refused unchallenged.
  claims(1, 1);
  assert.equal(frames().unicast, 1, 'the owner is probed');
  assert.equal(policy.stats().guard.challenges, 1);
});

test('guard budget: `limit interface guard` is enforced and refills at its rate', () => {
  const { policy, frames, claims } = rig({ interfaceGuard: { rate: 20, burst: 50 } });
  frames();
  claims(200, 1);
  assert.equal(frames().unicast, 50, 'the burst');
  assert.equal(policy.stats().limits.sends.guard_interface, 150);
  assert.equal(policy.stats().guard.challengesRefused, 150);
  // 2 s later (the first challenges answered nothing: moved or held), 40 tokens more.
  claims(200, 3, 200);
  assert.equal(frames().unicast, 40, 'rate 20/s for 2 s');
  assert.equal(policy.stats().limits.sends.guard_interface, 150 + 160);
});

test('guard budget: `limit source guard` bounds the probes to one owner, apart from its refresh budget', () => {
  const l = new SourceLimiter(64);
  l.configure([{ slot: 0, limits: { ...DEFAULT_LIMITS, sourceGuard: { rate: 1, burst: 3 }, sourceSends: { rate: 1, burst: 2 } } }]);
  l.now = 1;
  const m = mac('02:00:00:00:00:aa');
  assert.deepEqual([1, 2, 3, 4].map(() => l.allowGuardProbe(0, m)), [true, true, true, false]);
  assert.equal(l.sendsLimited[5], 1); // guard_destination
  // Its refresh probes still have their own bucket (before: spent by the claims).
  assert.deepEqual([1, 2, 3].map(() => l.allowProbe(0, m)), [true, true, false]);
  assert.equal(l.sendsLimited[3], 1); // destination
  l.now = 2;
  assert.equal(l.allowGuardProbe(0, m), true, 'refilled at 1/s');
  // Through the policy: one owner whose addresses are all claimed.
  const { policy, frames } = rig({ sourceGuard: { rate: 1, burst: 5 } });
  frames();
  const one = mac('02:00:00:00:00:ab');
  for (let i = 0; i < 10; i++) policy.handle(arp({ senderMac: one, senderIp: `198.51.100.${100 + i}`, targetIp: `198.51.100.${100 + i}` }), 0, 0.5);
  for (let i = 0; i < 10; i++) policy.handle(arp({ senderMac: 0x020600000000 + i, senderIp: `198.51.100.${100 + i}`, targetIp: `198.51.100.${100 + i}` }), 0, 1);
  assert.equal(frames().unicast, 5);
  assert.equal(policy.stats().limits.sends.guard_destination, 5);
});

test('config: limit source|interface guard lines, and the metrics names', () => {
  const { config: c } = parseConfig('limit interface guard 50/s burst 60\ninterface eth0\n limit guard off\n rule 0.0.0.0/0 198.51.100.0/24 tell\nend\n', 't.conf');
  assert.deepEqual(c.limits, { interfaceGuard: { rate: 50, burst: 60 } });
  assert.deepEqual(c.interfaces[0]!.limits, { sourceGuard: { rate: 0, burst: 0 } });
  assert.throws(() => parseConfig('limit interface guard 1/s\nlimit interface guard 2/s\n', 'd.conf'), /each setting once|E_CONFIG_DUPLICATE|twice/);
  assert.throws(() => parseConfig('limit interface entries 3\n', 'e.conf'), /'requests', 'sends' or 'guard'/);
  const { policy } = rig();
  assert.deepEqual(Object.keys(policy.stats().limits.sends), ['source_mac', 'source_ip', 'interface', 'destination', 'guard_interface', 'guard_destination']);
  assert.deepEqual(Object.keys(policy.stats().limits.requests), ['source_mac', 'source_ip', 'interface']);
});
