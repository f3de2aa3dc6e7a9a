// Host-route messages of autowire, compared to the byte (as `ip route add 192.0.2.10/32 dev
// if3 proto 78` sends them), and the REACHABLE neighbour table fed by RTM_NEWNEIGH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Family, parseIp4, parseIp6 } from '../../src/net/addr';
import * as C from '../../src/netlink/constants';
import { buildAddHostRoute, buildDelHostRoute } from '../../src/netlink/hostroute';
import { buildMessage, parseMessages, parseRoute } from '../../src/netlink/message';
import { NeighbourTable } from '../../src/netlink/neighbours';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('RTM_NEWROUTE for an IPv4 host route: rtmsg, RTA_DST, RTA_TABLE, RTA_OIF, proto 78, create|excl|ack', () => {
  const m = buildAddHostRoute(7, { family: Family.V4, dst: parseIp4('192.0.2.10')!, oif: 3, table: 254 });
  assert.equal(hex(m), [
    '34000000', '1800', '0506', '07000000', '00000000', // len 52, RTM_NEWROUTE, REQUEST|ACK|EXCL|CREATE, seq 7, pid 0
    '02', '20', '00', '00', 'fe', '4e', 'fd', '01', '00000000', // AF_INET /32, table main, proto 78, scope link, unicast
    '0800', '0100', 'c000020a', // RTA_DST 192.0.2.10
    '0800', '0f00', 'fe000000', // RTA_TABLE 254
    '0800', '0400', '03000000', // RTA_OIF 3
  ].join(''));
  const [msg] = parseMessages(m);
  const r = parseRoute(msg!.body)!;
  assert.equal(r.protocol, C.RTPROT_NEIGHPROXY);
  assert.equal(r.dstLen, 32);
  assert.equal(r.oif, 3);
});

test('RTM_DELROUTE for an IPv6 host route in a VRF table past 255: compat table byte, RTA_TABLE holds it, proto 78', () => {
  const m = buildDelHostRoute(9, { family: Family.V6, dst: parseIp6('2001:db8:1::10')!, oif: 4, table: 1001 });
  const [msg] = parseMessages(m);
  assert.equal(msg!.type, C.RTM_DELROUTE);
  assert.equal(msg!.flags, C.NLM_F_REQUEST | C.NLM_F_ACK, 'no create/excl on delete');
  const b = msg!.body;
  assert.deepEqual([...b.subarray(0, 8)], [C.AF_INET6, 128, 0, 0, 252, 78, C.RT_SCOPE_UNIVERSE, C.RTN_UNICAST]);
  const r = parseRoute(b)!;
  assert.equal(r.table, 1001);
  assert.equal(r.dst && r.dst.family === Family.V6 ? hex(new Uint8Array(r.dst.v6.buffer)) : '', hex(new Uint8Array(parseIp6('2001:db8:1::10')!.buffer)));
  // The prefix length of a dumped route is kept when flushing it.
  assert.equal(parseMessages(buildDelHostRoute(1, { family: Family.V4, dst: parseIp4('192.0.2.0')!, oif: 0, table: 254 }, 24))[0]!.body[1], 24);
});

function neigh(type: number, ifindex: number, state: number, dst: number[]): Uint8Array {
  const fixed = new Uint8Array(12);
  fixed[0] = dst.length === 4 ? C.AF_INET : C.AF_INET6;
  new DataView(fixed.buffer).setInt32(4, ifindex, true);
  new DataView(fixed.buffer).setUint16(8, state, true);
  return buildMessage(type, 0, 0, fixed, [[C.NDA_DST, Uint8Array.from(dst)]]);
}

test('neighbour table: REACHABLE entries kept per interface; other states and deletes drop them', () => {
  const t = new NeighbourTable();
  const apply = (b: Uint8Array) => { for (const m of parseMessages(b)) t.apply(m); };
  const a = parseIp4('192.0.2.10')!;
  apply(neigh(C.RTM_NEWNEIGH, 3, C.NUD_REACHABLE, [192, 0, 2, 10]));
  assert.equal(t.isReachable(3, Family.V4, a), true);
  assert.equal(t.isReachable(4, Family.V4, a), false, 'another interface');
  apply(neigh(C.RTM_NEWNEIGH, 3, 0x04 /* STALE */, [192, 0, 2, 10]));
  assert.equal(t.isReachable(3, Family.V4, a), false, 'stale is not proof');
  const v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];
  apply(neigh(C.RTM_NEWNEIGH, 3, C.NUD_REACHABLE, v6));
  assert.equal(t.isReachable(3, Family.V6, parseIp6('2001:db8:1::10')!), true);
  apply(neigh(C.RTM_DELNEIGH, 3, C.NUD_REACHABLE, v6));
  assert.equal(t.size, 0);
});
