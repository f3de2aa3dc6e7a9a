// `route` rules on a router with ECMP, the daemon as an operator runs it. Before rtnetlink
// the rule read `ip -j route show`, where an ECMP route has no top-level `dev`: it answered
// nothing (reason no_route). Needs root; skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientRouter, ROUTER_MAC } from '../helpers/client-router';
import { needsNetns } from '../helpers/netns';
import { DaemonProcess, kernelResolve } from './fixtures/daemon';

const skip = needsNetns();

test('route: a prefix over two next hops is answered (IPv4 and IPv6); an unreachable one is not (reason no_route)', { skip }, async (t) => {
  const { lab, client, router, config } = clientRouter(t, 'rte', {
    clientAddrs: ['192.0.2.10/24', '2001:db8:1::10/64'], routerAddrs: ['192.0.2.1/24', '2001:db8:1::1/64'],
    config: 'interface rt0\n rule 192.0.2.0/24 203.0.113.0/24 verbose route\n rule ::/0 2001:db8:5::/64 verbose route\nend\n',
  });
  const up = lab.netns('up');
  lab.veth(router, 'up0', up, 'u0');
  lab.veth(router, 'up1', up, 'u1');
  const r = (...a: string[]) => lab.exec(router, 'ip', a);
  lab.exec(client, 'ip', ['route', 'add', '203.0.113.0/24', 'dev', 'cl0']); // on-link: the client ARPs for them
  r('addr', 'add', '198.51.100.1/25', 'dev', 'up0');
  r('addr', 'add', '198.51.100.129/25', 'dev', 'up1');
  r('route', 'add', '203.0.113.0/25', 'nexthop', 'via', '198.51.100.2', 'dev', 'up0', 'nexthop', 'via', '198.51.100.130', 'dev', 'up1');
  r('route', 'add', 'unreachable', '203.0.113.128/25');
  lab.exec(client, 'ip', ['-6', 'route', 'add', '2001:db8:5::/64', 'dev', 'cl0']);
  r('-6', 'addr', 'add', '2001:db8:2::1/64', 'dev', 'up0', 'nodad');
  r('-6', 'addr', 'add', '2001:db8:3::1/64', 'dev', 'up1', 'nodad');
  r('-6', 'route', 'add', '2001:db8:5::/64', 'nexthop', 'via', '2001:db8:2::2', 'dev', 'up0', 'nexthop', 'via', '2001:db8:3::2', 'dev', 'up1');
  const d = new DaemonProcess(lab, router, ['--config', config, '--no-control', '--tick', '50']);
  t.after(() => d.signal('SIGTERM'));
  await d.started();
  // The first request for a target starts the kernel lookup; the client's retransmission is answered.
  assert.equal(await kernelResolve(lab, client, 'cl0', '203.0.113.9', 4000), ROUTER_MAC, d.describe());
  assert.equal(await kernelResolve(lab, client, 'cl0', '2001:db8:5::9', 4000), ROUTER_MAC, `IPv6 ECMP\n${d.describe()}`);
  assert.equal(await kernelResolve(lab, client, 'cl0', '203.0.113.200', 2500), undefined, 'unreachable: not answered');
  const silent = d.logs.find((l) => l.reason === 'no_route' && JSON.stringify(l).includes('203.0.113.200'));
  assert.ok(silent, `a no_route decision for the unreachable target\n${d.describe()}`);
  // A route change moves the answer: the prefix routed back out of rt0 is not proxied.
  r('route', 'replace', '203.0.113.0/25', 'dev', 'rt0');
  lab.exec(client, 'ip', ['neigh', 'flush', 'dev', 'cl0']);
  assert.equal(await kernelResolve(lab, client, 'cl0', '203.0.113.9', 2500), undefined, 'same interface: silent');
  assert.ok(d.logs.some((l) => l.reason === 'route_same_interface'), d.describe());
});
