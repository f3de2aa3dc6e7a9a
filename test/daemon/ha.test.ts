// The HA controller (src/daemon/ha.ts) with fake slots, addresses, output and clock; the
// pipeline's standby branch; the `ha`/`table`/`vrf` lines of the configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/errors';
import { parseConfig } from '../../src/config/parse';
import type { Config, StaticEntry } from '../../src/config/types';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, VLAN_NONE, type TxWriter } from '../../src/engine/types';
import { HaController, isVrrpMac } from '../../src/daemon/ha';
import type { KernelAddrs } from '../../src/netlink/kernel';
import { formatIp6, parseIp, parseIp6, parseMac } from '../../src/net/addr';
import { IfaceSlot, Pipeline, type PolicyPort } from '../../src/pipeline/pipeline';
import { FAMILY_V6, InterfaceStats } from '../../src/pipeline/stats';
import { Decision, Reason, REASON_COUNT, Verdict } from '../../src/policy/decision';
import { buildNsResolve } from '../../src/wire/build';
import { NA_FLAG_OVERRIDE, type FrameView } from '../../src/wire/view';

const v4 = (s: string): number => (parseIp(s) as { v4: number }).v4;
const quiet = { info() {}, warn() {}, debug() {}, error() {} } as never;

interface Sent { kind: 'arp' | 'na'; at: number; target: string; mac: number; flags?: number }

function rig(text: string, opts: { vip?: boolean } = {}) {
  const config = parseConfig(text, 'ha.conf').config;
  const slots = config.interfaces.map((c, i) => new IfaceSlot(c.name, i, new InterfaceStats(c.name)));
  let now = 100;
  const sent: Sent[] = [];
  const addrs = new Map<number, KernelAddrs>([[2, { v4: opts.vip ? [v4('192.0.2.1')] : [], v6: [] }]]);
  const added: StaticEntry[] = [];
  const output = {
    arpAnnounce: (_i: number, _v: number, ip: number, mac: number) => void sent.push({ kind: 'arp', at: now, target: String(ip), mac }),
    unsolicitedNa: (_i: number, _v: number, t: Uint32Array, mac: number, flags: number) => void sent.push({ kind: 'na', at: now, target: formatIp6(t), mac, flags }),
    flushAll: () => 0,
  };
  const ha = new HaController({
    slots: () => slots, config: () => config as Config, addedStatics: () => added, addresses: () => addrs, output,
    clock: () => now, log: quiet,
  });
  return { ha, slots, sent, addrs, added, advance: (s: number) => { now += s; ha.tick(); }, now: () => now };
}

const FILE = `interface lan0
 ha track 192.0.2.1
 static 198.51.100.7 02:00:5e:00:53:07
 static 2001:db8:7::7 02:00:5e:00:53:07
 rule 192.0.2.0/24 198.51.100.0/24 self
end
`;

test('ha track: standby without the address, takeover when it comes: 3 rounds 1 s apart, then nothing', () => {
  const r = rig(FILE);
  r.ha.evaluate();
  assert.equal(r.slots[0]!.standby, true);
  assert.equal(r.ha.list()[0]!.role, 'standby');
  // While standby, a client asked for 198.51.100.9: the pipeline recorded it (withheld).
  r.slots[0]!.answered.record(4, -1, 0, 0, 0, v4('198.51.100.9'), 0x02005e005301, r.now());
  r.addrs.get(2)!.v4.push(v4('192.0.2.1'));
  r.ha.evaluate();
  assert.equal(r.slots[0]!.standby, false);
  assert.equal(r.sent.length, 3, 'round 1 at once: two statics and the recorded target');
  const na = r.sent.find((s) => s.kind === 'na')!;
  assert.equal(na.target, '2001:db8:7::7');
  assert.equal(na.flags! & NA_FLAG_OVERRIDE, NA_FLAG_OVERRIDE, 'O=1: the new router overrides the old MAC');
  r.advance(0.5);
  assert.equal(r.sent.length, 3, 'nothing before RetransTimer (1 s)');
  for (let i = 0; i < 30; i++) r.advance(0.1);
  assert.equal(r.sent.length, 9, 'exactly 3 rounds (MAX_NEIGHBOR_ADVERTISEMENT)');
  const times = r.sent.filter((s) => s.target === '2001:db8:7::7').map((s) => s.at);
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 1 - 1e-9, `announcements ${times} closer than 1 s`);
  const st = r.ha.list()[0]!;
  assert.deepEqual([st.transitions.toActive, st.takeovers, st.announced], [1, 1, 9]);
  // Losing the address: standby again, and a burst in progress would stop.
  r.addrs.get(2)!.v4.length = 0;
  r.ha.evaluate();
  assert.equal(r.slots[0]!.standby, true);
  assert.equal(st.transitions.toStandby, 1);
});

test('targets answered longer ago than the cache timeout are not announced', () => {
  const r = rig(`cache\n timeout 10\nend\n${FILE}`);
  r.ha.evaluate();
  r.slots[0]!.answered.record(4, -1, 0, 0, 0, 0xc6336409, 0x02005e005301, r.now() - 20);
  r.addrs.get(2)!.v4.push(v4('192.0.2.1'));
  r.ha.evaluate();
  assert.equal(r.sent.length, 2, 'only the statics');
});

test('a VRRP virtual MAC needs no burst: skipped and counted', () => {
  assert.ok(isVrrpMac(parseMac('00:00:5e:00:01:33')!));
  assert.ok(isVrrpMac(parseMac('00:00:5e:00:02:01')!));
  assert.ok(!isVrrpMac(parseMac('00:00:5e:00:53:01')!));
  const r = rig('interface lan0\n ha track 192.0.2.1\n static 198.51.100.7 00:00:5e:00:01:33\nend\n');
  r.ha.evaluate();
  r.addrs.get(2)!.v4.push(v4('192.0.2.1'));
  r.ha.evaluate();
  assert.equal(r.sent.length, 0);
  assert.equal(r.ha.list()[0]!.vmacSkipped, 1);
  assert.equal(r.ha.list()[0]!.role, 'active');
});

test('ctl role wins over the tracked address until auto; ha role standby in the file; refresh', () => {
  const r = rig(FILE, { vip: true });
  r.ha.evaluate();
  assert.equal(r.ha.list()[0]!.role, 'active');
  assert.deepEqual(r.ha.setRole('standby', 'lan0'), ['lan0']);
  assert.equal(r.slots[0]!.standby, true);
  assert.equal(r.ha.list()[0]!.source, 'ctl');
  r.ha.setRole('auto', null);
  assert.equal(r.ha.list()[0]!.role, 'active');
  assert.equal(r.ha.list()[0]!.source, 'track');
  assert.deepEqual(r.ha.setRole('active', 'nosuch'), []);

  const f = rig('interface lan0\n ha role standby\n ha refresh 30\n static 198.51.100.7 02:00:5e:00:53:07\nend\n');
  f.ha.evaluate();
  assert.equal(f.ha.list()[0]!.role, 'standby');
  f.ha.setRole('active', null);
  for (let i = 0; i < 25; i++) f.advance(0.1);
  assert.equal(f.sent.length, 3, 'burst');
  f.advance(20);
  assert.equal(f.sent.length, 3, 'no refresh before 30 s');
  f.advance(12);
  f.advance(0.1);
  assert.equal(f.sent.length, 4, 'one refresh round');
  f.advance(31);
  f.advance(0.1);
  assert.equal(f.sent.length, 5, 'and again');
});

class AnswerAll implements PolicyPort {
  readonly decision = new Decision();
  withheldReasons: number[] = [];
  handle(_v: FrameView, ifIndex: number): Decision {
    const d = this.decision;
    d.reset();
    d.ifIndex = ifIndex;
    d.family = 6;
    d.verdict = Verdict.Answer;
    d.reason = Reason.Rule;
    d.answerMac = 0x02005e005399;
    return d;
  }
  withheld(d: Decision): void { this.withheldReasons.push(d.reason); }
}

test('pipeline: a standby slot sends nothing, counts reason standby, records the target', () => {
  const stats = new InterfaceStats('lan0');
  const slot = new IfaceSlot('lan0', 0, stats);
  const policy = new AnswerAll();
  const pipeline = new Pipeline(policy, () => 5);
  pipeline.slots = [slot];
  const buf = new Uint8Array(512);
  const len = buildNsResolve(buf, 64, -1, 0x02005e005302, parseIp6('2001:db8:1::10')!, parseIp6('2001:db8:7::20')!);
  const desc = new Uint32Array(DESC_STRIDE);
  desc[DESC_OFFSET] = 64;
  desc[DESC_LENGTH] = len;
  desc[DESC_VLAN_TCI] = VLAN_NONE;
  let reserved = 0;
  const tx: TxWriter = { buf: new Uint8Array(4096), slotSize: 512, reserve: () => (reserved++, 0), commit: () => {}, flush: () => 0 };
  slot.standby = true;
  pipeline.onBatch(0, { buf, desc, count: 1 }, tx);
  assert.equal(reserved, 0, 'no TX slot taken');
  assert.equal(policy.decision.verdict, Verdict.Silent);
  assert.equal(policy.decision.reason, Reason.Standby);
  assert.deepEqual(policy.withheldReasons, [Reason.Rule], 'the policy moves its count from the original reason');
  assert.equal(stats.unanswered[FAMILY_V6], 1);
  assert.equal(stats.unansweredByReason[FAMILY_V6 * REASON_COUNT + Reason.Standby], 1);
  const rec = slot.answered.since(0);
  assert.equal(rec.length, 1);
  assert.equal(formatIp6(rec[0]!.words), '2001:db8:7::20');
  slot.standby = false;
  pipeline.onBatch(0, { buf, desc, count: 1 }, tx);
  assert.equal(reserved, 1, 'active: answered');
  assert.equal(slot.answered.since(0).length, 1, 'the same target updates its entry');
});

test('config: ha and table/vrf lines, and their errors', () => {
  const c = parseConfig('interface lan0\n ha track 2001:db8::1\n ha role active\n ha refresh 60\n table 100\n rule 192.0.2.0/24 198.51.100.0/24 route\nend\n', 'x').config;
  const i = c.interfaces[0]!;
  assert.equal(i.ha!.track!.family, 6);
  assert.equal(i.ha!.role, 'active');
  assert.equal(i.ha!.refresh, 60);
  assert.equal(i.routeTable, 100);
  assert.equal(parseConfig('interface lan0\n vrf blue\n rule 192.0.2.0/24 198.51.100.0/24 route\nend\n', 'x').config.interfaces[0]!.routeVrf, 'blue');
  const errors = (text: string): string[] => {
    try {
      parseConfig(text, 'x');
      return [];
    } catch (err) {
      return (err as ConfigError).errors.map((e) => e.message);
    }
  };
  assert.match(errors('interface lan0\n ha track nowhere\nend\n')[0]!, /x:2:11: found 'nowhere'/);
  assert.match(errors('interface lan0\n ha role maybe\nend\n')[0]!, /'active' or 'standby'/);
  assert.match(errors('interface lan0\n ha tracks 192.0.2.1\nend\n')[0]!, /'track', 'role' or 'refresh'/);
  assert.match(errors('interface lan0\n ha track 192.0.2.1\n ha track 192.0.2.2\nend\n')[0]!, /once per interface/);
  assert.match(errors('interface lan0\n table 100\n vrf blue\nend\n')[0]!, /'table' or 'vrf', not both/);
  assert.match(errors('interface lan0\n table 0\nend\n')[0]!, /routing table number/);
});
