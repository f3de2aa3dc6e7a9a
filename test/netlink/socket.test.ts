// NetlinkSocket and RouteCache logic over a fake native surface: no root, no kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Family } from '../../src/net/addr';
import * as C from '../../src/netlink/constants';
import { buildMessage, parseMessages, type NlMessage } from '../../src/netlink/message';
import { RouteCache, type RouteAnswer } from '../../src/netlink/routes';
import { NetlinkSocket, type NetlinkBinding, type NetlinkError, type NetlinkHandle } from '../../src/netlink/socket';

const PORTID = 4242;

function fakeNative() {
  const sent: Uint8Array[] = [];
  let deliver: ((n: number, e: NetlinkError | null) => void) | null = null;
  let buf: Uint8Array | null = null;
  let lengths: Uint32Array | null = null;
  const native: NetlinkBinding = {
    nl_open: () => ({ handle: {} as NetlinkHandle, portid: PORTID }),
    nl_send: (_h, bytes) => { sent.push(bytes.slice()); },
    nl_start: (_h, b, l, cb) => { buf = b; lengths = l; deliver = cb; },
    nl_close: () => {},
  };
  /** Delivers datagrams as one batch, as native/netlink.cc does. */
  const push = (dgrams: Uint8Array[], err: NetlinkError | null = null) => {
    let off = 0;
    dgrams.forEach((d, i) => { buf!.set(d, off); lengths![i] = d.length; off += (d.length + 3) & ~3; });
    deliver!(dgrams.length, err);
  };
  return { native, sent, push };
}

function reply(type: number, flags: number, seq: number, body: Uint8Array, pid = PORTID): Uint8Array {
  const m = buildMessage(type, flags, seq, body);
  new DataView(m.buffer).setUint32(12, pid, true);
  return m;
}
const errBody = (errno: number) => { const b = new Uint8Array(20); new DataView(b.buffer).setInt32(0, -errno, true); return b; };
const tick = () => new Promise((r) => setImmediate(r));

function open() {
  const f = fakeNative();
  const events: NlMessage[] = [];
  let overruns = 0;
  const s = new NetlinkSocket({ groups: [1] }, { onEvent: (m) => events.push({ ...m, body: m.body.slice() }), onOverrun: () => { overruns++; }, onError: () => {} }, f.native);
  return { ...f, s, events, overruns: () => overruns };
}

test('requests made in one turn leave in one sendto; replies pair by sequence; a dump collects to DONE', async () => {
  const { s, sent, push } = open();
  const dump = s.request('dump', (seq) => buildMessage(C.RTM_GETLINK, C.NLM_F_REQUEST | C.NLM_F_DUMP, seq, new Uint8Array(16)));
  const get = s.request('get', (seq) => buildMessage(C.RTM_GETROUTE, C.NLM_F_REQUEST, seq, new Uint8Array(12)));
  await Promise.resolve();
  assert.equal(sent.length, 1, 'one datagram');
  const seqs = parseMessages(sent[0]!).map((m) => m.seq);
  assert.equal(seqs.length, 2);
  push([reply(C.RTM_NEWLINK, C.NLM_F_MULTI, seqs[0]!, new Uint8Array(16)), reply(C.RTM_NEWROUTE, 0, seqs[1]!, new Uint8Array(12))]);
  assert.equal((await get).length, 1);
  push([reply(C.RTM_NEWLINK, C.NLM_F_MULTI, seqs[0]!, new Uint8Array(16)), reply(C.NLMSG_DONE, C.NLM_F_MULTI, seqs[0]!, new Uint8Array(4))]);
  assert.equal((await dump).length, 2);
  s.close();
});

test('NLMSG_ERROR rejects with the errno name; messages with sequence 0 are events', async () => {
  const { s, sent, push, events } = open();
  const p = s.request('route get', (seq) => buildMessage(C.RTM_GETROUTE, C.NLM_F_REQUEST, seq, new Uint8Array(12)));
  await Promise.resolve();
  const seq = parseMessages(sent[0]!)[0]!.seq;
  push([reply(C.RTM_NEWROUTE, 0, 0, new Uint8Array(12), 0), reply(C.NLMSG_ERROR, 0, seq, errBody(101))]);
  await assert.rejects(p, (e: NetlinkError) => e.code === 'ENETUNREACH' && /route get/.test(e.message));
  assert.deepEqual(events.map((e) => e.type), [C.RTM_NEWROUTE]);
  s.close();
});

test('ENOBUFS: the batch before it is handled, requests in flight fail with ENOBUFS, the owner hears of it', async () => {
  const t = open();
  const p = t.s.request('get', (seq) => buildMessage(C.RTM_GETROUTE, C.NLM_F_REQUEST, seq, new Uint8Array(12)));
  await Promise.resolve();
  t.push([reply(C.RTM_NEWADDR, 0, 0, new Uint8Array(8), 0)], Object.assign(new Error('recv: ENOBUFS'), { code: 'ENOBUFS' }));
  await assert.rejects(p, (e: NetlinkError) => e.code === 'ENOBUFS');
  assert.equal(t.events.length, 1);
  assert.equal(t.overruns(), 1);
  assert.equal(t.s.counts.overruns, 1);
  t.s.close();
  await assert.rejects(t.s.request('x', () => new Uint8Array(16)), (e: NetlinkError) => e.code === 'ERR_NETLINK_CLOSED');
});

test('route cache: a miss answers -1 and asks; then the answer; a route event re-asks and keeps the old answer meanwhile', async () => {
  const asks: ((a: RouteAnswer) => void)[] = [];
  const c = new RouteCache(() => new Promise((r) => asks.push(r)), 2);
  assert.equal(c.lookup(Family.V4, 0xcb007105, 0), -1);
  assert.equal(c.lookup(Family.V4, 0xcb007105, 0), -1, 'still in flight: not asked twice');
  assert.equal(asks.length, 1);
  asks[0]!({ oif: 5, table: 254 });
  await tick();
  assert.equal(c.lookup(Family.V4, 0xcb007105, 0), 5);
  assert.equal(c.lookup(Family.V4, 0xcb007105, 9), -1, 'another VRF is another target');
  c.invalidate();
  assert.equal(c.lookup(Family.V4, 0xcb007105, 0), 5, 'stale answer while revalidating');
  await tick();
  assert.equal(asks.length, 3);
  asks[2]!({ oif: 3, table: 254 });
  await tick();
  assert.equal(c.lookup(Family.V4, 0xcb007105, 0), 3);
  // Bounded: a third target pushes the oldest out.
  c.lookup(Family.V6, new Uint32Array([0x20010db8, 0, 0, 1]), 0);
  assert.equal(c.stats().size, 3, 'bound is per family');
  c.lookup(Family.V4, 0xcb007106, 0);
  assert.equal(c.stats().size, 3);
  const s = c.stats();
  assert.ok(s.hits >= 2 && s.misses === 4 && s.stale >= 1, JSON.stringify(s));
});

test('route cache: an answer that predates a route event is asked again; a failed ask is retried on next use', async () => {
  const asks: [(a: RouteAnswer) => void, (e: Error) => void][] = [];
  const c = new RouteCache(() => new Promise((res, rej) => asks.push([res, rej])));
  c.lookup(Family.V4, 1, 0);
  c.invalidate(); // while the first ask is in flight
  asks[0]![0]({ oif: 2, table: 254 });
  await tick();
  assert.equal(asks.length, 2, 'asked again');
  asks[1]![1](new Error('ENOBUFS'));
  await tick();
  assert.equal(c.lookup(Family.V4, 1, 0), 2, 'the last answer stands');
  assert.equal(asks.length, 3, 'and is asked again');
});
