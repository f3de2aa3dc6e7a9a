// HA failover time (issue 13 item 2): a keepalived pair in namespaces (test/daemon/fixtures/
// vrrp.ts) with neighproxy on both routers, `ha track` of the VIP. Each cycle stops the
// master's keepalived (r1 -> r2), waits for the takeover burst to finish, starts it again
// (r2 -> r1, preemption). For each takeover:
//   vip_to_neigh     ms from the VIP's arrival on the new master (its RTM_NEWADDR, `ip -ts
//                    monitor address`) to the client's neighbour entry holding the new
//                    router's MAC (IPv4 and IPv6; `ip -ts monitor neigh`: one clock)
//   vip_to_ha_role   ms from the VIP's arrival to neighproxy's ha_role log line
//   notify_to_neigh  ms from keepalived's notify script (it forks sh and date after adding
//                    the VIP, so it runs late and this may be negative) to the entry
// Prints every sample and the medians as JSON. Root. `node dist/bench/failover.js [CYCLES]`
import { kernelResolve } from '../test/daemon/fixtures/daemon';
import { PROXIED4, PROXIED6, ROUTER_MAC, VrrpPair, type Router } from '../test/daemon/fixtures/vrrp';

const median = (xs: number[]): number => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! * 10) / 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Sample { to: Router; vipToNeigh4: number; vipToNeigh6: number; vipToEvent: number; notifyToNeigh4: number }

async function takeover(pair: VrrpPair, to: Router, act: () => Promise<void> | void): Promise<Sample> {
  const mark = pair.events().length;
  const d = pair.daemons[to]!;
  const logMark = d.logs.length;
  const t0 = Date.now();
  await act();
  const notify = await pair.master(to, 15_000, mark);
  const ev = await d.waitLog((l) => l.event === 'ha_role' && l.role === 'active', 5000, logMark);
  const at = async (addr: string): Promise<number> => {
    for (let i = 0; i < 250; i++) {
      const x = pair.neighAt(addr, ROUTER_MAC[to], t0);
      if (x) return x;
      await sleep(20);
    }
    throw new Error(`client's ${addr} never held ${ROUTER_MAC[to]}`);
  };
  const n4 = await at(PROXIED4);
  const n6 = await at(PROXIED6);
  const evAt = Number(ev.time);
  // The burst's 3 rounds take 2 s; the next takeover starts after them.
  await d.waitLog((l) => l.event === 'ha_announce' && l.round === 3, 6000, logMark);
  const vip = pair.vipAt(to, t0);
  if (!vip) throw new Error(`the VIP's arrival on ${to} was not seen`);
  return { to, vipToNeigh4: n4 - vip, vipToNeigh6: n6 - vip, vipToEvent: evAt - vip, notifyToNeigh4: n4 - notify };
}

async function main(): Promise<void> {
  const cycles = Number(process.argv[2] ?? 5);
  const pair = new VrrpPair('fo');
  try {
    await pair.startDaemon('r1');
    await pair.startDaemon('r2');
    pair.startKeepalived('r1');
    pair.startKeepalived('r2');
    await pair.master('r1', 15_000);
    await sleep(500);
    pair.watchClient();
    pair.watchVip();
    await kernelResolve(pair.lab, pair.ns.cl, 'cl0', PROXIED4);
    await kernelResolve(pair.lab, pair.ns.cl, 'cl0', PROXIED6);
    await sleep(1200); // past the client's ARP locktime (1 s) since the entry was made
    const samples: Sample[] = [];
    for (let c = 0; c < cycles; c++) {
      samples.push(await takeover(pair, 'r2', () => pair.stopKeepalived('r1')));
      samples.push(await takeover(pair, 'r1', () => pair.startKeepalived('r1')));
    }
    const pick = (k: keyof Omit<Sample, 'to'>, to?: Router) => median(samples.filter((s) => !to || s.to === to).map((s) => s[k]));
    console.log(JSON.stringify({
      cycles,
      median_ms: {
        vip_to_neigh_ipv4: pick('vipToNeigh4'), vip_to_neigh_ipv6: pick('vipToNeigh6'), vip_to_ha_role_log: pick('vipToEvent'),
        notify_to_neigh_ipv4: pick('notifyToNeigh4'),
        stop_master_r1_to_r2: pick('vipToNeigh4', 'r2'), preempt_r2_to_r1: pick('vipToNeigh4', 'r1'),
      },
      samples,
    }, null, 1));
    await pair.stopKeepalived('r1');
    await pair.stopKeepalived('r2');
  } finally {
    pair.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
