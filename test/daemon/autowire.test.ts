// autowire.ts against a fake rtnetlink requester: what is sent for add, remove, stop and the
// start-up flush, and that a route someone else holds (EEXIST) is never recorded as ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Autowire, type RouteRequester } from '../../src/daemon/autowire';
import type { Logger } from '../../src/daemon/log';
import { Family, parseIp4, parseIp6 } from '../../src/net/addr';
import * as C from '../../src/netlink/constants';
import { buildMessage, parseMessages, parseRoute, type NlMessage } from '../../src/netlink/message';
import { errnoError } from '../../src/netlink/socket';
import { constants } from 'node:os';

const quiet = { info() {}, warn() {}, debug() {}, error() {} } as unknown as Logger;

class FakeNetlink implements RouteRequester {
  sent: { type: number; protocol: number; dst: string; len: number; table: number }[] = [];
  dump: NlMessage[] = [];
  exists = new Set<string>();
  async request(_what: string, build: (seq: number) => Uint8Array): Promise<NlMessage[]> {
    const [m] = parseMessages(build(1));
    if (m!.type === C.RTM_GETROUTE) return m!.body[0] === C.AF_INET ? this.dump : [];
    const r = parseRoute(m!.body)!;
    const dst = r.dst ? (r.dst.family === Family.V4 ? String(r.dst.v4) : [...r.dst.v6].join(':')) : '';
    this.sent.push({ type: m!.type, protocol: r.protocol, dst, len: r.dstLen, table: r.table });
    if (m!.type === C.RTM_NEWROUTE && this.exists.has(dst)) throw errnoError(constants.errno.EEXIST, 'add');
    return [];
  }
}

function routeMsg(protocol: number, dst: number[], len: number): NlMessage {
  const fixed = new Uint8Array(12);
  fixed[0] = C.AF_INET;
  fixed[1] = len;
  fixed[4] = 254;
  fixed[5] = protocol;
  fixed[7] = C.RTN_UNICAST;
  const [m] = parseMessages(buildMessage(C.RTM_NEWROUTE, 0, 0, fixed, [[C.RTA_DST, Uint8Array.from(dst)]]));
  return m!;
}

test('autowire: add once, remove what it added, never what it did not (EEXIST), remove all at stop', async () => {
  const nl = new FakeNetlink();
  const a = new Autowire(() => nl, (name) => (name === 'lan0' ? { oif: 3, table: 254 } : undefined), quiet);
  const h = parseIp4('192.0.2.10')!;
  a.add('lan0', Family.V4, h);
  a.add('lan0', Family.V4, h);
  a.add('gone0', Family.V4, h);
  nl.exists.add(String(parseIp4('192.0.2.11')!));
  a.add('lan0', Family.V4, parseIp4('192.0.2.11')!);
  a.add('lan0', Family.V6, parseIp6('2001:db8:1::10')!);
  await a.settled();
  assert.equal(nl.sent.filter((s) => s.type === C.RTM_NEWROUTE).length, 3, 'one add per host; none for a link that is gone');
  assert.ok(nl.sent.every((s) => s.protocol === C.RTPROT_NEIGHPROXY));
  assert.equal(a.counts.existed, 1);
  assert.equal(a.size, 2, "the existing route is not ours");
  a.remove('lan0', Family.V4, parseIp4('192.0.2.11')!);
  await a.settled();
  assert.equal(nl.sent.filter((s) => s.type === C.RTM_DELROUTE).length, 0, 'no delete for a route we did not install');
  a.remove('lan0', Family.V4, h);
  await a.removeAll();
  const dels = nl.sent.filter((s) => s.type === C.RTM_DELROUTE);
  assert.equal(dels.length, 2);
  assert.ok(dels.every((s) => s.protocol === C.RTPROT_NEIGHPROXY), 'deletes carry our protocol (the kernel matches it)');
  assert.equal(a.size, 0);
});

test('autowire: the start-up flush deletes exactly the dumped routes with protocol 78, keeping their prefix length', async () => {
  const nl = new FakeNetlink();
  nl.dump = [routeMsg(78, [192, 0, 2, 10], 32), routeMsg(4 /* static */, [192, 0, 2, 11], 32), routeMsg(2, [192, 0, 2, 0], 24), routeMsg(78, [203, 0, 113, 0], 28)];
  const a = new Autowire(() => nl, () => ({ oif: 3, table: 254 }), quiet);
  assert.equal(await a.flushStale(), 2);
  assert.deepEqual(nl.sent.map((s) => [s.type, s.protocol, s.len]), [[C.RTM_DELROUTE, 78, 32], [C.RTM_DELROUTE, 78, 28]]);
});
