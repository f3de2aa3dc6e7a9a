// `table N` for `route` rules (src/netlink/tables.ts) against a real kernel in a namespace
// (needs root): the daemon's fwmark rules send its lookups to table N, a target N has no
// route for is unroutable (not looked up in main), IPv6 too, and stop removes the rules.
// The VRF variant needs the vrf module: test/netlink/kernel.test.ts skips it with the reason
// when the kernel has none, as this machine's does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Family, parseIp4, parseIp6, type Ip4, type Ip6 } from '../../src/net/addr';
import { KernelState } from '../../src/netlink/kernel';
import { TABLE_MARK_BASE } from '../../src/netlink/tables';
import { Lab, needsNetns, waitFor } from '../helpers/netns';

const skip = needsNetns();
let lab: Lab;
let ns: string;
let k: KernelState;
const ip = (...args: string[]): string => lab.exec(ns, 'ip', args);

async function answer(family: Family, a: Ip4 | Ip6, scope: number): Promise<string | undefined> {
  k.routeInterface(family, a, scope);
  await waitFor(() => k.routes.entries().some((e) => e.oif === scope && e.out >= 0 && e.fresh &&
    (family === Family.V4 ? e.v4 === a : e.v6 !== null && e.v6.every((w, i) => w === (a as Ip6)[i]))), 1000, 2);
  return k.routeInterface(family, a, scope);
}

before(async () => {
  if (skip) return;
  lab = new Lab('tbl');
  ns = lab.netns('r');
  for (const i of [0, 1]) {
    ip('link', 'add', `d${i}`, 'type', 'veth', 'peer', 'name', `p${i}`);
    ip('link', 'set', `d${i}`, 'up');
    ip('link', 'set', `p${i}`, 'up');
  }
  ip('route', 'add', '203.0.113.0/24', 'dev', 'd0');
  ip('route', 'add', '203.0.113.0/25', 'dev', 'd1', 'table', '100');
  ip('-6', 'route', 'add', '2001:db8:5::/64', 'dev', 'd0');
  ip('-6', 'route', 'add', '2001:db8:5::/65', 'dev', 'd1', 'table', '100');
  k = new KernelState({ netns: lab.nsPath(ns) });
  await k.start();
});

after(() => {
  k?.stop();
  lab?.destroy();
});

test('table 100: lookups go to table 100 only; main still answers without it; stop removes the rules', { skip }, async () => {
  assert.ok(Number.isNaN(k.tableScope(100)), 'no scope before the rules are in');
  await k.setTables([100]);
  const scope = k.tableScope(100);
  assert.ok(scope < 0);
  const rules = ip('rule', 'show');
  assert.match(rules, new RegExp(`^1:\\s+from all fwmark 0x${(TABLE_MARK_BASE + 1).toString(16)} lookup 100`, 'm'));
  assert.match(rules, new RegExp(`^2:\\s+from all fwmark 0x${(TABLE_MARK_BASE + 1).toString(16)} unreachable`, 'm'));
  assert.match(ip('-6', 'rule', 'show'), /fwmark 0x4e500001 lookup 100/);

  assert.equal(await answer(Family.V4, parseIp4('203.0.113.5')!, scope), 'd1', 'table 100');
  assert.equal(await answer(Family.V4, parseIp4('203.0.113.5')!, 0), 'd0', 'main, as before');
  assert.equal(await answer(Family.V4, parseIp4('203.0.113.200')!, scope), undefined, 'not in table 100: unroutable, not main');
  assert.equal(await answer(Family.V6, parseIp6('2001:db8:5::5')!, scope), 'd1');
  assert.equal(await answer(Family.V6, parseIp6('2001:db8:5::5')!, 0), 'd0');
  assert.equal(await answer(Family.V6, parseIp6('2001:db8:5:0:8000::5')!, scope), undefined);
  // A change in table 100 is followed, as in main.
  ip('route', 'replace', '203.0.113.0/25', 'dev', 'd0', 'table', '100');
  assert.ok(await waitFor(() => k.routeInterface(Family.V4, parseIp4('203.0.113.5')!, scope) === 'd0', 1000, 5), 'table change not followed');

  // Reload without the table: its rules go.
  await k.setTables([]);
  assert.doesNotMatch(ip('rule', 'show'), /fwmark 0x4e50/);
  await k.setTables([100]);
  k.stop();
  assert.ok(await waitFor(() => !/fwmark 0x4e50/.test(ip('rule', 'show')) && !/fwmark 0x4e50/.test(ip('-6', 'rule', 'show')), 2000, 20), 'rules left after stop');
});
