// KernelState against a real kernel in a namespace (needs root): `route` answers as
// `ip route get` would for ECMP, a policy rule and a VRF; route changes, links and addresses
// are followed by events; an overrun (ENOBUFS) is survived without an unanswered lookup.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Family, formatIp4, formatIp6, parseIp4, parseIp6 } from '../../src/net/addr';
import { KernelState } from '../../src/netlink/kernel';
import { Lab, needsNetns, waitFor } from '../helpers/netns';

const skip = needsNetns();
let lab: Lab;
let ns: string;
let k: KernelState;

const ip = (...args: string[]): string => lab.exec(ns, 'ip', args);
/** The device `ip route get` names for a target (through `vrf` when given). */
function ipRouteGet(target: string, vrf?: string): string | undefined {
  const out = ip('route', 'get', ...(vrf ? ['vrf', vrf] : []), target);
  return /\bdev (\S+)/.exec(out)?.[1];
}
/** Asks until the cache answers (the first lookup of a target only starts the question). */
async function answer(target: string, vrf = 0): Promise<string | undefined> {
  const a = parseIp4(target)!;
  k.routeInterface(Family.V4, a, vrf);
  await waitFor(() => k.routes.entries().some((e) => e.v4 === a && e.oif === vrf && e.out >= 0 && e.fresh), 1000, 2);
  return k.routeInterface(Family.V4, a, vrf);
}

before(async () => {
  if (skip) return;
  lab = new Lab('nlk');
  ns = lab.netns('r');
  for (const i of [0, 1, 2]) {
    ip('link', 'add', `d${i}`, 'type', 'veth', 'peer', 'name', `p${i}`);
    ip('link', 'set', `d${i}`, 'up');
    ip('link', 'set', `p${i}`, 'up');
  }
  ip('addr', 'add', '192.0.2.1/24', 'dev', 'd0');
  ip('addr', 'add', '198.51.100.1/24', 'dev', 'd1');
  ip('route', 'add', '203.0.113.0/24', 'nexthop', 'via', '192.0.2.2', 'dev', 'd0', 'nexthop', 'via', '198.51.100.2', 'dev', 'd1');
  k = new KernelState({ netns: lab.nsPath(ns) });
  await k.start();
});

after(() => {
  k?.stop();
  lab?.destroy();
});

test('the initial dump holds the links and addresses ip shows', { skip }, () => {
  const d0 = k.link('d0');
  assert.ok(d0 && d0.up && d0.kind === 'veth');
  assert.equal(d0.index, Number(lab.exec(ns, 'cat', ['/sys/class/net/d0/ifindex'])));
  assert.deepEqual(k.addrs.get(d0.index)!.v4.map(formatIp4), ['192.0.2.1']);
});

test('ECMP: a prefix over two next hops answers with the path ip route get picks', { skip }, async () => {
  const first = k.routeInterface(Family.V4, parseIp4('203.0.113.5')!, 0);
  assert.equal(first, undefined, 'first sight of a target: asked, not yet known');
  const seen = new Set<string>();
  for (let i = 1; i < 40; i += 3) {
    const t = `203.0.113.${i}`;
    const got = await answer(t);
    assert.equal(got, ipRouteGet(t), t);
    seen.add(got!);
  }
  assert.ok([...seen].every((d) => d === 'd0' || d === 'd1'));
});

test('IPv6 ECMP: the same, for targets in 2001:db8:5::/64', { skip }, async () => {
  ip('-6', 'addr', 'add', '2001:db8:1::1/64', 'dev', 'd0', 'nodad');
  ip('-6', 'addr', 'add', '2001:db8:2::1/64', 'dev', 'd1', 'nodad');
  ip('-6', 'route', 'add', '2001:db8:5::/64', 'nexthop', 'via', '2001:db8:1::2', 'dev', 'd0', 'nexthop', 'via', '2001:db8:2::2', 'dev', 'd1');
  for (let i = 1; i < 30; i += 3) {
    const t = `2001:db8:5::${i.toString(16)}`;
    const a = parseIp6(t)!;
    k.routeInterface(Family.V6, a, 0);
    await waitFor(() => k.routes.entries().some((e) => e.v6 !== null && formatIp6(e.v6) === t && e.out >= 0 && e.fresh), 1000, 2);
    assert.equal(k.routeInterface(Family.V6, a, 0), /\bdev (\S+)/.exec(ip('-6', 'route', 'get', t))?.[1], t);
  }
});

test('a policy rule sends a target to table 100, as ip route get says', { skip }, async () => {
  ip('route', 'add', '203.0.113.128/25', 'dev', 'd2', 'table', '100');
  ip('rule', 'add', 'to', '203.0.113.128/25', 'table', '100', 'pref', '100');
  assert.equal(ipRouteGet('203.0.113.200'), 'd2');
  assert.equal(await answer('203.0.113.200'), 'd2');
  const e = k.routes.entries().find((x) => x.v4 === parseIp4('203.0.113.200'));
  assert.equal(e?.table, 100);
});

test('a route change is followed within 100 ms', { skip }, async (tc) => {
  const t = parseIp4('203.0.113.200')!;
  assert.equal(await answer('203.0.113.200'), 'd2');
  const t0 = performance.now();
  ip('route', 'replace', '203.0.113.128/25', 'dev', 'd0', 'table', '100');
  const ok = await waitFor(() => k.routeInterface(Family.V4, t, 0) === 'd0', 1000, 1);
  const ms = performance.now() - t0;
  assert.ok(ok, 'followed');
  assert.ok(ms < 100, `followed in ${ms.toFixed(1)} ms (including the ip command)`);
  tc.diagnostic(`route change followed in ${ms.toFixed(1)} ms (including the ip command)`);
  // Without the rule the main table's ECMP route decides again (table 254).
  const events = k.counts.routeEvents;
  ip('rule', 'del', 'pref', '100');
  const fresh = () => k.routes.entries().find((e) => e.v4 === t && e.oif === 0 && e.fresh && e.table === 254);
  assert.ok(await waitFor(() => k.counts.routeEvents > events && fresh() !== undefined, 1000, 1), 'rule removal followed');
  assert.equal(k.routeInterface(Family.V4, t, 0), ipRouteGet('203.0.113.200'));
});

test('a VRF: the lookup goes to the VRF table of the receiving interface', { skip }, async (t) => {
  const made = lab.exec(ns, 'ip', ['link', 'add', 'vrf-x', 'type', 'vrf', 'table', '10'], { allowFail: true });
  if (!k.link('vrf-x') && !(await waitFor(() => k.link('vrf-x') !== undefined, 300))) {
    t.skip(`no VRF support in this kernel (ip link add type vrf failed${made ? '' : ': vrf module missing'})`);
    return;
  }
  ip('link', 'set', 'vrf-x', 'up');
  ip('link', 'set', 'd2', 'master', 'vrf-x');
  ip('route', 'add', '203.0.113.0/24', 'dev', 'd2', 'table', '10');
  await waitFor(() => k.vrfOf('d2') !== 0, 500);
  const vrf = k.vrfOf('d2');
  assert.equal(vrf, k.link('vrf-x')!.index);
  assert.equal(await answer('203.0.113.5', vrf), ipRouteGet('203.0.113.5', 'vrf-x'));
  assert.equal(await answer('203.0.113.5', vrf), 'd2');
});

test('link down/up and address add/remove arrive as events', { skip }, async () => {
  const changes: string[] = [];
  k.onChange = (w) => changes.push(w);
  ip('link', 'set', 'd1', 'down');
  assert.ok(await waitFor(() => k.link('d1')?.up === false, 500));
  ip('link', 'set', 'd1', 'up');
  assert.ok(await waitFor(() => k.link('d1')?.up === true, 500));
  const d0 = k.link('d0')!.index;
  const has = () => k.addrs.get(d0)!.v4.includes(parseIp4('192.0.2.99')!);
  ip('addr', 'add', '192.0.2.99/32', 'dev', 'd0');
  assert.ok(await waitFor(has, 500));
  ip('addr', 'del', '192.0.2.99/32', 'dev', 'd0');
  assert.ok(await waitFor(() => !has(), 500));
  assert.ok(changes.includes('links') && changes.includes('addresses'));
  k.onChange = () => {};
});

test('ENOBUFS after a burst of route events: re-dumped, every answer re-asked, no lookup unanswered', { skip }, async () => {
  // A small receive buffer and a blocked loop: 3000 route events cannot all fit.
  const small = new KernelState({ netns: lab.nsPath(ns), rcvbuf: 4096 });
  await small.start();
  try {
    const tgt = parseIp4('203.0.113.5')!;
    small.routeInterface(Family.V4, tgt, 0);
    assert.ok(await waitFor(() => small.routeInterface(Family.V4, tgt, 0) !== undefined, 1000, 2));
    const before = small.routeInterface(Family.V4, tgt, 0);
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(`route add 2001:db8:ff::${i.toString(16)}/128 dev d0 table 200`);
    lines.push('addr add 2001:db8:1::98/128 dev d0');
    lab.exec(ns, 'ip', ['-6', '-batch', '-'], { input: lines.join('\n') + '\n' });
    let unanswered = 0;
    const ok = await waitFor(() => {
      if (small.routeInterface(Family.V4, tgt, 0) === undefined) unanswered++;
      return small.counts.resyncs > 0 && small.addrs.get(small.link('d0')!.index)!.v6.some((a) => formatIp6(a) === '2001:db8:1::98');
    }, 3000, 1);
    assert.ok(small.socket!.counts.overruns >= 1, 'the kernel reported ENOBUFS');
    assert.ok(ok, 'resynchronised: the address added in the burst is known');
    assert.equal(unanswered, 0, 'the cached answer kept answering during the resync');
    assert.equal(small.routeInterface(Family.V4, tgt, 0), before);
  } finally {
    small.stop();
    ip('-6', 'route', 'flush', 'table', '200');
    ip('-6', 'addr', 'del', '2001:db8:1::98/128', 'dev', 'd0');
  }
});
