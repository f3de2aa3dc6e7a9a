// `table N` / `vrf NAME` without a kernel: the rule message's bytes, and the scope the host
// environment hands the route cache for each interface setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostEnvironment, type KernelSource } from '../../src/daemon/env';
import { Family, parseIp4, type Ip4, type Ip6 } from '../../src/net/addr';
import * as C from '../../src/netlink/constants';
import { parseMessages } from '../../src/netlink/message';
import { buildTableRule, TABLE_MARK_BASE } from '../../src/netlink/tables';

test('the rule message: fib_rule_hdr then priority, fwmark, mask and table', () => {
  const m = buildTableRule(C.RTM_NEWRULE, 7, Family.V6, TABLE_MARK_BASE + 1, 1000, 1);
  const dv = new DataView(m.buffer);
  assert.equal(dv.getUint16(4, true), C.RTM_NEWRULE);
  assert.equal(dv.getUint16(6, true), C.NLM_F_REQUEST | C.NLM_F_ACK | C.NLM_F_CREATE | C.NLM_F_EXCL);
  assert.equal(m[16], C.AF_INET6);
  assert.equal(m[16 + 4], 0, 'a table >= 256 only in FRA_TABLE');
  assert.equal(m[16 + 7], C.FR_ACT_TO_TBL);
  const attrs: Record<number, number> = {};
  for (let o = 28; o < m.length; o += 8) attrs[dv.getUint16(o + 2, true)] = dv.getUint32(o + 4, true);
  assert.deepEqual(attrs, { [C.FRA_PRIORITY]: 1, [C.FRA_FWMARK]: 0x4e500001, [C.FRA_FWMASK]: 0xffffffff, [C.FRA_TABLE]: 1000 });
  const u = buildTableRule(C.RTM_DELRULE, 8, Family.V4, TABLE_MARK_BASE + 1, 0, 2);
  assert.equal(u[16 + 7], C.FR_ACT_UNREACHABLE);
  assert.equal(new DataView(u.buffer).getUint16(6, true), C.NLM_F_REQUEST | C.NLM_F_ACK);
  assert.equal(parseMessages(u).length, 1);
});

test('the environment passes the table scope, the named VRF, or nothing while either is missing', () => {
  const asked: number[] = [];
  let scope = NaN;
  const k: KernelSource = {
    addrs: new Map(),
    link: (n) => (n === 'blue' ? { index: 9, name: 'blue', up: true, lowerUp: true, master: 0, kind: 'vrf', vrfTable: 10 } : undefined),
    vrfOf: () => 0,
    routeInterface: (_f: Family, _a: Ip4 | Ip6, s: number) => { asked.push(s); return 'd1'; },
    tableScope: () => scope,
  };
  const env = new HostEnvironment(k);
  env.slots = ['a', 'b', 'c', 'd'].map((name) => ({ name, linkLocal: new Uint32Array(4) })) as never;
  env.routeSettings = [{ table: 100 }, { vrf: 'blue' }, { vrf: 'red' }, {}];
  env.refreshAddresses();
  const t = parseIp4('203.0.113.5')!;
  assert.equal(env.routeInterface(Family.V4, t, 0), undefined, 'table rules not in yet: no answer, not main');
  scope = -1;
  env.refreshAddresses();
  assert.equal(env.routeInterface(Family.V4, t, 0), 'd1');
  assert.equal(env.routeInterface(Family.V4, t, 1), 'd1');
  assert.equal(env.routeInterface(Family.V4, t, 2), undefined, 'no VRF named red');
  assert.equal(env.routeInterface(Family.V4, t, 3), 'd1');
  assert.deepEqual(asked, [-1, 9, 0]);
});
