import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelLinkReader, LinkWatcher, type LinkEvent, type LinkState } from '../../src/daemon/links';

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

test('the kernel reader maps rtnetlink links: ifindex and IFF_UP, null for an unknown name', () => {
  const links = new Map([['eth0', { index: 4, name: 'eth0', up: false, lowerUp: false, master: 0, kind: undefined, vrfTable: undefined }]]);
  const read = kernelLinkReader({ link: (n) => links.get(n) });
  assert.deepEqual(read('eth0'), { ifindex: 4, up: false });
  assert.equal(read('np-no-such-if'), null);
});
