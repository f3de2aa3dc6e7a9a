// The decision log: every decision at debug with its reason and rule line, verbose rules
// at info, nothing (not even a call) when the levels are off; levels read on reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy, REASON_NAMES } from '../../src/policy';
import type { Rule } from '../../src/config/types';
import { arp, config, iface, ip4, LevelLogger, mac, na, ns, RecordingOutput, rule, TestEnv } from './fixtures/build';
import { FrameKind } from '../../src/wire/view';

const OUR = mac('02:00:00:00:00:fe');
const ASKER = mac('02:00:00:00:00:99');

function setup(level: string, rules: Rule[], over = {}) {
  const env = new TestEnv([OUR]);
  env.own4.set(0, new Set([ip4('198.51.100.254')]));
  const log = new LevelLogger(level);
  const policy = new Policy({ config: config([iface('eth0', rules, over)]), env, output: new RecordingOutput(), logger: log });
  const who = (target: string, sip = '198.51.100.99') => policy.handle(arp({ senderMac: ASKER, senderIp: sip, targetIp: target, ethDst: OUR }), 0, 1);
  return { log, policy, who };
}

test('decision log: an unmatched request is logged at debug with reason no_rule and no rule line', () => {
  const { log, who } = setup('debug', [rule(3, '0.0.0.0/0', '203.0.113.0/24', 'self')]);
  who('198.51.100.7');
  assert.equal(log.lines.length, 1);
  const l = log.lines[0]!;
  assert.equal(l.level, 'debug');
  assert.equal(l.msg, 'decision');
  assert.deepEqual(l.obj, {
    interface: 'eth0', vlan: -1, family: 4, source: '198.51.100.99', target: '198.51.100.7',
    line: undefined, action: undefined, verdict: 'silent', reason: 'no_rule', mac: undefined,
  });
  who('203.0.113.9');
  assert.deepEqual(log.lines[1]!.obj, {
    interface: 'eth0', vlan: -1, family: 4, source: '198.51.100.99', target: '203.0.113.9',
    line: 3, action: 'self', verdict: 'answer', reason: 'rule', mac: '02:00:00:00:00:fe',
  });
});

test('decision log: every kind of decision reaches debug with its reason', () => {
  const { log, policy, who } = setup('debug', [rule(5, '0.0.0.0/0', '0.0.0.0/0', 'tell'), rule(6, '::/0', '::/0', 'ignore')], { vlans: [0] });
  policy.addStatic(0, { family: 4, v4: ip4('198.51.100.2') } as never, mac('fd:fd:fd:fd:fd:02'));
  who('198.51.100.2'); // static
  who('198.51.100.254'); // own_address
  who('198.51.100.50'); // unknown_target (tell, nothing learned)
  who('198.51.100.99'); // self_request
  policy.handle(arp({ senderMac: OUR, senderIp: '198.51.100.254', targetIp: '198.51.100.1' }), 0, 1); // own_frame
  policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: '198.51.100.1', vlan: 7 }), 0, 1); // vlan
  policy.handle(arp({ op: 'reply', senderMac: ASKER, senderIp: '198.51.100.99', targetIp: '198.51.100.1' }), 0, 1); // not_request
  policy.handle(ns({ ethSrc: ASKER, src: '2001:db8::99', target: '2001:db8::7' }), 0, 1); // ignore (ND)
  policy.handle(na({ ethSrc: ASKER, target: '2001:db8::99' }), 0, 1); // not_request (ND)
  const bad = arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: '198.51.100.1' });
  bad.kind = FrameKind.None;
  policy.handle(bad, 0, 1); // invalid
  policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: '198.51.100.1' }), 9, 1); // unknown_interface
  const reasons = log.lines.map((l) => l.obj.reason);
  assert.deepEqual(reasons, [
    'static', 'own_address', 'unknown_target', 'self_request', 'own_frame', 'vlan', 'not_request', 'ignore', 'not_request', 'invalid', 'unknown_interface',
  ]);
  assert.ok(log.lines.every((l) => l.level === 'debug'));
  const byReason = (r: string) => log.lines.find((l) => l.obj.reason === r)!.obj;
  assert.equal(byReason('static').mac, 'fd:fd:fd:fd:fd:02');
  assert.equal(byReason('static').line, undefined);
  assert.equal(byReason('unknown_target').line, 5);
  assert.equal(byReason('ignore').line, 6);
  assert.equal(byReason('ignore').family, 6);
  assert.equal(byReason('ignore').target, '2001:db8::7');
  assert.equal(byReason('unknown_interface').interface, '#9');
  assert.equal(byReason('invalid').source, undefined);
  // The reasons logged are the ones counted.
  const st = policy.stats().reasons;
  for (const r of new Set(reasons)) assert.equal(st[r], reasons.filter((x) => x === r).length, r);
  assert.ok(reasons.every((r) => REASON_NAMES.includes(r as string)));
});

test('decision log: with debug off and no verbose rule the logger is never called', () => {
  for (const level of ['info', 'warn', 'silent']) {
    const { log, policy, who } = setup(level, [rule(1, '0.0.0.0/0', '198.51.100.0/25', 'self'), rule(2, '0.0.0.0/0', '0.0.0.0/0', 'ignore')]);
    for (let i = 0; i < 200; i++) who(`198.51.100.${i}`);
    policy.handle(ns({ ethSrc: ASKER, src: '2001:db8::99', target: '2001:db8::7' }), 0, 1);
    assert.equal(policy.log.debug, false);
    assert.equal(log.calls, 0, level);
  }
});

test('decision log: verbose rules log at info (once, not again at debug); at warn not at all', () => {
  const rules = [rule(4, '0.0.0.0/0', '198.51.100.0/25', 'self', { verbose: true }), rule(5, '0.0.0.0/0', '0.0.0.0/0', 'ignore')];
  const info = setup('info', rules);
  info.who('198.51.100.7');
  info.who('198.51.100.200');
  assert.deepEqual(info.log.lines.map((l) => [l.level, l.obj.line, l.obj.reason]), [['info', 4, 'rule']]);
  const debug = setup('debug', rules);
  debug.who('198.51.100.7');
  debug.who('198.51.100.200');
  assert.deepEqual(debug.log.lines.map((l) => [l.level, l.obj.line, l.obj.reason]), [['info', 4, 'rule'], ['debug', 5, 'ignore']]);
  const warn = setup('warn', rules);
  warn.who('198.51.100.7');
  assert.equal(warn.log.calls, 0);
});

test('decision log: the level is read at construction and again on reload', () => {
  const rules = [rule(1, '0.0.0.0/0', '0.0.0.0/0', 'ignore')];
  const { log, policy, who } = setup('info', rules);
  who('198.51.100.7');
  log.level = 'debug';
  who('198.51.100.7');
  assert.equal(log.calls, 0, 'not re-read per frame');
  policy.reload(config([iface('eth0', rules)]));
  assert.equal(policy.log.debug, true);
  who('198.51.100.7');
  assert.equal(log.lines.length, 1);
  assert.equal(log.lines[0]!.obj.reason, 'ignore');
  log.level = 'info';
  policy.log.refresh();
  who('198.51.100.7');
  assert.equal(log.lines.length, 1);
});
