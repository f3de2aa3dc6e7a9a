// rtnetlink codec against bytes the kernel sent (captured with src/netlink/socket.ts from a
// namespace built as in kernel.test.ts: d0 192.0.2.1/24, d1 198.51.100.1/24, and
// `ip route add 203.0.113.0/24 nexthop via 192.0.2.2 dev d0 nexthop via 198.51.100.2 dev d1`),
// each checked against what `ip -j` printed for the same object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Family, parseIp4 } from '../../src/net/addr';
import * as C from '../../src/netlink/constants';
import {
  buildDump, buildGetRoute, buildMessage, parseAddr, parseAttrs, parseError, parseLink, parseMessages, parseNeigh, parseRoute,
} from '../../src/netlink/message';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const ip4 = (s: string): number => parseIp4(s)!;

// RTM_NEWROUTE body from a route dump. ip -j: {"dst":"203.0.113.0/24","nexthops":[
// {"gateway":"192.0.2.2","dev":"d0"},{"gateway":"198.51.100.2","dev":"d1"}]} (d0 = 3, d1 = 5)
const ECMP_ROUTE = hex(`02180000 fe030001 00000000 08000f00 fe000000 08000100 cb007100
  24000900 10000000 03000000 08000500 c0000202 10000000 05000000 08000500 c6336402`);

// RTM_NEWROUTE answering RTM_GETROUTE 203.0.113.5. ip route get: "via 198.51.100.2 dev d1 src 198.51.100.1"
const GET_REPLY = hex(`02200000 fe000001 00020000 08000f00 fe000000 08000100 cb007105 08000400 05000000
  08000700 c6336401 08000500 c6336402 08001900 00000000 24000c00 ${'00'.repeat(32)}`);

// RTM_NEWADDR body: 192.0.2.1/24 on ifindex 3, label "d0".
const ADDR = hex(`02188000 03000000 08000100 c0000201 08000200 c0000201 07000300 64300000 08000800 80000000
  14000600 ffffffff ffffffff 0e6d0600 0e6d0600`);

// RTM_NEWLINK body of d0 (ifindex 3, BROADCAST,MULTICAST,UP,LOWER_UP), cut after IFLA_IFNAME.
// (A VRF device's IFLA_LINKINFO {kind "vrf", data {table 10}} is built in its test: no VRF module here.)
const LINK = hex('00000100 03000000 43100100 00000000 07000300 64300000');

test('an ECMP route: both next hops with device and gateway (what `route` lacked with ip -j)', () => {
  const r = parseRoute(ECMP_ROUTE)!;
  assert.equal(r.family, C.AF_INET);
  assert.equal(r.dstLen, 24);
  assert.equal(r.table, C.RT_TABLE_MAIN);
  assert.equal(r.type, C.RTN_UNICAST);
  assert.deepEqual(r.dst, { family: Family.V4, v4: ip4('203.0.113.0') });
  assert.equal(r.oif, 0, 'no top-level device');
  assert.deepEqual(r.multipath, [
    { ifindex: 3, gateway: { family: Family.V4, v4: ip4('192.0.2.2') } },
    { ifindex: 5, gateway: { family: Family.V4, v4: ip4('198.51.100.2') } },
  ]);
});

test('a route-get answer: the chosen path, its table and gateway', () => {
  const r = parseRoute(GET_REPLY)!;
  assert.equal(r.dstLen, 32);
  assert.equal(r.oif, 5);
  assert.equal(r.table, 254);
  assert.deepEqual(r.gateway, { family: Family.V4, v4: ip4('198.51.100.2') });
  assert.equal(r.flags & 0x200, 0x200, 'RTM_F_CLONED');
});

test('an address: IFA_LOCAL, prefix, interface', () => {
  const a = parseAddr(ADDR)!;
  assert.equal(a.family, C.AF_INET);
  assert.equal(a.prefixLen, 24);
  assert.equal(a.index, 3);
  assert.deepEqual(a.address, { family: Family.V4, v4: ip4('192.0.2.1') });
});

test('a link: index, flags, name; master and VRF table from nested IFLA_LINKINFO', () => {
  const l = parseLink(LINK)!;
  assert.deepEqual({ index: l.index, up: (l.flags & C.IFF_UP) !== 0, lower: (l.flags & C.IFF_LOWER_UP) !== 0, name: l.name }, { index: 3, up: true, lower: true, name: 'd0' });
  assert.equal(l.master, 0);
  const info = (t: number, v: Uint8Array) => [t, v] as [number, Uint8Array];
  const vrfData = buildMessage(0, 0, 0, new Uint8Array(0), [info(C.IFLA_VRF_TABLE, hex('0a000000'))]).subarray(16);
  const linkinfo = buildMessage(0, 0, 0, new Uint8Array(0), [info(C.IFLA_INFO_KIND, hex('76726600')), info(C.IFLA_INFO_DATA | 0x8000, vrfData)]).subarray(16);
  const vrf = buildMessage(C.RTM_NEWLINK, 0, 0, LINK.subarray(0, 16), [info(C.IFLA_IFNAME, hex('7672662d7800')), info(C.IFLA_LINKINFO | 0x8000, linkinfo)]);
  const [m] = parseMessages(vrf);
  const v = parseLink(m!.body)!;
  assert.equal(v.name, 'vrf-x');
  assert.equal(v.kind, 'vrf');
  assert.equal(v.vrfTable, 10);
});

test('a neighbour: ndmsg and NDA_DST / NDA_LLADDR', () => {
  const body = hex('02000000 03000000 02000001 08000100 c0000202 0a000200 020000005301 0000');
  const n = parseNeigh(body)!;
  assert.equal(n.index, 3);
  assert.equal(n.state, 2);
  assert.deepEqual(n.dst, { family: Family.V4, v4: ip4('192.0.2.2') });
  assert.deepEqual([...n.lladdr!], [2, 0, 0, 0, 0x53, 1]);
});

test('requests: RTM_GETROUTE as the kernel accepted it, dumps with the header strict checking wants', () => {
  assert.equal(Buffer.from(buildGetRoute(7, { family: Family.V4, dst: ip4('203.0.113.5') })).toString('hex'),
    '240000001a000100070000000000000002200000000000000010000008000100cb007105');
  const vrf = buildGetRoute(8, { family: Family.V6, dst: new Uint32Array([0x20010db8, 0, 0, 1]), oif: 9 });
  const [m] = parseMessages(vrf);
  assert.equal(m!.type, C.RTM_GETROUTE);
  assert.equal(m!.flags, C.NLM_F_REQUEST);
  assert.equal(m!.body[0], C.AF_INET6);
  assert.equal(m!.body[1], 128);
  const at = parseAttrs(m!.body, 12);
  assert.equal(Buffer.from(at.get(C.RTA_DST)!).toString('hex'), '20010db8000000000000000000000001');
  assert.deepEqual([...at.get(C.RTA_OIF)!], [9, 0, 0, 0]);
  assert.equal(new DataView(m!.body.buffer, m!.body.byteOffset).getUint32(8, true), 0, 'IPv6: no flag strict checking refuses');
  for (const [type, size] of [[C.RTM_GETLINK, 16], [C.RTM_GETADDR, 8], [C.RTM_GETROUTE, 12]] as const) {
    const d = buildDump(type, 1, C.AF_UNSPEC);
    assert.equal(d.length, 16 + size);
    assert.equal(parseMessages(d)[0]!.flags, C.NLM_F_REQUEST | C.NLM_F_DUMP);
  }
});

test('NLMSG_ERROR: negative errno, 0 for an ack', () => {
  assert.equal(parseError(hex('9bffffff')), 101); // -ENETUNREACH
  assert.equal(parseError(hex('00000000')), 0);
});

test('several messages in one datagram, 4-aligned; a lying length ends the walk', () => {
  const a = buildMessage(C.RTM_NEWADDR, C.NLM_F_MULTI, 5, ADDR);
  const b = buildMessage(C.NLMSG_DONE, C.NLM_F_MULTI, 5, hex('00000000'));
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  assert.deepEqual(parseMessages(both).map((m) => [m.type, m.seq]), [[C.RTM_NEWADDR, 5], [C.NLMSG_DONE, 5]]);
  const lying = both.slice();
  new DataView(lying.buffer).setUint32(a.length, 4096, true);
  assert.equal(parseMessages(lying).length, 1);
});

test('property: no input makes a parser throw or read past its buffer', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    for (const m of parseMessages(bytes)) assert.ok(m.body.byteOffset + m.body.length <= bytes.byteOffset + bytes.length);
    parseRoute(bytes);
    parseLink(bytes);
    parseAddr(bytes);
    parseNeigh(bytes);
  }), { numRuns: 500 });
});
