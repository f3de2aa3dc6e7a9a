// Actions beyond parpd's (mac, self, route, template), the never-answer guards, VLANs,
// probes, verbose logging and reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy, Verdict, REASON_NAMES } from '../../src/policy';
import { arp, config, iface, ip4, mac, ns, RecordingLogger, RecordingOutput, rule, TestEnv, formatMac } from './fixtures/build';
import type { Rule } from '../../src/config/types';

const OUR = mac('02:00:00:00:00:fe');
const CFG_MAC = mac('02:aa:00:00:00:01');
const ASKER = mac('02:00:00:00:00:99');

function setup(rules: Rule[], over = {}) {
  const env = new TestEnv([OUR, mac('02:00:00:00:01:fe')]);
  env.own4.set(0, new Set([ip4('198.51.100.254')]));
  env.own6.set(0, ['2001:db8::fe']);
  const out = new RecordingOutput();
  const log = new RecordingLogger();
  const policy = new Policy({ config: config([iface('eth0', rules, over), iface('eth1', [])]), env, output: out, logger: log });
  const who = (target: string, now = 1, sip = '198.51.100.99', vlan = -1) =>
    policy.handle(arp({ senderMac: ASKER, senderIp: sip, targetIp: target, vlan }), 0, now);
  return { env, out, log, policy, who };
}

test('mac action answers with the configured MAC (ndproxy downlink CPE)', () => {
  const { who } = setup([rule(3, '0.0.0.0/0', '198.51.100.0/24', '00:0c:29:b6:43:d5')]);
  const d = who('198.51.100.7');
  assert.equal(d.verdict, Verdict.Answer);
  assert.equal(formatMac(d.answerMac), '00:0c:29:b6:43:d5');
  assert.equal(d.action, 'mac');
  assert.equal(d.ruleLine, 3);
});

test('self answers with the interface MAC, or the configured `mac` when set', () => {
  assert.equal(setup([rule(1, '0.0.0.0/0', '0.0.0.0/0', 'self')]).who('203.0.113.5').answerMac, OUR);
  assert.equal(setup([rule(1, '0.0.0.0/0', '0.0.0.0/0', 'self')], { mac: CFG_MAC }).who('203.0.113.5').answerMac, CFG_MAC);
});

test('route answers only when the kernel routes the target out of another interface', () => {
  const { env, who } = setup([rule(1, '0.0.0.0/0', '0.0.0.0/0', 'route')]);
  env.routes.set('198.51.100.0/24', 'eth0');
  env.routes.set('198.51.100.128/25', 'eth1');
  const other = who('198.51.100.200');
  assert.equal(other.verdict, Verdict.Answer);
  assert.equal(other.answerMac, OUR);
  assert.equal(REASON_NAMES[who('198.51.100.7').reason], 'route_same_interface');
  assert.equal(REASON_NAMES[who('203.0.113.1').reason], 'no_route');
  const v6 = setup([rule(1, '::/0', '::/0', 'route')]);
  v6.env.routes.set('2001:db8:1::/48', 'eth1');
  v6.env.routes.set('2001:db8:2::/48', 'eth0');
  const nsFor = (target: string) => v6.policy.handle(ns({ ethSrc: ASKER, src: 'fe80::99', target }), 0, 1);
  assert.equal(nsFor('2001:db8:1::5').verdict, Verdict.Answer);
  assert.equal(REASON_NAMES[nsFor('2001:db8:2::5').reason], 'route_same_interface');
});

test('template derives the MAC from the address (tinc: last octet of IP = last octet of MAC)', () => {
  const { who, policy } = setup([
    rule(1, '0.0.0.0/0', '198.51.100.0/24', 'template:fd:fd:fd:fd:fd:00/1'),
    rule(2, '::/0', '2001:db8::/64', 'template:fe:00:00:00:00:00/2'),
  ]);
  assert.equal(formatMac(who('198.51.100.2').answerMac), 'fd:fd:fd:fd:fd:02');
  assert.equal(formatMac(who('198.51.100.77').answerMac), 'fd:fd:fd:fd:fd:4d');
  const d = policy.handle(ns({ ethSrc: ASKER, src: 'fe80::99', target: '2001:db8::12:3456' }), 0, 1);
  assert.equal(formatMac(d.answerMac), 'fe:00:00:00:34:56');
});

test('never answered: our own frames, our own addresses, a requester asking for itself or told its own MAC', () => {
  const { who, policy } = setup([rule(1, '0.0.0.0/0', '0.0.0.0/0', 'self'), rule(2, '::/0', '::/0', 'self')]);
  const own = policy.handle(arp({ senderMac: OUR, senderIp: '198.51.100.254', targetIp: '198.51.100.7' }), 0, 1);
  assert.equal(own.verdict, Verdict.Drop);
  assert.equal(REASON_NAMES[own.reason], 'own_frame');
  assert.equal(REASON_NAMES[who('198.51.100.254').reason], 'own_address');
  assert.equal(REASON_NAMES[who('198.51.100.99').reason], 'self_request'); // sender = target
  const nsOwn = policy.handle(ns({ ethSrc: ASKER, src: 'fe80::99', target: '2001:db8::fe' }), 0, 1);
  assert.equal(REASON_NAMES[nsOwn.reason], 'own_address');
  // `mac` action equal to the requester's MAC: it would be told its own MAC.
  const p2 = setup([rule(1, '0.0.0.0/0', '0.0.0.0/0', formatMac(ASKER))]);
  assert.equal(REASON_NAMES[p2.who('198.51.100.7').reason], 'self_request');
});

test('probes and announcements are silent unless the rule allows probes', () => {
  const silent = setup([rule(1, '0.0.0.0/0', '0.0.0.0/0', 'self')]);
  assert.equal(REASON_NAMES[silent.who('198.51.100.7', 1, '0.0.0.0').reason], 'probe');
  assert.equal(REASON_NAMES[silent.who('198.51.100.7', 1, '198.51.100.7').reason], 'self_request');
  const loud = setup([rule(1, '0.0.0.0/0', '0.0.0.0/0', 'self', { probes: true })]);
  assert.equal(loud.who('198.51.100.7', 1, '0.0.0.0').verdict, Verdict.Answer);
  assert.equal(loud.who('198.51.100.7', 1, '198.51.100.7').verdict, Verdict.Answer);
});

test('vlans: only listed VLANs are handled', () => {
  const { who } = setup([rule(1, '0.0.0.0/0', '0.0.0.0/0', 'self')], { vlans: [10, 20] });
  assert.equal(who('198.51.100.7', 1, '198.51.100.99', 10).verdict, Verdict.Answer);
  assert.equal(REASON_NAMES[who('198.51.100.7', 1, '198.51.100.99', 30).reason], 'vlan');
  assert.equal(REASON_NAMES[who('198.51.100.7', 1, '198.51.100.99', -1).reason], 'vlan');
  const d = who('198.51.100.7', 1, '198.51.100.99', 20);
  assert.equal(d.vlan, 20);
  // 0 in the list stands for untagged frames.
  const u = setup([rule(1, '0.0.0.0/0', '0.0.0.0/0', 'self')], { vlans: [0, 10] });
  assert.equal(u.who('198.51.100.7', 1, '198.51.100.99', -1).verdict, Verdict.Answer);
  assert.equal(REASON_NAMES[u.who('198.51.100.7', 1, '198.51.100.99', 30).reason], 'vlan');
});

test('verbose logs one structured line per decision of that rule only', () => {
  const { who, log } = setup([
    rule(4, '0.0.0.0/0', '198.51.100.0/25', 'self', { verbose: true }),
    rule(5, '0.0.0.0/0', '0.0.0.0/0', 'ignore'),
  ]);
  who('198.51.100.7', 1, '198.51.100.99', 12);
  who('198.51.100.200');
  assert.equal(log.lines.length, 1);
  assert.deepEqual(log.lines[0], {
    interface: 'eth0', vlan: 12, family: 4, source: '198.51.100.99', target: '198.51.100.7',
    line: 4, action: 'self', verdict: 'answer', reason: 'rule', mac: '02:00:00:00:00:fe',
  });
});

test('reload swaps rules and keeps the cache (by interface name, even when reordered)', () => {
  const env = new TestEnv([OUR, mac('02:00:00:00:01:fe')]);
  const out = new RecordingOutput();
  const tell = [rule(1, '0.0.0.0/0', '0.0.0.0/0', 'tell')];
  const policy = new Policy({ config: config([iface('eth0', tell), iface('eth1', [])]), env, output: out });
  const H = mac('02:00:00:00:00:11');
  policy.handle(arp({ senderMac: H, senderIp: '198.51.100.1', targetIp: '198.51.100.50' }), 0, 1);
  const ask = (ifIndex: number) => policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: '198.51.100.1', ethDst: OUR }), ifIndex, 2);
  assert.equal(ask(0).answerMac, H);
  // eth0 moves to index 1 and its rule becomes `ignore` then `tell` again.
  env.macs = [mac('02:00:00:00:01:fe'), OUR];
  policy.reload(config([iface('eth1', []), iface('eth0', [rule(7, '0.0.0.0/0', '0.0.0.0/0', 'ignore')])]));
  assert.equal(REASON_NAMES[ask(1).reason], 'ignore');
  policy.reload(config([iface('eth1', []), iface('eth0', [rule(9, '0.0.0.0/0', '0.0.0.0/0', 'tell')])]));
  const d = ask(1);
  assert.equal(d.answerMac, H);
  assert.equal(d.ruleLine, 9);
  assert.equal(REASON_NAMES[ask(0).reason], 'no_rule');
});
