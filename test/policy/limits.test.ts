// Issue 12: per-source limits, a cache one host cannot empty, and no amplification,
// through the real Policy with an injected clock. Frames out are counted per kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy, REASON_NAMES, Verdict } from '../../src/policy';
import { Family } from '../../src/net/addr';
import { DEFAULT_LIMITS, SourceLimiter } from '../../src/policy/limiter';
import type { Config, LimitSettings } from '../../src/config/types';
import { parseConfig } from '../../src/config';
import { arp, config, iface, ip4, mac, ns, RecordingOutput, rule, TestEnv } from './fixtures/build';

const OUR = mac('02:00:00:00:00:fe');
const H = mac('02:00:00:00:00:91');
const VICTIM = mac('02:00:00:00:00:aa');

function rig(cfg: Config, options = {}) {
  const env = new TestEnv([OUR]);
  env.src4.set(0, ip4('198.51.100.254'));
  const out = new RecordingOutput();
  const policy = new Policy({ config: cfg, env, output: out, options });
  /** Frames sent so far: broadcast queries, unicast queries, to one MAC. */
  const frames = () => {
    const all = out.take();
    return {
      all,
      broadcasts: all.filter((l) => l.endsWith('to ff:ff:ff:ff:ff:ff') || / to -1$/.test(l) || l.startsWith('ns') && !/to 02:/.test(l)).length,
      unicast: all.filter((l) => /(arpRequest|^ns).* to 02:/.test(l)).length,
    };
  };
  return { policy, out, frames };
}
const run = (p: Policy, from: number, to: number) => {
  for (let t = from; t <= to + 1e-9; t += 0.1) p.tick(t);
};
const redirect = (over = {}) =>
  config([iface('eth0', [rule(1, '0.0.0.0/0', '198.51.100.0/24', '198.51.100.1')])], { timeout: 300, refresh: { count: 3, interval: 5 }, ...over });
const tell = (over = {}, limits?: Partial<LimitSettings>) => {
  const c = config([iface('eth0', [rule(1, '0.0.0.0/0', '198.51.100.0/24', 'tell'), rule(2, '0.0.0.0/0', '203.0.0.0/8', 'tell'), rule(3, '::/0', '2001:db8::/32', 'tell')])], { timeout: 300, refresh: { count: 3, interval: 5 }, ...over });
  if (limits) c.limits = limits;
  return c;
};
const ask = (p: Policy, from: number, sip: number | string, tip: string, now: number, vlan = -1) =>
  p.handle(arp({ senderMac: from, senderIp: sip, targetIp: tip, vlan }), 0, now);

test('amplification: one request for a silent redirect router sends one broadcast, no retries nobody waits for, no probes to the requester', () => {
  const { policy, frames } = rig(redirect());
  assert.equal(REASON_NAMES[ask(policy, H, '198.51.100.91', '198.51.100.7', 0).reason], 'resolving');
  run(policy, 0, 400);
  const f = frames();
  // Before: 3 broadcasts + 3 refresh probes to the requester (6 frames for 1 request).
  assert.equal(f.broadcasts, 1, f.all.join('\n'));
  assert.equal(f.unicast, 0, f.all.join('\n'));
  assert.equal(policy.stats().cache.resolveFailures, 1);
  assert.equal(policy.stats().cache.unusedExpired, 1, 'the requester learned from its request was not probed');
});

test('amplification: 100 requests on VLANs 1..100 (vlan any) are at most one frame each; 4094 stay within the source send bucket', () => {
  const a = rig(redirect());
  for (let v = 1; v <= 100; v++) ask(a.policy, H, '198.51.100.91', '198.51.100.7', 0, v);
  run(a.policy, 0, 400);
  const f = a.frames();
  // Before: 300 broadcasts + 300 probes.
  assert.equal(f.broadcasts + f.unicast, 100);
  const b = rig(redirect());
  let limited = 0;
  for (let v = 1; v <= 4094; v++) if (ask(b.policy, H, '198.51.100.91', '198.51.100.7', 0, v).reason === REASON_NAMES.indexOf('rate_limited')) limited++;
  run(b.policy, 0, 10);
  const g = b.frames();
  assert.equal(g.broadcasts, DEFAULT_LIMITS.sourceSends.burst, 'burst, then nothing at t=0');
  assert.equal(limited, 4094 - DEFAULT_LIMITS.sourceSends.burst);
  assert.equal(b.policy.stats().limits.sends.source_mac, limited);
});

test('amplification: a gratuitous ARP naming a victim\'s MAC makes no probe to the victim', () => {
  const { policy, frames } = rig(tell());
  policy.handle(arp({ senderMac: VICTIM, senderIp: '198.51.100.50', targetIp: '198.51.100.50' }), 0, 0);
  run(policy, 0, 400);
  assert.deepEqual(frames().all, []); // before: 3 unicast probes to the victim
});

test('amplification: the resolution under way survives a cache flood; retries stay at one a second', () => {
  const { policy, frames } = rig(redirect({ tablesize: 1000 }));
  let k = 0;
  for (let t = 0; t < 30; t += 0.1) {
    for (let i = 0; i < 300; i++, k++) policy.handle(arp({ senderMac: 0x020100000000 + k, senderIp: (0xcb000000 + k) >>> 0, targetIp: '198.51.100.7' }), 0, t);
    policy.tick(t);
  }
  const f = frames();
  // Before: the Incomplete entry was evicted and restarted, 101 broadcasts in 30 s (3.4/s).
  assert.ok(f.broadcasts <= 31, `${f.broadcasts} broadcasts for 90 000 requests in 30 s`);
  assert.ok(policy.stats().cache.evictions > 80_000);
});

test('limits: a requester over its request bucket is silent with reason rate_limited, then refills', () => {
  const { policy } = rig(tell({}, { sourceRequests: { rate: 10, burst: 20 } }));
  policy.handle(arp({ senderMac: mac('02:00:00:00:00:11'), senderIp: '198.51.100.11', targetIp: '198.51.100.11' }), 0, 0);
  const n = (from: number, sip: string, now: number, count: number) => {
    let answered = 0;
    for (let i = 0; i < count; i++) if (policy.handle(arp({ senderMac: from, senderIp: sip, targetIp: '198.51.100.11', ethDst: OUR }), 0, now).verdict === Verdict.Answer) answered++;
    return answered;
  };
  assert.equal(n(H, '198.51.100.91', 1, 30), 20);
  assert.equal(policy.stats().reasons.rate_limited, 10);
  assert.equal(policy.stats().limits.requests.source_mac, 10);
  assert.equal(n(H, '198.51.100.91', 2, 30), 10, 'one second refills 10');
  // Another MAC with the same IP: the IP's bucket is spent too.
  assert.equal(n(mac('02:00:00:00:00:92'), '198.51.100.91', 2, 5), 0);
  assert.equal(policy.stats().limits.requests.source_ip, 5);
  // Another host is not affected.
  assert.equal(n(mac('02:00:00:00:00:93'), '198.51.100.93', 2, 20), 20);
});

test('limits: the interface bucket caps all requesters together; off by default', () => {
  const { policy } = rig(tell({}, { interfaceRequests: { rate: 100, burst: 100 } }));
  policy.handle(arp({ senderMac: mac('02:00:00:00:00:11'), senderIp: '198.51.100.11', targetIp: '198.51.100.11' }), 0, 0);
  let answered = 0;
  for (let i = 0; i < 300; i++) if (policy.handle(arp({ senderMac: 0x020300000000 + i, senderIp: (0xcb000000 + i) >>> 0, targetIp: '198.51.100.11', ethDst: OUR }), 0, 1).verdict === Verdict.Answer) answered++;
  assert.equal(answered, 100);
  assert.equal(policy.stats().limits.requests.interface, 200);
  assert.equal(DEFAULT_LIMITS.interfaceRequests.rate, 0);
});

test('limits: the defaults never limit a normal host (1000 requests a second for 20 s, and a router asking for 65 536 targets at once)', () => {
  const { policy } = rig(tell());
  policy.handle(arp({ senderMac: mac('02:00:00:00:00:11'), senderIp: '198.51.100.11', targetIp: '198.51.100.11' }), 0, 0);
  for (let t = 0; t < 20; t += 0.01) {
    for (let i = 0; i < 10; i++) policy.handle(arp({ senderMac: H, senderIp: '198.51.100.91', targetIp: '198.51.100.11', ethDst: OUR }), 0, 1 + t);
  }
  const router = mac('02:00:00:00:00:01');
  for (let i = 0; i < 65536; i++) policy.handle(arp({ senderMac: router, senderIp: '198.51.100.1', targetIp: '198.51.100.11', ethDst: OUR }), 0, 30);
  assert.equal(policy.stats().reasons.rate_limited, 0);
});

test('limits: the source table is bounded and counts evictions; nothing allocates per source', () => {
  const l = new SourceLimiter(64);
  assert.equal(l.capacity, 64);
  const c = tell({}, { sourceRequests: { rate: 1, burst: 1 } });
  const { policy } = rig(c, { limiterSize: 64 });
  policy.handle(arp({ senderMac: mac('02:00:00:00:00:11'), senderIp: '198.51.100.11', targetIp: '198.51.100.11' }), 0, 0);
  for (let i = 0; i < 1000; i++) policy.handle(arp({ senderMac: 0x020300000000 + i, senderIp: (0xcb000000 + i) >>> 0, targetIp: '198.51.100.11', ethDst: OUR }), 0, 1);
  assert.ok(policy.stats().limits.evictions >= 1000 * 2 - 64);
  assert.equal(policy.stats().limits.sources, 64);
});

test('cache: a flood of 100 000 spoofed sources does not take a legitimate host\'s entry out, and its client keeps its answers', () => {
  const { policy } = rig(tell({ tablesize: 1000 }));
  const target = mac('02:00:00:00:00:b7');
  const client = mac('02:00:00:00:00:c1');
  policy.handle(arp({ senderMac: target, senderIp: '198.51.100.77', targetIp: '198.51.100.77' }), 0, 0);
  let asked = 1;
  let answered = ask(policy, client, '198.51.100.65', '198.51.100.77', 0.001).verdict === Verdict.Answer ? 1 : 0; // the client was asking before
  for (let s = 0; s < 200; s++) {
    const t = 0.01 + s / 100;
    for (let i = 0; i < 1000; i++) {
      const k = (s * 1000 + i) % 100_000; // 200 000 frames from 100 000 sources
      policy.handle(arp({ senderMac: 0x020200000000 + k, senderIp: (0xcb000000 + k) >>> 0, targetIp: (0xcb000000 + ((k * 7) % 100_000)) >>> 0 }), 0, t);
    }
    asked++;
    if (ask(policy, client, '198.51.100.65', '198.51.100.77', t).verdict === Verdict.Answer) answered++;
    policy.tick(t);
  }
  // Before: the client's share fell to a few per cent as the entry was evicted within the LRU's 1 s resolution.
  assert.ok(answered / asked >= 0.99, `answered ${answered} of ${asked}`);
  assert.equal(policy.lookup(0, -1, { family: Family.V4, v4: ip4('198.51.100.77') }, 2.1), target);
  assert.equal(policy.stats().cache.size, 1000);
});

test('cache: an IPv6 flood does not evict the IPv4 entries, even those nobody asked for (partition per interface and family)', () => {
  const { policy } = rig(tell({ tablesize: 1000 }));
  for (let i = 1; i <= 200; i++) policy.handle(arp({ senderMac: 0x020000000000 + i, senderIp: `198.51.100.${i}`, targetIp: `198.51.100.${i}` }), 0, 0);
  for (let i = 0; i < 20_000; i++) {
    const a = `2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
    policy.handle(ns({ ethSrc: 0x020400000000 + i, src: a, target: '2001:db8::ffff:1' }), 0, 1 + i / 10_000);
  }
  let kept = 0;
  for (let i = 1; i <= 200; i++) if (policy.lookup(0, -1, { family: Family.V4, v4: ip4(`198.51.100.${i}`) }, 4) >= 0) kept++;
  assert.equal(kept, 200); // before: 0 (one LRU for both families)
});

test('cache: one MAC holds at most `limit entries` addresses; replies we asked for are still learned', () => {
  const { policy } = rig(tell({}, { entriesPerMac: 8 }));
  for (let i = 1; i <= 50; i++) policy.handle(arp({ senderMac: H, senderIp: `198.51.100.${i}`, targetIp: `198.51.100.${i}` }), 0, 0);
  assert.equal(policy.stats().cache.size, 8);
  assert.equal(policy.stats().cache.quotaRefused, 42);
});

test('config: limit lines at top level and per interface, and their errors', () => {
  const { config: c } = parseConfig(
    'limit source requests 100/s burst 500\nlimit interface sends off\nlimit entries 16\ninterface eth0\n limit source sends 2/s\n rule 0.0.0.0/0 198.51.100.0/24 tell\nend\n',
    't.conf',
  );
  assert.deepEqual(c.limits, { sourceRequests: { rate: 100, burst: 500 }, interfaceSends: { rate: 0, burst: 0 }, entriesPerMac: 16 });
  assert.deepEqual(c.interfaces[0]!.limits, { sourceSends: { rate: 2, burst: 2 } });
  const errs = (text: string) => {
    try {
      parseConfig(text, 'b.conf');
      return [];
    } catch (e) {
      return (e as { errors: { message: string }[] }).errors.map((x) => x.message);
    }
  };
  assert.deepEqual(errs('limit requests fast\n'), ["b.conf:1:16: found 'fast', expected a rate like 100/s (per second), or 'off'"]);
  assert.match(errs('interface eth0\n limit entries 3\nend\n')[0]!, /top-level setting/);
  assert.match(errs('limit sends 1/s\nlimit sends 2/s\n')[0]!, /E_CONFIG_DUPLICATE|each setting once/);
  assert.match(errs('limit source requests 5/s burst 0\n')[0]!, /at least 1/);
});
