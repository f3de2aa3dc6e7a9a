// ND proxy as ndproxy(4) describes it, and static entries (tinc use case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy, Verdict, REASON_NAMES } from '../../src/policy';
import { Family, formatIp6 } from '../../src/net/addr';
import { NA_FLAG_OVERRIDE, NA_FLAG_ROUTER, NA_FLAG_SOLICITED } from '../../src/wire/view';
import { arp, config, iface, ip4, ip6, mac, na, ns, RecordingOutput, rule, TestEnv, formatMac } from './fixtures/build';
import type { NdProxyConfig } from '../../src/config/types';
import { NaSource } from '../../src/config/types';

const OUR = mac('02:00:00:00:00:fe');
const PE = mac('02:00:00:00:00:01'); // uplink router
const CPE = mac('00:0c:29:b6:43:d5'); // downlink CPE router
const OTHER = mac('02:00:00:00:00:77');

function setup(nd: Partial<NdProxyConfig>) {
  const env = new TestEnv([OUR]);
  env.own6.set(0, ['fe80::fe']);
  const out = new RecordingOutput();
  const full: NdProxyConfig = {
    uplinks: [ip6('fe80::1'), ip6('2001:db8::1')],
    exceptions: [ip6('2001:db8::c'), ip6('fe80::c')],
    router: true,
    override: false,
    dadDefend: false,
    naSource: NaSource.LinkLocal,
    ...nd,
  };
  const policy = new Policy({
    config: config([iface('vlan2', [rule(30, '::/0', '2001:db8::/48', '00:0c:29:b6:43:d5')], { nd: full })]),
    env,
    output: out,
  });
  return { policy, out, env };
}

test('answers the uplink router with the CPE MAC, R=1, S=1, O=0, unicast to the solicitor', () => {
  const { policy } = setup({});
  const d = policy.handle(ns({ ethSrc: PE, src: 'fe80::1', target: '2001:db8:0:1::42' }), 0, 1);
  assert.equal(d.verdict, Verdict.Answer);
  assert.equal(formatMac(d.answerMac), formatMac(CPE));
  assert.equal(d.naFlags, NA_FLAG_ROUTER | NA_FLAG_SOLICITED);
  assert.equal(d.toAllNodes, false);
  assert.equal(formatIp6(d.dstIp6), 'fe80::1');
  assert.equal(d.dstMac, PE);
  assert.equal(d.family, 6);
  assert.equal(d.ruleLine, 30);
  // The PE's global address is listed too.
  assert.equal(policy.handle(ns({ ethSrc: PE, src: '2001:db8::1', target: '2001:db8:0:1::42' }), 0, 1).verdict, Verdict.Answer);
});

test('solicitations from other nodes than the listed uplinks are ignored', () => {
  const { policy } = setup({});
  const d = policy.handle(ns({ ethSrc: OTHER, src: 'fe80::77', target: '2001:db8:0:1::42' }), 0, 1);
  assert.equal(REASON_NAMES[d.reason], 'not_uplink');
});

test('exception targets (the CPE, us, interconnect hosts) are never proxied', () => {
  const { policy } = setup({});
  assert.equal(REASON_NAMES[policy.handle(ns({ ethSrc: PE, src: 'fe80::1', target: '2001:db8::c' }), 0, 1).reason], 'exception');
  assert.equal(REASON_NAMES[policy.handle(ns({ ethSrc: PE, src: 'fe80::1', target: 'fe80::fe' }), 0, 1).reason], 'own_address');
});

test('unicast solicitations (neighbour unreachability detection) are answered too', () => {
  const { policy } = setup({});
  const d = policy.handle(
    ns({ ethSrc: PE, ethDst: CPE, src: 'fe80::1', dst: '2001:db8:0:1::42', target: '2001:db8:0:1::42', sll: -1 }),
    0,
    1,
  );
  assert.equal(d.verdict, Verdict.Answer);
  assert.equal(d.dstMac, PE); // no source link-layer option: back to the Ethernet source
});

test('DAD (source ::) is answered only when :: is an uplink and dadDefend is set: to ff02::1 with S=0', () => {
  const dad = (p: Policy) => p.handle(ns({ ethSrc: OTHER, src: '::', target: '2001:db8:0:1::42' }), 0, 1);
  assert.equal(REASON_NAMES[dad(setup({}).policy).reason], 'not_uplink');
  const listed = [ip6('fe80::1'), ip6('::')];
  assert.equal(REASON_NAMES[dad(setup({ uplinks: listed }).policy).reason], 'probe');
  const d = dad(setup({ uplinks: listed, dadDefend: true, override: true }).policy);
  assert.equal(d.verdict, Verdict.Answer);
  assert.equal(d.toAllNodes, true);
  assert.equal(formatIp6(d.dstIp6), 'ff02::1');
  assert.equal(formatMac(d.dstMac), '33:33:00:00:00:01');
  assert.equal(d.naFlags, NA_FLAG_ROUTER | NA_FLAG_OVERRIDE);
});

test('without an uplink list every solicitor is answered', () => {
  const { policy } = setup({ uplinks: [] });
  assert.equal(policy.handle(ns({ ethSrc: OTHER, src: 'fe80::77', target: '2001:db8:0:1::42' }), 0, 1).verdict, Verdict.Answer);
  assert.equal(REASON_NAMES[policy.handle(ns({ ethSrc: OTHER, src: 'fe80::77', target: '2001:db9::1' }), 0, 1).reason], 'no_rule');
});

test('static entries answer per address, can be removed, and announce at most 3 times one tick apart', () => {
  const env = new TestEnv([OUR]);
  const out = new RecordingOutput();
  const policy = new Policy({ config: config([iface('tap0', [])]), env, output: out });
  const peer2 = mac('fd:fd:fd:fd:fd:02');
  assert.equal(policy.addStatic(0, { family: Family.V4, v4: ip4('198.51.100.2') }, peer2, true, 10), true);
  assert.deepEqual(out.take(), ['arpAnnounce if0 vlan-1 198.51.100.2 is-at fd:fd:fd:fd:fd:02']);
  policy.tick(10.5);
  assert.deepEqual(out.take(), []);
  for (const t of [11, 12, 13, 14]) policy.tick(t);
  assert.equal(out.take().length, 2);
  const who = () => policy.handle(arp({ senderMac: OTHER, senderIp: '198.51.100.1', targetIp: '198.51.100.2' }), 0, 20);
  const d = who();
  assert.equal(d.verdict, Verdict.Answer);
  assert.equal(REASON_NAMES[d.reason], 'static');
  assert.equal(d.answerMac, peer2);
  assert.equal(policy.removeStatic(0, { family: Family.V4, v4: ip4('198.51.100.2') }), true);
  assert.equal(REASON_NAMES[who().reason], 'no_rule');
  assert.equal(policy.removeStatic(0, { family: Family.V4, v4: ip4('198.51.100.2') }), false);
  // IPv6 static with announcement: unsolicited NA with O=1.
  policy.addStatic(0, { family: Family.V6, v6: ip6('2001:db8::2') }, peer2, true, 30);
  assert.deepEqual(out.take(), ['unsolicitedNa if0 vlan-1 2001:db8::2 is-at fd:fd:fd:fd:fd:02 flags 1']);
  const n = policy.handle(ns({ ethSrc: OTHER, src: 'fe80::1', target: '2001:db8::2' }), 0, 31);
  assert.equal(n.answerMac, peer2);
});

test('static entries from the configuration are replaced on reload, runtime ones stay', () => {
  const env = new TestEnv([OUR]);
  const out = new RecordingOutput();
  const st = (ip: string, m: string, announce = false) => ({
    pos: { file: 't', line: 1, column: 1 },
    address: { family: Family.V4 as const, v4: ip4(ip) },
    mac: mac(m),
    announce,
  });
  const policy = new Policy({ config: config([iface('tap0', [], { statics: [st('198.51.100.3', 'fd:fd:fd:fd:fd:03', true)] })]), env, output: out });
  assert.equal(out.take().length, 1);
  policy.addStatic(0, { family: Family.V4, v4: ip4('198.51.100.4') }, mac('fd:fd:fd:fd:fd:04'));
  policy.reload(config([iface('tap0', [], { statics: [st('198.51.100.5', 'fd:fd:fd:fd:fd:05'), st('198.51.100.3', 'fd:fd:fd:fd:fd:03', true)] })]));
  assert.equal(out.take().length, 0); // .3 unchanged: not announced again
  const has = (ip: string) => policy.staticFor(0, { family: Family.V4, v4: ip4(ip) });
  assert.equal(has('198.51.100.3'), mac('fd:fd:fd:fd:fd:03'));
  assert.equal(has('198.51.100.4'), mac('fd:fd:fd:fd:fd:04'));
  assert.equal(has('198.51.100.5'), mac('fd:fd:fd:fd:fd:05'));
  policy.reload(config([iface('tap0', [])]));
  assert.equal(has('198.51.100.3'), -1);
  assert.equal(has('198.51.100.4'), mac('fd:fd:fd:fd:fd:04'));
});

test('redirect over ND: unknown router resolved by multicast NS, NA sent once it answers', () => {
  const env = new TestEnv([OUR]);
  env.linkLocal.set(0, ip6('fe80::fe'));
  const out = new RecordingOutput();
  const policy = new Policy({ config: config([iface('eth0', [rule(1, '::/0', '2001:db8::/64', '2001:db8::1')])]), env, output: out });
  const d = policy.handle(ns({ ethSrc: OTHER, src: '2001:db8::77', target: '2001:db8::42' }), 0, 1);
  assert.equal(REASON_NAMES[d.reason], 'resolving');
  const calls = out.take();
  assert.equal(calls.at(-1), 'ns if0 vlan-1 from fe80::fe who-has 2001:db8::1 to solicited-node');
  assert.equal(policy.stats().pending.waiting, 1);
  policy.handle(na({ ethSrc: PE, ethDst: OUR, dst: 'fe80::fe', target: '2001:db8::1', flags: NA_FLAG_SOLICITED | NA_FLAG_ROUTER }), 0, 1.3);
  assert.deepEqual(out.take(), [
    'na if0 vlan-1 to 02:00:00:00:00:77 2001:db8::77: 2001:db8::42 is-at 02:00:00:00:00:01 flags 2',
  ]);
});
