// The redirect router's address on a real segment, both families (issue 12: "one
// gratuitous ARP for the redirect router's address sends every hairpinned client to the
// attacker"). A bridge in the daemon's namespace (br0, host 254) with the router R (its
// kernel owns host 1), an attacker B, a hairpinned client Q asking for host 50 (the rule
// `rule ANY NET <host 1>` answers it with R's MAC) and a new router R2, each in its own
// namespace (test/helpers/segment.ts):
//   1. Q is told R: the daemon resolved host 1 itself.
//   2. B claims host 1 (a gratuitous ARP / an unsolicited NA with O=1, and a broadcast
//      request speaking for it), twice, the second after the probe window: R answers the
//      daemon's unicast probe, Q keeps being told R, the conflict is counted.
//   3. R goes silent (its link down) and R2 claims host 1: Q is told R2 within 3 s.
// Beside ours, a plain kernel on the segment (host KX, host 253): it resolved host 1
// before B's claim, and `ip neigh` afterwards shows where it now sends. The kernel's
// proxy_arp answers the client with the kernel's own MAC and forwards through that very
// entry, and the kernel does not guard it: one claim moves it. (KX is no proxy_arp box
// itself: with proxy_arp_pvlan it would answer the daemon's resolution of host 1 too.)
// Shown in the test's diagnostics, not asserted: it is the kernel's behaviour, not ours.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { formatMac } from '../../src/net/addr';
import { Segment } from '../helpers/segment';
import { needsNetns } from '../helpers/netns';
import { kernelResolve } from './fixtures/daemon';
import { addSiteAddr, anyNet, followMove, MAC_B, MAC_Q, siteAddr, siteNet, sleep, type IpFamily } from './fixtures/takeover';

const MAC_R = '02:00:5e:00:53:01';
const MAC_R2 = '02:00:5e:00:53:02';
const MAC_KX = '02:00:5e:00:53:0d';

async function routerCase(t: TestContext, f: IpFamily, port: number): Promise<void> {
  const seg = new Segment(t, `tr${f}`);
  const router = seg.host('rt', MAC_R);
  const attacker = seg.host('at', MAC_B);
  const client = seg.host('rq', MAC_Q);
  const mover = seg.host('nr', MAC_R2);
  const kernel = seg.host('kx', MAC_KX);
  addSiteAddr(seg, kernel.ns, kernel.ifname, f, 253);
  addSiteAddr(seg, router.ns, router.ifname, f, 1);
  addSiteAddr(seg, seg.sw, 'br0', f, 254);
  const via = siteAddr(f, 1);
  const d = await seg.daemon(`interface br0\n rule ${anyNet(f)} ${siteNet(f)} ${via}\nend\n`, port);
  const ask = (): Promise<number | undefined> => client.ask(siteAddr(f, 50), siteAddr(f, 99));
  const show = (m: number | undefined): string => (m === undefined ? 'no answer' : formatMac(m));

  // 1. The daemon resolves the router for the first request.
  assert.equal(show(await ask()), MAC_R, 'Q is redirected to the router R');
  const kernelBefore = await kernelResolve(seg.lab, kernel.ns, kernel.ifname, via);

  // 2. B claims the router's address; R is alive and answers the daemon's probe.
  const told: string[] = [];
  for (let round = 0; round < 2; round++) {
    attacker.claim(via);
    attacker.solicitFrom(via, siteAddr(f, 77));
    // Six asks 250 ms apart: the round outlasts the probe window (1 s).
    for (let k = 0; k < 6; k++) {
      await sleep(250);
      told.push(show(await ask()));
    }
  }
  const kernelAfter = kernel.kernelNeighbour(via);
  const held = seg.metrics();

  // 3. The real move: R's link goes down, R2 takes the address and announces it.
  seg.lab.exec(router.ns, 'ip', ['link', 'set', router.ifname, 'down']);
  addSiteAddr(seg, mover.ns, mover.ifname, f, 1);
  const since = Date.now();
  mover.claim(via);
  const moveMs = await followMove(client, siteAddr(f, 50), siteAddr(f, 99), mover, via, since);
  const after = show(await ask());
  const m = seg.metrics();
  const count = (k: string, at = m): number => at.get(`neighproxy_takeover_${k}_total`) ?? 0;

  t.diagnostic(`while B claimed ${via}: Q told ${[...new Set(told)].join(', ')} (${told.length} answers); conflicts ${count('conflicts', held)}, ` +
    `pinned refused ${count('pinned_refused', held)}; KX's kernel (no guard) had ${kernelBefore} for ${via}, after B's claim ${kernelAfter}`);
  t.diagnostic(`R silent, R2 claimed: Q told R2 after ${moveMs} ms, then ${after}; moves ${count('moves')}`);
  assert.ok(told.every((x) => x === MAC_R), `hairpinned Q keeps being told R while B claims ${via}: ${told.join(' ')}`);
  assert.ok(count('conflicts', held) >= 1, 'R answered the probe: the conflict is counted');
  assert.ok(moveMs >= 0, 'a real router move (old MAC silent) is followed within 3 s');
  assert.equal(after, MAC_R2, 'and Q stays with R2');
  assert.ok(count('moves') >= 1);
  assert.ok(!d.exited);
  await d.signal('SIGTERM');
}

test('the redirect router (ARP): a claim for its address keeps clients on R, a real move is followed within 3 s', { skip: needsNetns(), timeout: 120_000 },
  (t) => routerCase(t, 4, 9473));

test('the redirect router (ND): a claim for its address keeps clients on R, a real move is followed within 3 s', { skip: needsNetns(), timeout: 120_000 },
  (t) => routerCase(t, 6, 9474));
