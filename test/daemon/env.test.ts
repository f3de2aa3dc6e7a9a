import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Family, parseIp4, parseIp6, type Ip4, type Ip6 } from '../../src/net/addr';
import { HostEnvironment, type KernelSource } from '../../src/daemon/env';
import type { KernelAddrs, KernelLink } from '../../src/netlink/kernel';

function link(index: number, name: string, master = 0, kind?: string): KernelLink {
  return { index, name, up: true, lowerUp: true, master, kind, vrfTable: kind === 'vrf' ? 10 : undefined };
}

function fakeKernel(): KernelSource & { asked: [Family, string, number][]; addrs: Map<number, KernelAddrs> } {
  const links = new Map([['clients', link(3, 'clients', 9)], ['uplink', link(4, 'uplink')], ['vrf-x', link(9, 'vrf-x', 0, 'vrf')]]);
  const asked: [Family, string, number][] = [];
  return {
    asked,
    addrs: new Map([[3, { v4: [parseIp4('198.51.100.1')!], v6: [parseIp6('2001:db8:1::1')!, parseIp6('fe80::1')!] }]]),
    link: (n) => links.get(n),
    vrfOf: (n) => {
      const l = links.get(n);
      return l && l.master ? l.master : 0;
    },
    routeInterface: (f: Family, a: Ip4 | Ip6, vrf: number) => {
      asked.push([f, typeof a === 'number' ? String(a) : [...a].join(','), vrf]);
      return 'uplink';
    },
  };
}

const slot = (name: string) => ({ name, linkLocal: new Uint32Array(4) }) as never;

test('own addresses and the link-local source come from the kernel state, per interface', () => {
  const k = fakeKernel();
  const env = new HostEnvironment(k);
  env.slots = [slot('clients'), slot('uplink'), slot('np-absent0')];
  env.refreshAddresses();
  assert.equal(env.isOwnIp4(0, parseIp4('198.51.100.1')!), true);
  assert.equal(env.isOwnIp4(0, parseIp4('198.51.100.2')!), false);
  assert.equal(env.isOwnIp6(0, parseIp6('2001:db8:1::1')!), true);
  assert.equal(env.sourceIp4(0), parseIp4('198.51.100.1'));
  const out = new Uint32Array(4);
  assert.equal(env.sourceIp6(0, out), true);
  assert.deepEqual([...out], [...parseIp6('fe80::1')!]);
  assert.equal(env.sourceIp4(1), 0, 'uplink has no address');
  assert.equal(env.isOwnIp4(2, parseIp4('198.51.100.1')!), false, 'absent interface owns nothing');
  // An address event: refreshAddresses picks it up.
  k.addrs.get(3)!.v4 = [];
  env.refreshAddresses();
  assert.equal(env.isOwnIp4(0, parseIp4('198.51.100.1')!), false);
});

test('route lookups go through the VRF of the receiving interface', () => {
  const k = fakeKernel();
  const env = new HostEnvironment(k);
  env.slots = [slot('clients'), slot('uplink')];
  env.refreshAddresses();
  assert.equal(env.routeInterface(Family.V4, parseIp4('203.0.113.5')!, 0), 'uplink');
  assert.equal(env.routeInterface(Family.V4, parseIp4('203.0.113.5')!, 1), 'uplink');
  assert.equal(env.routeInterface(Family.V4, parseIp4('203.0.113.5')!), 'uplink');
  assert.deepEqual(k.asked.map((a) => a[2]), [9, 0, 0], 'clients is enslaved to vrf-x (ifindex 9)');
});

test('without a kernel source nothing is owned and nothing routes', () => {
  const env = new HostEnvironment(null);
  env.slots = [slot('lo')];
  env.refreshAddresses();
  assert.equal(env.isOwnIp4(0, parseIp4('127.0.0.1')!), false);
  assert.equal(env.routeInterface(Family.V4, parseIp4('192.0.2.1')!, 0), undefined);
});

