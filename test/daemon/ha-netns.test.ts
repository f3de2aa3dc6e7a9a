// keepalived pair in namespaces (issue 13 item 2): neighproxy on both routers with the same
// file and `ha track` of the VIP. Stopping the master's keepalived moves the VIP; within 1 s
// of the new master's notify the client's neighbour entries for a proxied IPv4 and IPv6
// address hold the new router's MAC (the takeover burst), and the standby answered nothing
// while standby (counted as `standby`). Starting it again swaps the roles back the same way.
// Needs root and keepalived (a missing keepalived fails: .ci/run installs it). Bounded: every
// wait has a limit; keepalived and the namespaces go even on failure.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { needsNetns } from '../helpers/netns';
import { kernelResolve } from './fixtures/daemon';
import { answeredWithheld, keepalivedMissing, PROXIED4, PROXIED6, ROUTER_MAC, VrrpPair, type Router } from './fixtures/vrrp';

const skip = needsNetns();

/** Failover to `to`: ms from the VIP's arrival on `to` to the client's updated entries. */
async function failover(pair: VrrpPair, to: Router, act: () => Promise<void>): Promise<{ v4: number; v6: number }> {
  const mark = pair.events().length;
  const t0 = Date.now();
  await act();
  const masterAt = await pair.master(to, 15_000, mark);
  const mac = ROUTER_MAC[to];
  const ok = async (addr: string) => {
    let at = 0;
    for (let i = 0; i < 150 && !(at = pair.neighAt(addr, mac, t0)); i++) await new Promise((r) => setTimeout(r, 20));
    return at;
  };
  const [a4, a6] = [await ok(PROXIED4), await ok(PROXIED6)];
  assert.ok(a4 > 0, `client's ${PROXIED4} never held ${mac}: ${JSON.stringify(pair.neigh.slice(-6))}`);
  assert.ok(a6 > 0, `client's ${PROXIED6} never held ${mac}: ${JSON.stringify(pair.neigh.slice(-6))}`);
  // The takeover: keepalived adding the VIP (ip -ts monitor, same clock as the client's), else its notify.
  const takeoverAt = pair.vipAt(to, t0) || masterAt;
  return { v4: a4 - takeoverAt, v6: a6 - takeoverAt };
}

describe('HA: a keepalived pair', { skip }, () => {
  test('stop the master: the backup takes over and the client follows within 1 s; start it: back', async (t) => {
    const missing = keepalivedMissing();
    assert.equal(missing, undefined, missing);
    const pair = new VrrpPair('ha');
    t.after(() => pair.destroy());
    const d1 = await pair.startDaemon('r1');
    const d2 = await pair.startDaemon('r2');
    // Both start standby: the VIP is nowhere yet.
    assert.equal((await pair.stats('r1')).ha.role, 'standby');
    pair.startKeepalived('r1');
    pair.startKeepalived('r2');
    await pair.master('r1', 15_000);
    await d1.waitLog((l) => l.event === 'ha_role' && l.role === 'active', 5000);
    assert.equal((await pair.stats('r2')).ha.role, 'standby');

    pair.watchClient();
    pair.watchVip();
    const dump: string[] = [];
    if (process.env.HA_DEBUG) {
      const td = pair.lab.spawn(pair.ns.cl, 'tcpdump', ['-i', 'cl0', '-n', '-tt', '-l', 'arp or icmp6']);
      td.stdout!.on('data', (b) => dump.push(String(b)));
    }
    assert.equal(await kernelResolve(pair.lab, pair.ns.cl, 'cl0', PROXIED4), ROUTER_MAC.r1);
    assert.equal(await kernelResolve(pair.lab, pair.ns.cl, 'cl0', PROXIED6), ROUTER_MAC.r1);
    const r2 = answeredWithheld((await pair.stats('r2')).iface);
    assert.equal(r2.replies, 0, 'the standby answered');
    assert.ok(r2.standby >= 2, `the standby did not count its withheld answers: ${JSON.stringify(r2)}`);

    // Takeover by r2.
    const there = await failover(pair, 'r2', () => pair.stopKeepalived('r1'));
    t.diagnostic(`failover r1 -> r2: IPv4 ${there.v4} ms, IPv6 ${there.v6} ms after the VIP reached r2`);
    if (process.env.HA_DEBUG) {
      t.diagnostic(JSON.stringify(pair.events()));
      t.diagnostic(d2.logs.filter((l) => String(l.event).startsWith('ha')).map((l) => JSON.stringify(l)).join('\n'));
      t.diagnostic(JSON.stringify(pair.neigh));
      t.diagnostic(dump.join(''));
    }
    assert.ok(there.v4 <= 1000 && there.v6 <= 1000, `client updated too late: ${JSON.stringify(there)}`);
    const s1 = await pair.stats('r1');
    assert.equal(s1.ha.role, 'standby');
    const s2 = await pair.stats('r2');
    assert.equal(s2.ha.role, 'active');
    assert.equal(s2.ha.takeovers, 1);
    assert.ok(s2.ha.announcements >= 2, `r2 announced ${s2.ha.announcements} frames`);
    assert.equal(pair.clientMac(PROXIED4), ROUTER_MAC.r2);
    // Let r2's burst (3 rounds, 1 s apart) finish before the roles swap back.
    await d2.waitLog((l) => l.event === 'ha_announce' && l.round === 3, 6000);
    // A new address asked for now: r2 answers it, r1 (standby) withholds and counts.
    const r1Before = answeredWithheld(s1.iface);
    assert.equal(await kernelResolve(pair.lab, pair.ns.cl, 'cl0', '198.51.100.6'), ROUTER_MAC.r2);
    const r1During = answeredWithheld((await pair.stats('r1')).iface);
    assert.equal(r1During.replies, r1Before.replies, 'r1 answered while standby');
    assert.ok(r1During.standby > r1Before.standby, `r1 did not count the withheld answer: ${JSON.stringify(r1During)}`);

    // r1 comes back with the higher priority and preempts.
    const back = await failover(pair, 'r1', async () => pair.startKeepalived('r1'));
    t.diagnostic(`failover r2 -> r1: IPv4 ${back.v4} ms, IPv6 ${back.v6} ms after the VIP reached r1`);
    assert.ok(back.v4 <= 1000 && back.v6 <= 1000, `client updated too late: ${JSON.stringify(back)}`);
    const e1 = await pair.stats('r1');
    assert.equal(e1.ha.role, 'active');
    assert.equal(e1.ha.transitions.toStandby, 1);
    assert.equal(e1.ha.transitions.toActive, 2);
    assert.equal((await pair.stats('r2')).ha.role, 'standby');
    assert.equal(pair.clientMac(PROXIED4), ROUTER_MAC.r1);
    await pair.stopKeepalived('r1');
    await pair.stopKeepalived('r2');
    await d1.signal('SIGTERM');
    await d2.signal('SIGTERM');
  });
});
