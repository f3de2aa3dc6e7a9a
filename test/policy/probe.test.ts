// `probe IFACE` through the real Policy: one probe per target, answers released by the
// target's reply, the absent table stopping a scan, bounds, the per-interface rate limit,
// autowire's route calls (expiry, reload), the kernel's REACHABLE entries, export/import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfig } from '../../src/config/format';
import { parseConfig } from '../../src/config/parse';
import { ActionKind } from '../../src/config/types';
import { Family, formatIp4, formatIp6, type Ip4, type Ip6 } from '../../src/net/addr';
import { Policy } from '../../src/policy';
import { REASON_NAMES, Verdict } from '../../src/policy/decision';
import type { HostRouteSink } from '../../src/policy/probe';
import type { PolicyEnvironment } from '../../src/policy/types';
import { NA_FLAG_OVERRIDE, NA_FLAG_SOLICITED } from '../../src/wire/view';
import { arp, ip4, ip6, mac, na, ns, RecordingOutput, TestEnv } from './fixtures/build';

const UP = mac('02:00:00:00:00:fe');
const LAN = mac('02:00:00:00:00:fd');
const ROUTER = mac('02:00:00:00:00:01');
const HOST = mac('02:00:00:00:00:10');

const CONF = `interface up0
 rule 0.0.0.0/0 192.0.2.0/24 probe lan0 autowire absent 30
 rule ::/0 2001:db8:1::/64 probe lan0 alive 60
end
interface lan0
end
`;

class Routes implements HostRouteSink {
  calls: string[] = [];
  add(iface: string, family: Family, addr: Ip4 | Ip6): void {
    this.calls.push(`add ${iface} ${family === Family.V4 ? formatIp4(addr as Ip4) : formatIp6(addr as Ip6)}`);
  }
  remove(iface: string, family: Family, addr: Ip4 | Ip6): void {
    this.calls.push(`remove ${iface} ${family === Family.V4 ? formatIp4(addr as Ip4) : formatIp6(addr as Ip6)}`);
  }
}

function rig(text = CONF, opts = {}) {
  const env = new TestEnv([UP, LAN]);
  env.src4.set(1, ip4('198.51.100.1'));
  env.linkLocal.set(1, ip6('fe80::fd'));
  const out = new RecordingOutput();
  const policy = new Policy({ config: parseConfig(text, 't.conf').config, env, output: out, options: opts });
  const routes = new Routes();
  policy.probes.routes = routes;
  const ask4 = (target: string, now: number, sender = '192.0.2.1') =>
    policy.handle(arp({ senderMac: ROUTER, senderIp: sender, targetIp: target }), 0, now);
  const ask6 = (target: string, now: number) => policy.handle(ns({ ethSrc: ROUTER, src: 'fe80::1', target }), 0, now);
  return { env, out, policy, routes, ask4, ask6 };
}

test('probe (IPv4): one ARP request on the probed interface, the answer leaves when the host replies; later requests from the alive table', () => {
  const { out, policy, routes, ask4 } = rig();
  const d = ask4('192.0.2.10', 1);
  assert.equal(d.verdict, Verdict.Silent);
  assert.equal(REASON_NAMES[d.reason], 'probing');
  assert.deepEqual(out.take(), ['arpRequest if1 vlan-1 from 02:00:00:00:00:fd 198.51.100.1 who-has 192.0.2.10 to ff:ff:ff:ff:ff:ff']);
  assert.equal(REASON_NAMES[ask4('192.0.2.10', 1.3).reason], 'probing', 'a retransmission waits too');
  assert.deepEqual(out.take(), [], 'no second probe');
  policy.handle(arp({ op: 'reply', senderMac: HOST, senderIp: '192.0.2.10', targetIp: '198.51.100.1', ethDst: LAN, targetMac: LAN }), 1, 1.5);
  assert.deepEqual(out.take(), [
    'arpReply if0 vlan-1 to 02:00:00:00:00:01 192.0.2.1: 192.0.2.10 is-at 02:00:00:00:00:fe',
    'arpReply if0 vlan-1 to 02:00:00:00:00:01 192.0.2.1: 192.0.2.10 is-at 02:00:00:00:00:fe',
  ]);
  assert.deepEqual(routes.calls, ['add lan0 192.0.2.10'], 'autowire: one route');
  const again = ask4('192.0.2.10', 2);
  assert.equal(again.verdict, Verdict.Answer);
  assert.equal(again.answerMac, UP);
  const s = policy.probes.stats(2);
  assert.equal(s.sent, 1);
  assert.equal(s.answered, 2);
  assert.equal(s.alive.entries, 1);
  assert.equal(policy.stats().reasons.probing, 2);
  // The alive entry expires (default alive 120 s): its route goes.
  policy.tick(200);
  assert.deepEqual(routes.calls, ['add lan0 192.0.2.10', 'remove lan0 192.0.2.10']);
  assert.equal(policy.probes.stats(200).alive.entries, 0);
});

test('probe: no answer -> absent for the rule\'s seconds: a scan costs one probe per address per absent lifetime', () => {
  const { out, policy, ask4 } = rig();
  for (let i = 0; i < 20; i++) assert.equal(REASON_NAMES[ask4(`192.0.2.${100 + i}`, 1).reason], 'probing');
  assert.equal(out.take().length, 20, 'one probe per address');
  policy.tick(2.5); // the interface timeout (1 s) passed: queued answers dropped
  assert.equal(policy.probes.pending.count, 0);
  for (let i = 0; i < 20; i++) assert.equal(REASON_NAMES[ask4(`192.0.2.${100 + i}`, 3).reason], 'probe_absent');
  assert.deepEqual(out.take(), [], 'no new probe within the absent lifetime');
  assert.equal(REASON_NAMES[ask4('192.0.2.100', 33).reason], 'probing', 'after 1 + 30 s: asked again');
  assert.equal(out.take().length, 1);
  assert.equal(policy.probes.stats(33).sent, 21);
});

test('probe (IPv6): NS from the probed interface\'s link-local to the solicited-node group; the host\'s own NA or NS fills the alive table', () => {
  const { out, policy, routes, ask6 } = rig();
  assert.equal(REASON_NAMES[ask6('2001:db8:1::10', 1).reason], 'probing');
  assert.deepEqual(out.take(), ['ns if1 vlan-1 from fe80::fd who-has 2001:db8:1::10 to solicited-node']);
  policy.handle(na({ ethSrc: HOST, ethDst: LAN, src: '2001:db8:1::10', dst: 'fe80::fd', target: '2001:db8:1::10', flags: NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE }), 1, 1.2);
  assert.deepEqual(out.take(), ['na if0 vlan-1 to 02:00:00:00:00:01 fe80::1: 2001:db8:1::10 is-at 02:00:00:00:00:fe flags 2']);
  assert.deepEqual(routes.calls, [], 'no autowire on this rule');
  // Another host announces itself (unsolicited, O=1): answered at once, no probe.
  policy.handle(na({ ethSrc: mac('02:00:00:00:00:11'), target: '2001:db8:1::11', flags: NA_FLAG_OVERRIDE }), 1, 2);
  const d = ask6('2001:db8:1::11', 3);
  assert.equal(d.verdict, Verdict.Answer);
  assert.deepEqual(out.take(), []);
  // A host's own solicitation (from its address, with its link-layer option) says it is there too.
  policy.handle(ns({ ethSrc: mac('02:00:00:00:00:13'), src: '2001:db8:1::13', target: '2001:db8:1::1' }), 1, 3);
  assert.equal(ask6('2001:db8:1::13', 3.1).verdict, Verdict.Answer);
  // A proxy's NA (O=0) to someone else proves nothing.
  policy.handle(na({ ethSrc: mac('02:00:00:00:00:12'), ethDst: mac('02:00:00:00:00:99'), target: '2001:db8:1::12', flags: NA_FLAG_SOLICITED }), 1, 3);
  assert.equal(REASON_NAMES[ask6('2001:db8:1::12', 3.5).reason], 'probing');
});

test('probe: a REACHABLE kernel neighbour on the probed interface counts as alive', () => {
  const { env, out, ask4 } = rig();
  const asked: string[] = [];
  (env as TestEnv & PolicyEnvironment).neighbourReachable = (family: Family, addr: Ip4 | Ip6, ifIndex: number): boolean => {
    asked.push(`${ifIndex} ${formatIp4(addr as Ip4)}`);
    return family === Family.V4 && addr === ip4('192.0.2.20');
  };
  assert.equal(ask4('192.0.2.20', 1).verdict, Verdict.Answer);
  assert.deepEqual(out.take(), [], 'no probe');
  assert.deepEqual(asked, ['1 192.0.2.20']);
  assert.equal(REASON_NAMES[ask4('192.0.2.21', 1).reason], 'probing');
});

test('probe: both tables are bounded, evictions counted; probes are rate-limited per probed interface', () => {
  const { out, policy, ask4 } = rig(CONF, { probeAbsentSize: 16, probeAliveSize: 8, probeRate: 5, probeBurst: 10 });
  let limited = 0;
  for (let i = 0; i < 40; i++) if (REASON_NAMES[ask4(`192.0.2.${i + 2}`, 1).reason] === 'probe_limited') limited++;
  assert.equal(out.take().length, 10, 'the burst');
  assert.equal(limited, 30);
  assert.equal(policy.probes.stats(1).limited, 30);
  // 2 s later: 10 more tokens (5/s), capped by the burst.
  for (let i = 40; i < 60; i++) ask4(`192.0.2.${i + 2}`, 3);
  assert.equal(out.take().length, 10);
  const s = policy.probes.stats(3);
  assert.equal(s.absent.capacity, 16);
  assert.ok(s.absent.entries <= 16);
  assert.ok(s.absent.evictions >= 4, `evictions ${s.absent.evictions}`);
  for (let i = 0; i < 50; i++) policy.handle(arp({ senderMac: mac(`02:00:00:00:01:${(i + 16).toString(16)}`), senderIp: `192.0.2.${150 + i}`, targetIp: '192.0.2.1' }), 1, 4);
  const a = policy.probes.stats(4).alive;
  assert.equal(a.capacity, 8);
  assert.ok(a.entries <= 8 && a.evictions >= 42, JSON.stringify(a));
  assert.equal(a.bytes, 8 * (20 + 8 + 8 + 1));
});

test('probe autowire: a reload without the rule removes its routes; unwireAll removes the rest', () => {
  const { policy, routes, ask4 } = rig();
  policy.handle(arp({ senderMac: HOST, senderIp: '192.0.2.10', targetIp: '192.0.2.10' }), 1, 1); // gratuitous ARP
  assert.equal(ask4('192.0.2.10', 1.1).verdict, Verdict.Answer);
  assert.deepEqual(routes.calls, ['add lan0 192.0.2.10']);
  policy.reload(parseConfig(CONF.replace(' autowire', ''), 't.conf').config, 2);
  assert.deepEqual(routes.calls, ['add lan0 192.0.2.10', 'remove lan0 192.0.2.10']);
  policy.reload(parseConfig(CONF, 't.conf').config, 3);
  assert.equal(ask4('192.0.2.10', 3.1).verdict, Verdict.Answer);
  policy.probes.unwireAll();
  assert.deepEqual(routes.calls.slice(2), ['add lan0 192.0.2.10', 'remove lan0 192.0.2.10']);
});

test('probe: export and import keep entries with their remaining lifetimes (warm restarts)', () => {
  const a = rig();
  a.policy.handle(arp({ senderMac: HOST, senderIp: '192.0.2.10', targetIp: '192.0.2.10' }), 1, 10);
  a.ask4('192.0.2.99', 10);
  const recs = a.policy.probes.exportEntries(20);
  assert.deepEqual(recs.map((r) => [r.table, r.iface, r.address, r.remaining]).sort(), [
    ['absent', 'lan0', '192.0.2.99', 21],
    ['alive', 'lan0', '192.0.2.10', 110],
  ]);
  const b = rig();
  assert.equal(b.policy.probes.importEntries(recs, 500).imported, 2);
  assert.equal(b.ask4('192.0.2.10', 501).verdict, Verdict.Answer);
  assert.equal(REASON_NAMES[b.ask4('192.0.2.99', 501).reason], 'probe_absent');
  assert.deepEqual(b.out.take(), []);
  assert.equal(REASON_NAMES[b.ask4('192.0.2.99', 522).reason], 'probing');
});

test('config: probe needs another configured interface; options parse and format back', () => {
  assert.throws(() => parseConfig('interface up0\n rule 0.0.0.0/0 192.0.2.0/24 probe lan9 autowire\nend\n', 't.conf'), /t\.conf:2:2: found 'probe lan9 autowire', expected an interface with its own 'interface lan9' block/);
  const tun = parseConfig('interface up0\n rule 0.0.0.0/0 192.0.2.0/24 probe tun9\nend\n', 't.conf').config.interfaces[0]!.rules[0]!.action;
  assert.ok(tun.kind === ActionKind.Probe && tun.probe.viaRoute === true, 'no block: a link without link layer, decided by its route');
  assert.throws(() => parseConfig('interface up0\n rule 0.0.0.0/0 192.0.2.0/24 probe up0\nend\n', 't.conf'), /another interface/);
  assert.throws(() => parseConfig('interface up0\n rule 0.0.0.0/0 192.0.2.0/24 probe lan0 sometimes\nend\ninterface lan0\nend\n', 't.conf'), /probe option/);
  const { config, warnings } = parseConfig(CONF, 't.conf');
  assert.deepEqual(warnings, [], "an empty probed block is not 'never answers'");
  assert.equal(parseConfig(CONF.replace(/probe lan0.*/g, 'self'), 't.conf').warnings.length, 1, 'without probe rules it is');
  const a = config.interfaces[0]!.rules[0]!.action;
  assert.deepEqual(a, { kind: 'probe', probe: { iface: 'lan0', autowire: true, alive: 120, absent: 30 } });
  assert.equal(config.interfaces[1]!.probed!.length, 2, 'the probed interface knows the prefixes');
  const text = formatConfig(config);
  assert.match(text, /probe lan0 autowire alive 120 absent 30/);
  assert.deepEqual(parseConfig(text, 't.conf').config.interfaces[0]!.rules.map((r) => r.action), config.interfaces[0]!.rules.map((r) => r.action), 'round trip');
});

test('probe on a link without link layer (no interface block): the kernel route through it decides, nothing is sent', () => {
  const text = 'interface up0\n rule 0.0.0.0/0 192.0.2.0/24 probe tun0\n rule ::/0 2001:db8:1::/64 probe tun0\nend\n';
  const { env, out, policy, ask4, ask6 } = rig(text);
  env.routes.set('192.0.2.0/25', 'tun0');
  env.routes.set('192.0.2.128/25', 'eth7');
  env.routes.set('2001:db8:1::/80', 'tun0');
  const routed = ask4('192.0.2.10', 1);
  assert.equal(routed.verdict, Verdict.Answer, 'routed through tun0: answered at once');
  assert.equal(routed.answerMac, UP);
  const elsewhere = ask4('192.0.2.200', 1);
  assert.equal(elsewhere.verdict, Verdict.Silent, 'routed through another link: not alive behind tun0');
  assert.equal(REASON_NAMES[elsewhere.reason], 'probe_absent');
  assert.equal(REASON_NAMES[ask6('2001:db8:1:0:1::5', 1).reason], 'probe_absent', 'no route at all');
  assert.equal(ask6('2001:db8:1::5', 1).verdict, Verdict.Answer);
  assert.deepEqual(out.take(), [], 'no probe is sent on a link without ARP/ND');
  assert.equal(policy.probes.stats(1).sent, 0);
});
