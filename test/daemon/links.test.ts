import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkWatcher, parseMonitorLine, sysfsLinkReader, type LinkEvent, type LinkState } from '../../src/daemon/links';

function fake(): { state: Map<string, LinkState>; events: LinkEvent[]; w: LinkWatcher } {
  const state = new Map<string, LinkState>();
  const events: LinkEvent[] = [];
  const w = new LinkWatcher((n) => state.get(n) ?? null, (e) => events.push(e));
  return { state, events, w };
}

test('an interface absent at start is reported when it appears', () => {
  const { state, events, w } = fake();
  w.watch(['eth1']);
  w.poll();
  assert.deepEqual(events, []);
  state.set('eth1', { ifindex: 7, up: true });
  w.poll();
  assert.deepEqual(events, [{ type: 'appeared', name: 'eth1', state: { ifindex: 7, up: true } }]);
  w.poll();
  assert.equal(events.length, 1, 'no repeat while nothing changes');
});

test('deleted then recreated between two polls is a recreation (new ifindex)', () => {
  const { state, events, w } = fake();
  state.set('eth0', { ifindex: 3, up: true });
  w.watch(['eth0']);
  state.set('eth0', { ifindex: 9, up: true });
  w.poll();
  assert.deepEqual(events, [{ type: 'recreated', name: 'eth0', state: { ifindex: 9, up: true }, oldIfindex: 3 }]);
});

test('vanish, down and up are reported; unwatched names are forgotten', () => {
  const { state, events, w } = fake();
  state.set('a', { ifindex: 2, up: true });
  state.set('b', { ifindex: 3, up: true });
  w.watch(['a', 'b']);
  state.set('a', { ifindex: 2, up: false });
  state.delete('b');
  w.poll();
  assert.deepEqual(events.map((e) => `${e.type} ${e.name}`), ['down a', 'vanished b']);
  state.set('a', { ifindex: 2, up: true });
  w.poll();
  assert.equal(events[2]!.type, 'up');
  w.watch(['b']);
  state.set('a', { ifindex: 5, up: true });
  w.poll();
  assert.equal(events.length, 3, 'a is no longer watched');
});

test('the sysfs reader sees loopback and not a missing name', () => {
  const lo = sysfsLinkReader('lo');
  assert.ok(lo && lo.ifindex >= 1 && lo.up);
  assert.equal(sysfsLinkReader('np-no-such-if'), null);
});

test('ip monitor lines: name without the veth peer, UP flag (not LOWER_UP), deletions', () => {
  assert.deepEqual(parseMonitorLine('3: rt0@if2: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN group default \\    link/ether 02:00:5e:00:53:01 brd ff:ff:ff:ff:ff:ff link-netns x'),
    { name: 'rt0', deleted: false, up: false });
  assert.deepEqual(parseMonitorLine('3: rt0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP'), { name: 'rt0', deleted: false, up: true });
  assert.deepEqual(parseMonitorLine('2: eth0: <NO-CARRIER,BROADCAST,MULTICAST,LOWER_UP> mtu 1500'), { name: 'eth0', deleted: false, up: false });
  assert.deepEqual(parseMonitorLine('Deleted 3: rt0@if2: <BROADCAST,MULTICAST,UP> mtu 1500'), { name: 'rt0', deleted: true, up: true });
  assert.equal(parseMonitorLine('    link/ether 02:00:5e:00:53:01'), null);
});
