import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as a from '../../src/net/addr';

test('MAC text and bytes round-trip', () => {
  const mac = a.parseMac('00:0C:29:b6:43:d5')!;
  assert.equal(mac, 0x000c29b643d5);
  assert.equal(a.formatMac(mac), '00:0c:29:b6:43:d5');
  const buf = new Uint8Array(8);
  a.writeMac(buf, 1, 0xfeffffffff01);
  assert.deepEqual([...buf], [0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x01, 0]);
  assert.equal(a.readMac(buf, 1), 0xfeffffffff01);
  assert.equal(a.parseMac('00:0c:29:b6:43'), undefined);
  assert.equal(a.isMulticastMac(0x333300000001), true);
  assert.equal(a.isMulticastMac(0x020000000001), false);
});

test('IPv4 parse rejects leading zeros and out-of-range octets', () => {
  assert.equal(a.parseIp4('198.51.100.1'), 0xc6336401);
  assert.equal(a.parseIp4('198.51.100.256'), undefined);
  assert.equal(a.parseIp4('198.051.100.1'), undefined);
  assert.equal(a.formatIp4(0xc0000201), '192.0.2.1');
});

test('IPv6 parses RFC 4291 forms and prints RFC 5952', () => {
  const ip = a.parseIp6('2001:DB8:0:0:0:0:0:1')!;
  assert.deepEqual([...ip], [0x20010db8, 0, 0, 1]);
  assert.equal(a.formatIp6(ip), '2001:db8::1');
  assert.deepEqual([...a.parseIp6('::')!], [0, 0, 0, 0]);
  assert.deepEqual([...a.parseIp6('::ffff:192.0.2.1')!], [0, 0, 0xffff, 0xc0000201]);
  assert.equal(a.parseIp6('2001:db8::1::2'), undefined);
  const sn = a.solicitedNode6(a.parseIp6('2001:db8::1234:5678')!, a.newIp6());
  assert.equal(a.formatIp6(sn), 'ff02::1:ff34:5678');
  assert.equal(a.isSolicitedNode6(sn), true);
  assert.equal(a.multicastMac6(sn), 0x3333ff345678);
  assert.equal(a.isLinkLocal6(a.parseIp6('fe80::1')!), true);
  assert.equal(a.isLinkLocal6(a.parseIp6('fec0::1')!), false);
});

test('prefixes: host bits are an error, containment works in both families', () => {
  const p4 = a.parsePrefix('198.51.100.0/29');
  assert.ok(typeof p4 !== 'string');
  assert.equal(a.prefixContains(p4, a.parseIp('198.51.100.7')!), true);
  assert.equal(a.prefixContains(p4, a.parseIp('198.51.100.8')!), false);
  assert.match(a.parsePrefix('198.51.100.1/24') as string, /host bits set \(the network is 198\.51\.100\.0\/24\)/);
  assert.match(a.parsePrefix('198.51.100.0/33') as string, /prefix length '33'/);
  const p6 = a.parsePrefix('2001:db8:1::/48');
  assert.ok(typeof p6 !== 'string');
  assert.equal(a.prefixContains(p6, a.parseIp('2001:db8:1:ffff::1')!), true);
  assert.equal(a.prefixContains(p6, a.parseIp('2001:db8:2::1')!), false);
  assert.equal(a.prefixContains(p6, a.parseIp('198.51.100.1')!), false);
  const all = a.parsePrefix('0.0.0.0/0');
  assert.ok(typeof all !== 'string');
  assert.equal(a.prefixContains(all, a.parseIp('203.0.113.9')!), true);
});
