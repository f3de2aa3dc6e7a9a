// The takeover guard with the policy's injected clock and a recording PolicyOutput: a live
// entry moves only after its owner failed a unicast probe; bad MACs and statics are never
// taken from the wire, a redirect router never from a claim; moves are dampened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy, REASON_NAMES } from '../../src/policy';
import { MAX_MOVES, PROBE_WINDOW, learnableMac } from '../../src/policy/guard';
import { NA_FLAG_OVERRIDE, NA_FLAG_SOLICITED } from '../../src/wire/view';
import { arp, config, iface, ip4, ip6, mac, na, ns, RecordingLogger, RecordingOutput, rule, TestEnv } from './fixtures/build';

const OUR = mac('02:00:00:00:00:fe');
const A = mac('02:00:00:00:00:0a');
const B = mac('02:00:00:00:00:0b');
const C = mac('02:00:00:00:00:0c');
const ASKER = mac('02:00:00:00:00:99');
const ROUTER = mac('02:00:00:00:00:01');
const IP = '198.51.100.10';
const IP6 = '2001:db8::10';

function setup(extraRules = [] as ReturnType<typeof rule>[]) {
  const env = new TestEnv([OUR]);
  env.src4.set(0, ip4('198.51.100.254'));
  env.linkLocal.set(0, ip6('fe80::fe'));
  const out = new RecordingOutput();
  const logger = new RecordingLogger();
  const rules = [...extraRules, rule(1, '0.0.0.0/0', '198.51.100.0/24', 'tell'), rule(2, '::/0', '2001:db8::/32', 'tell')];
  const policy = new Policy({ config: config([iface('eth0', rules)], { timeout: 600 }), env, output: out, logger });
  const who = (now: number, target = IP) =>
    policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: target, ethDst: OUR }), 0, now).answerMac;
  const who6 = (now: number) => policy.handle(ns({ ethSrc: ASKER, src: '2001:db8::99', target: IP6 }), 0, now).answerMac;
  const garp = (m: number, now: number, ip = IP) => policy.handle(arp({ senderMac: m, senderIp: ip, targetIp: ip }), 0, now);
  /** The owner's reply to our unicast probe. */
  const reply = (m: number, now: number, ip = IP) =>
    policy.handle(arp({ op: 'reply', senderMac: m, senderIp: ip, targetIp: '198.51.100.254', targetMac: OUR, ethDst: OUR }), 0, now);
  return { env, out, logger, policy, who, who6, garp, reply };
}

test('learnableMac: group, broadcast and zero MACs are not learnable', () => {
  assert.equal(learnableMac(mac('ff:ff:ff:ff:ff:ff')), false);
  assert.equal(learnableMac(mac('33:33:00:00:00:01')), false);
  assert.equal(learnableMac(mac('01:00:5e:00:00:01')), false);
  assert.equal(learnableMac(0), false);
  assert.equal(learnableMac(A), true);
  assert.equal(learnableMac(mac('fe:ff:ff:ff:ff:ff')), true);
});

test('ARP: a gratuitous ARP from B after A leaves A, and probes A (only A)', () => {
  const { out, policy, who, garp } = setup();
  garp(A, 1);
  out.take();
  garp(B, 2);
  assert.equal(who(2.1), A);
  assert.deepEqual(out.take(), ['arpRequest if0 vlan-1 from 02:00:00:00:00:fe 198.51.100.254 who-has 198.51.100.10 to 02:00:00:00:00:0a']);
  // More claims while the probe is out send nothing more.
  garp(B, 2.2);
  garp(B, 2.3);
  assert.deepEqual(out.take(), []);
  assert.equal(policy.stats().guard.challenges, 1);
});

test('ARP: the owner answers the probe: it stays, the conflict is counted and logged', () => {
  const { logger, policy, who, garp, reply } = setup();
  garp(A, 1);
  garp(B, 2);
  reply(A, 2.1);
  policy.tick(2 + PROBE_WINDOW + 0.5);
  garp(B, 4);
  assert.equal(who(4.1), A);
  const g = policy.stats().guard;
  assert.equal(g.conflicts, 1);
  assert.equal(g.moves, 0);
  const line = logger.lines.find((l) => l.reason === 'takeover_conflict');
  assert.ok(line, 'conflict logged');
  assert.equal(line.owner, '02:00:00:00:00:0a');
  assert.equal(line.claimant, '02:00:00:00:00:0b');
  assert.equal(line.interface, 'eth0');
  assert.equal(line.vlan, -1);
  assert.equal(line.address, IP);
});

test('ARP: the owner silent past the window: the entry moves to B within 3 s', () => {
  const { policy, who, garp } = setup();
  garp(A, 1);
  garp(B, 2);
  assert.equal(who(2.5), A);
  policy.tick(2.5);
  assert.equal(who(2.6), A);
  policy.tick(2 + PROBE_WINDOW);
  assert.equal(who(2 + PROBE_WINDOW + 0.01), B);
  assert.ok(2 + PROBE_WINDOW - 2 <= 3);
  assert.equal(policy.stats().guard.moves, 1);
});

test('ARP: a broadcast request naming the address from C does not take it over either', () => {
  const { out, policy, who, garp } = setup();
  garp(A, 1);
  out.take();
  policy.handle(arp({ senderMac: C, senderIp: IP, targetIp: '198.51.100.50' }), 0, 2);
  assert.equal(who(2.1), A);
  // The probe goes to A, never to C.
  assert.ok(out.take().every((l) => l.endsWith('to 02:00:00:00:00:0a')));
});

test('IPv6: unsolicited NA with O=1 from B after A: A stays until it fails the NS; then B', () => {
  const { out, policy, who6 } = setup();
  policy.handle(na({ ethSrc: A, target: IP6, flags: NA_FLAG_OVERRIDE }), 0, 1);
  assert.equal(who6(1.1), A);
  out.take();
  policy.handle(na({ ethSrc: B, target: IP6, flags: NA_FLAG_OVERRIDE }), 0, 2);
  assert.equal(who6(2.1), A);
  assert.deepEqual(out.take(), ['ns if0 vlan-1 from fe80::fe who-has 2001:db8::10 to 02:00:00:00:00:0a']);
  policy.tick(2 + PROBE_WINDOW);
  assert.equal(who6(3.1), B);
});

test('IPv6: multicast NS with SLLAO from B; A answers the NS: A stays, conflict counted', () => {
  const { policy, who6 } = setup();
  policy.handle(ns({ ethSrc: A, src: IP6, target: '2001:db8::50' }), 0, 1);
  assert.equal(who6(1.1), A);
  policy.handle(ns({ ethSrc: B, src: IP6, target: '2001:db8::50' }), 0, 2);
  assert.equal(who6(2.1), A);
  // A's solicited NA to our unicast NS.
  policy.handle(na({ ethSrc: A, ethDst: OUR, target: IP6, dst: 'fe80::fe', flags: NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE }), 0, 2.2);
  policy.tick(5);
  assert.equal(who6(5.1), A);
  assert.equal(policy.stats().guard.conflicts, 1);
});

test('IPv6: multicast NS with SLLAO from B, A silent: moves to B', () => {
  const { policy, who6 } = setup();
  policy.handle(ns({ ethSrc: A, src: IP6, target: '2001:db8::50' }), 0, 1);
  policy.handle(ns({ ethSrc: B, src: IP6, target: '2001:db8::50' }), 0, 2);
  policy.tick(3);
  assert.equal(who6(3.1), B);
});

test('group, zero and our own MACs in SLLAO/TLLAO (and ARP) are never learned', () => {
  const { policy, who6, who } = setup();
  for (const bad of [mac('ff:ff:ff:ff:ff:ff'), mac('33:33:00:00:00:01'), 0, OUR]) {
    // The frame's Ethernet source equals the option (the owner-speaks check), so only the guard refuses.
    policy.handle(na({ ethSrc: bad, target: IP6, tll: bad, flags: NA_FLAG_OVERRIDE }), 0, 1);
    policy.handle(ns({ ethSrc: bad, src: IP6, sll: bad, target: '2001:db8::50' }), 0, 1);
    assert.equal(REASON_NAMES[policy.handle(ns({ ethSrc: ASKER, src: '2001:db8::99', target: IP6 }), 0, 1.1).reason], 'unknown_target');
  }
  for (const bad of [mac('33:33:00:00:00:01'), 0]) {
    policy.handle(arp({ senderMac: bad, senderIp: IP, targetIp: IP }), 0, 1);
    assert.equal(REASON_NAMES[policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: IP, ethDst: OUR }), 0, 1.1).reason], 'unknown_target');
  }
  assert.ok(policy.stats().guard.badMacRefused >= 6);
  assert.equal(policy.stats().cache.size, 1, 'only the asker (its NS carries its own SLLAO)');
  void who;
  void who6;
});

test('a redirect router (`via`): a claim probes it; alive, it stays; silent, it is dropped, never moved to the claimant', () => {
  const { out, policy, garp, reply } = setup([rule(3, '198.51.100.0/24', '203.0.113.0/24', '198.51.100.1')]);
  const R = '198.51.100.1';
  garp(ROUTER, 1, R);
  const viaAsk = (now: number) => policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: '203.0.113.5', ethDst: OUR }), 0, now);
  const viaAnswer = (now: number) => viaAsk(now).answerMac;
  assert.equal(viaAnswer(1.1), ROUTER);
  out.take();
  // Alive: B's claim sends one probe to the router, which answers: a conflict, the router stays.
  garp(B, 2, R);
  assert.deepEqual(out.take(), ['arpRequest if0 vlan-1 from 02:00:00:00:00:fe 198.51.100.254 who-has 198.51.100.1 to 02:00:00:00:00:01']);
  reply(ROUTER, 2.1, R);
  policy.tick(2 + PROBE_WINDOW + 0.5);
  garp(B, 4, R);
  reply(ROUTER, 4.1, R);
  assert.equal(viaAnswer(4.2), ROUTER);
  assert.equal(policy.stats().guard.conflicts, 2);
  // Silent: past the window the entry is dropped, not given B's MAC, even when B claims again.
  policy.tick(10);
  out.take();
  garp(B, 11, R);
  garp(B, 11 + PROBE_WINDOW, R);
  assert.equal(viaAnswer(11 + PROBE_WINDOW), ROUTER, 'B claiming at the deadline does not move it');
  policy.tick(11 + PROBE_WINDOW + 0.1);
  assert.equal(policy.stats().guard.moves, 1);
  out.take();
  // The next redirected request resolves the router again with our own query.
  assert.equal(REASON_NAMES[viaAsk(12.5).reason], 'resolving');
  assert.deepEqual(out.take(), ['arpRequest if0 vlan-1 from 02:00:00:00:00:fe 198.51.100.254 who-has 198.51.100.1 to ff:ff:ff:ff:ff:ff']);
});

test('a static entry is never learned from the wire', () => {
  const { policy, garp } = setup();
  assert.ok(policy.addStatic(0, { family: 4, v4: ip4(IP) } as never, A));
  garp(B, 1);
  assert.equal(policy.stats().cache.size, 0);
  assert.equal(policy.stats().guard.pinnedRefused, 1);
});

test('move dampening: more than MAX_MOVES moves freezes the entry until it expires', () => {
  const { policy, who, garp } = setup();
  garp(A, 1);
  let t = 1;
  const macs = [B, A];
  for (let i = 0; i < MAX_MOVES; i++) {
    t += 2;
    garp(macs[i % 2]!, t);
    policy.tick(t + PROBE_WINDOW);
    assert.equal(who(t + PROBE_WINDOW + 0.01), macs[i % 2]);
  }
  const before = who(t + 1.5);
  t += 2;
  garp(macs[MAX_MOVES % 2]!, t);
  policy.tick(t + PROBE_WINDOW);
  assert.equal(who(t + PROBE_WINDOW + 0.01), before, 'frozen: no more moves');
  t += 2;
  garp(macs[MAX_MOVES % 2]!, t);
  policy.tick(t + PROBE_WINDOW);
  assert.equal(who(t + PROBE_WINDOW + 0.01), before);
  const g = policy.stats().guard;
  assert.equal(g.moves, MAX_MOVES);
  assert.equal(g.freezes, 1);
  assert.ok(g.frozenRefused >= 1);
});

test('the challenge table is bounded: claims beyond it are refused and counted', () => {
  const env = new TestEnv([OUR]);
  env.src4.set(0, ip4('198.51.100.254'));
  const out = new RecordingOutput();
  const policy = new Policy({ config: config([iface('eth0', [rule(1, '0.0.0.0/0', '198.51.100.0/24', 'tell')])], { timeout: 600 }), env, output: out, options: { guardSlots: 16 } });
  const n = policy.guard.slots + 10;
  for (let i = 0; i < n; i++) policy.handle(arp({ senderMac: A + i, senderIp: ip4('198.51.0.0') + i, targetIp: ip4('198.51.0.0') + i }), 0, 1);
  for (let i = 0; i < n; i++) policy.handle(arp({ senderMac: B + 0x10000 + i, senderIp: ip4('198.51.0.0') + i, targetIp: ip4('198.51.0.0') + i }), 0, 2);
  const g = policy.stats().guard;
  assert.equal(g.challenges, policy.guard.slots);
  assert.equal(g.challengesRefused, 10);
  assert.equal(g.pending, policy.guard.slots);
  policy.tick(5);
  assert.equal(policy.stats().guard.pending, 0);
});

test('pin: a pinned address keeps its MAC against every claim, live; re-learned after expiry', () => {
  const env = new TestEnv([OUR]);
  env.src4.set(0, ip4('198.51.100.254'));
  env.linkLocal.set(0, ip6('fe80::fe'));
  const out = new RecordingOutput();
  const pins = [{ family: 4, v4: ip4(IP) }, { family: 6, v6: ip6(IP6) }] as never;
  const rules = [rule(1, '0.0.0.0/0', '198.51.100.0/24', 'tell'), rule(2, '::/0', '2001:db8::/32', 'tell')];
  const policy = new Policy({ config: config([iface('eth0', rules, { pins })], { timeout: 30 }), env, output: out, logger: new RecordingLogger() });
  const who = (now: number) => policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: IP, ethDst: OUR }), 0, now).answerMac;
  const who6 = (now: number) => policy.handle(ns({ ethSrc: ASKER, src: '2001:db8::99', target: IP6 }), 0, now).answerMac;
  policy.handle(arp({ senderMac: A, senderIp: IP, targetIp: IP }), 0, 1);
  policy.handle(na({ ethSrc: A, target: IP6, tll: A, flags: NA_FLAG_OVERRIDE }), 0, 1);
  out.take();
  // GARP, a request naming the address, unsolicited NA O=1: all from B, with A silent.
  policy.handle(arp({ senderMac: B, senderIp: IP, targetIp: IP }), 0, 2);
  policy.handle(arp({ senderMac: C, senderIp: IP, targetIp: '198.51.100.77' }), 0, 2.1);
  policy.handle(na({ ethSrc: B, target: IP6, tll: B, flags: NA_FLAG_OVERRIDE }), 0, 2.2);
  policy.handle(ns({ ethSrc: B, src: IP6, target: '2001:db8::77', sll: B }), 0, 2.3);
  for (let t = 3; t <= 10; t++) policy.tick(t);
  assert.equal(who(10.5), A, 'IPv4 still A long after the probe window');
  assert.equal(who6(10.5), A, 'IPv6 still A');
  assert.ok(!out.take().some((l) => l.includes('to 02:00:00:00:00:0a') && l.startsWith('arpRequest')), 'no challenge probe: a pin never moves');
  assert.ok(policy.stats().guard.pinnedRefused >= 4, `pinnedRefused ${policy.stats().guard.pinnedRefused}`);
  assert.equal(policy.stats().guard.moves, 0);
  // Expired (timeout 30, no refresh answered): the next owner may be learned.
  for (let t = 11; t <= 50; t++) policy.tick(t);
  policy.handle(arp({ senderMac: B, senderIp: IP, targetIp: IP }), 0, 51);
  assert.equal(who(51.1), B, 'after expiry the pin holds the new owner');
});
