// The redirect queue and its storage: bounded, deadlines, answers to every queued
// requester once the router is learned, the record layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEY_WORDS, metaWord } from '../../src/policy/addrtable';
import { NeighborCache } from '../../src/policy/cache';
import { REASON_NAMES } from '../../src/policy/decision';
import { InterfaceTable } from '../../src/policy/interfaces';
import { ADDR_WORDS, IP4_WORD, PendingAnswers, VIA_WORDS } from '../../src/policy/pending';
import { RedirectQueue } from '../../src/policy/redirect';
import { SourceLimiter } from '../../src/policy/limiter';
import { Policy } from '../../src/policy';
import { arp, config, iface, ip4, ip6, mac, na, newIp6, ns, RecordingOutput, rule, TestEnv, formatMac } from './fixtures/build';
import { formatIp6 } from '../../src/net/addr';
import { NA_FLAG_SOLICITED } from '../../src/wire/view';

const OUR = mac('02:00:00:00:00:fe');
const ROUTER = mac('02:00:00:00:00:01');
const ASK1 = mac('02:00:00:00:00:91');
const ASK2 = mac('02:00:00:00:00:92');

test('pending: the record layout is named and what is added reads back', () => {
  assert.equal(VIA_WORDS, KEY_WORDS);
  assert.equal(ADDR_WORDS, 4);
  assert.equal(IP4_WORD, 3);
  const p = new PendingAnswers(2);
  const w0 = metaWord(false, 3, 7);
  const f = arp({ senderMac: ASK1, senderIp: '198.51.100.91', targetIp: '198.51.100.42', vlan: 7 });
  const i = p.add(w0, 0, 0, 0, ip4('198.51.100.1'), f, false, 3, 5, 11.5);
  assert.ok(i >= 0);
  assert.equal(p.requesterMacOf(i), ASK1);
  assert.equal(p.requesterIp4(i), ip4('198.51.100.91'));
  assert.equal(p.target4(i), ip4('198.51.100.42'));
  assert.equal(p.vlanOf(i), 7);
  assert.equal(p.slotOf(i), 3);
  assert.equal(p.ruleOf(i), 5);
  assert.equal(p.deadlineOf(i), 11.5);
  assert.equal(p.nextWaiting(0, w0, 0, 0, 0, ip4('198.51.100.1')), i);
  assert.equal(p.nextWaiting(0, w0, 0, 0, 0, ip4('198.51.100.2')), -1, 'another router');
  assert.equal(p.nextWaiting(i + 1, w0, 0, 0, 0, ip4('198.51.100.1')), -1);
  const g = ns({ ethSrc: ASK2, src: '2001:db8::92', target: '2001:db8::42' });
  const v = ip6('2001:db8::1');
  const j = p.add(metaWord(true, 3, -1), v[0]!, v[1]!, v[2]!, v[3]!, g, true, 3, 0, 12);
  const out = newIp6();
  p.requesterIp6(j, out);
  assert.equal(formatIp6(out), '2001:db8::92');
  p.target6(j, out);
  assert.equal(formatIp6(out), '2001:db8::42');
  assert.equal(p.requesterMacOf(j), ASK2);
});

test('pending: bounded, refusals counted, slots reused after release and expiry', () => {
  const p = new PendingAnswers(2);
  const f = arp({ senderMac: ASK1, senderIp: '198.51.100.91', targetIp: '198.51.100.42' });
  const a = p.add(1, 0, 0, 0, 1, f, false, 0, 0, 10);
  const b = p.add(1, 0, 0, 0, 1, f, false, 0, 0, 20);
  assert.notEqual(a, b);
  assert.equal(p.add(1, 0, 0, 0, 1, f, false, 0, 0, 30), -1);
  assert.equal(p.refused, 1);
  assert.equal(p.expire(10), 0, 'a deadline is inclusive');
  assert.equal(p.expire(15), 1);
  assert.equal(p.isUsed(a), false);
  assert.equal(p.count, 1);
  assert.ok(p.add(1, 0, 0, 0, 1, f, false, 0, 0, 30) >= 0);
  p.release(b);
  p.release(b);
  assert.equal(p.count, 1, 'release twice is a no-op');
  assert.deepEqual([p.queued, p.expired, p.refused], [3, 1, 1]);
});

function queueRig() {
  const env = new TestEnv([OUR]);
  env.src4.set(0, ip4('198.51.100.254'));
  const out = new RecordingOutput();
  const cache = new NeighborCache(16, { timeout: 300, refreshCount: 0, refreshInterval: 0, resolveAttempts: 3, resolveInterval: 1 });
  const ifaces = new InterfaceTable();
  const st = ifaces.install(config([iface('eth0', [], { timeout: 2 })]))[0]!;
  const q = new RedirectQueue(2, cache, ifaces, env, out, new SourceLimiter(64));
  return { env, out, cache, st, q };
}

test('redirect queue: one resolution, every queued requester answered when the router is learned', () => {
  const { out, cache, st, q } = queueRig();
  const w0 = metaWord(false, st.slot, -1);
  const R = ip4('198.51.100.1');
  const ask = (m: number, sip: string) => arp({ senderMac: m, senderIp: sip, targetIp: '198.51.100.42' });
  assert.equal(REASON_NAMES[q.queue(st, ask(ASK1, '198.51.100.91'), w0, 0, 0, 0, R, 0, 1, OUR)], 'resolving');
  assert.equal(REASON_NAMES[q.queue(st, ask(ASK2, '198.51.100.92'), w0, 0, 0, 0, R, 0, 1.5, OUR)], 'resolving');
  assert.deepEqual(out.take(), ['arpRequest if0 vlan-1 from 02:00:00:00:00:fe 198.51.100.254 who-has 198.51.100.1 to ff:ff:ff:ff:ff:ff']);
  assert.equal(REASON_NAMES[q.queue(st, ask(ASK2, '198.51.100.93'), w0, 0, 0, 0, R, 0, 1.5, OUR)], 'queue_full');
  cache.learn(w0, 0, 0, 0, R, ROUTER, 2);
  assert.equal(cache.learnedAwaited, true);
  q.learned(w0, 0, 0, 0, R, ROUTER, 2);
  assert.deepEqual(out.take().sort(), [
    'arpReply if0 vlan-1 to 02:00:00:00:00:91 198.51.100.91: 198.51.100.42 is-at 02:00:00:00:00:01',
    'arpReply if0 vlan-1 to 02:00:00:00:00:92 198.51.100.92: 198.51.100.42 is-at 02:00:00:00:00:01',
  ]);
  assert.equal(q.answered, 2);
  assert.equal(q.pending.count, 0);
});

test('redirect queue: answers past their deadline are dropped, and a requester is never told its own MAC', () => {
  const { out, st, q } = queueRig();
  const w0 = metaWord(false, st.slot, -1);
  const R = ip4('198.51.100.1');
  q.queue(st, arp({ senderMac: ASK1, senderIp: '198.51.100.91', targetIp: '198.51.100.42' }), w0, 0, 0, 0, R, 0, 1, OUR);
  q.queue(st, arp({ senderMac: ROUTER, senderIp: '198.51.100.92', targetIp: '198.51.100.42' }), w0, 0, 0, 0, R, 0, 2.5, OUR);
  out.take();
  // Interface timeout 2 s: the first waits until 3, the second until 4.5.
  q.expire(3);
  assert.equal(q.pending.count, 2);
  q.expire(3.1);
  assert.equal(q.pending.count, 1);
  assert.equal(q.pending.expired, 1);
  q.learned(w0, 0, 0, 0, R, ROUTER, 4);
  assert.deepEqual(out.take(), [], 'the router asked for its own MAC: nothing sent');
  assert.equal(q.answered, 0);
  assert.equal(q.pending.count, 0);
});

test('redirect queue through the policy: ND requesters answered with solicited NAs, DAD ones to all nodes', () => {
  const env = new TestEnv([OUR]);
  env.linkLocal.set(0, ip6('fe80::fe'));
  const out = new RecordingOutput();
  const policy = new Policy({ config: config([iface('eth0', [rule(1, '::/0', '2001:db8::/64', '2001:db8::1', { probes: true })], { nd: { uplinks: [], exceptions: [], router: false, override: true, dadDefend: true, naSource: 0 as never } })]), env, output: out });
  policy.handle(ns({ ethSrc: ASK1, src: '2001:db8::91', target: '2001:db8::42' }), 0, 1);
  policy.handle(ns({ ethSrc: ASK2, src: '::', target: '2001:db8::43' }), 0, 1);
  assert.equal(policy.stats().pending.waiting, 2);
  out.take();
  policy.handle(na({ ethSrc: ROUTER, ethDst: OUR, dst: 'fe80::fe', target: '2001:db8::1', flags: NA_FLAG_SOLICITED }), 0, 1.2);
  assert.deepEqual(out.take().sort(), [
    `na if0 vlan-1 to 02:00:00:00:00:91 2001:db8::91: 2001:db8::42 is-at ${formatMac(ROUTER)} flags 3`,
    `na if0 vlan-1 to 33:33:00:00:00:01 ff02::1: 2001:db8::43 is-at ${formatMac(ROUTER)} flags 1`,
  ]);
  assert.equal(policy.stats().pending.answered, 2);
  assert.equal(policy.answers, 2, 'deferred answers count as answers');
});
