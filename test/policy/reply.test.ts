// Reply-action indices: one named table in src/policy; every answer carries its index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy, ReplyAction, REPLY_ACTION_COUNT, REPLY_ACTION_NAMES, Verdict } from '../../src/policy';
import { REPLY_ACTIONS } from '../../src/pipeline/stats';
import { Family } from '../../src/net/addr';
import { arp, config, iface, ip4, mac, ns, RecordingOutput, rule, TestEnv } from './fixtures/build';

const OUR = mac('02:00:00:00:00:fe');
const ASKER = mac('02:00:00:00:00:99');

test('reply actions: names match the indices and the daemon metric labels', () => {
  assert.equal(REPLY_ACTION_NAMES.length, REPLY_ACTION_COUNT);
  const named: [ReplyAction, string][] = [
    [ReplyAction.Tell, 'tell'], [ReplyAction.Redirect, 'redirect'], [ReplyAction.Mac, 'mac'], [ReplyAction.Self, 'self'],
    [ReplyAction.Route, 'route'], [ReplyAction.Template, 'template'], [ReplyAction.Static, 'static'], [ReplyAction.Other, 'other'],
  ];
  for (const [i, n] of named) assert.equal(REPLY_ACTION_NAMES[i], n);
  assert.deepEqual([...REPLY_ACTIONS], [...REPLY_ACTION_NAMES]);
});

test('reply actions: every answer carries the index of what answered it, both families', () => {
  const H = mac('02:00:00:00:00:11');
  const R = mac('02:00:00:00:00:01');
  const cases: [string, ReplyAction][] = [
    ['tell', ReplyAction.Tell], ['R', ReplyAction.Redirect], ['00:0c:29:b6:43:d5', ReplyAction.Mac], ['self', ReplyAction.Self],
    ['route', ReplyAction.Route], ['template:02:aa:00:00:00:00/2', ReplyAction.Template],
  ];
  for (const [act, want] of cases) {
    for (const v6 of [false, true]) {
      const env = new TestEnv([OUR]);
      env.routes.set(v6 ? '::/0' : '0.0.0.0/0', 'eth1');
      const word = act === 'R' ? (v6 ? '2001:db8::1' : '198.51.100.1') : act;
      const policy = new Policy({ config: config([iface('eth0', [rule(1, v6 ? '::/0' : '0.0.0.0/0', v6 ? '::/0' : '0.0.0.0/0', word)])]), env, output: new RecordingOutput() });
      // Teach the cache the target (tell) and the router (redirect).
      if (v6) {
        policy.handle(ns({ ethSrc: H, src: '2001:db8::7', dst: 'ff02::1:ff00:9', target: '2001:db8::9' }), 0, 1);
        policy.handle(ns({ ethSrc: R, src: '2001:db8::1', dst: 'ff02::1:ff00:9', target: '2001:db8::9' }), 0, 1);
      } else {
        policy.handle(arp({ senderMac: H, senderIp: '198.51.100.7', targetIp: '198.51.100.9' }), 0, 1);
        policy.handle(arp({ senderMac: R, senderIp: '198.51.100.1', targetIp: '198.51.100.9' }), 0, 1);
      }
      const d = v6
        ? policy.handle(ns({ ethSrc: ASKER, src: '2001:db8::99', target: '2001:db8::7' }), 0, 2)
        : policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: '198.51.100.7' }), 0, 2);
      assert.equal(d.verdict, Verdict.Answer, `${act} v6=${v6}`);
      assert.equal(d.replyAction, want, `${act} v6=${v6}`);
    }
  }
  const env = new TestEnv([OUR]);
  const policy = new Policy({ config: config([iface('eth0', [rule(1, '0.0.0.0/0', '0.0.0.0/0', 'ignore')])]), env, output: new RecordingOutput() });
  policy.addStatic(0, { family: Family.V4, v4: ip4('198.51.100.2') }, mac('fd:fd:fd:fd:fd:02'));
  assert.equal(policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: '198.51.100.2' }), 0, 1).replyAction, ReplyAction.Static);
  const silent = policy.handle(arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: '198.51.100.3' }), 0, 1);
  assert.equal(silent.verdict, Verdict.Silent);
  assert.equal(silent.replyAction, ReplyAction.Other);
});
