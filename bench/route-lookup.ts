// The cost of a `route` decision's kernel lookup, with and without the cache: in a
// throw-away namespace (root), an ECMP route and a policy rule, then
//   uncached: one RTM_GETROUTE round trip at a time (what every miss costs), and 256 asked
//             at once (one sendto, as a burst of misses or a revalidation after a route event);
//   cached:   KernelState.routeInterface on 256 known targets (the hot path);
//   follow:   a route change until the cache answers the new device.
// Prints medians of 5 runs as JSON. `node dist/bench/route-lookup.js`
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Family } from '../src/net/addr';
import { buildGetRoute } from '../src/netlink/message';
import { KernelState } from '../src/netlink/kernel';

const NS = `npbench${process.pid.toString(36)}`;
const ip = (...a: string[]): string => execFileSync('ip', ['-n', NS, ...a], { encoding: 'utf8' });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const TARGETS = Array.from({ length: 256 }, (_, i) => (0xcb007100 | i) >>> 0); // 203.0.113.0/24

function setUp(): void {
  execFileSync('ip', ['netns', 'add', NS]);
  ip('link', 'set', 'lo', 'up');
  for (const i of [0, 1, 2]) {
    ip('link', 'add', `d${i}`, 'type', 'veth', 'peer', 'name', `p${i}`);
    ip('link', 'set', `d${i}`, 'up');
    ip('link', 'set', `p${i}`, 'up');
  }
  ip('addr', 'add', '192.0.2.1/24', 'dev', 'd0');
  ip('addr', 'add', '198.51.100.1/24', 'dev', 'd1');
  ip('route', 'add', '203.0.113.0/24', 'nexthop', 'via', '192.0.2.2', 'dev', 'd0', 'nexthop', 'via', '198.51.100.2', 'dev', 'd1');
  ip('route', 'add', '203.0.113.128/25', 'dev', 'd2', 'table', '100');
  ip('rule', 'add', 'to', '203.0.113.128/25', 'table', '100', 'pref', '100');
}

async function run(k: KernelState): Promise<Record<string, number>> {
  const sock = k.socket!;
  // Uncached, one at a time.
  const n = 1000;
  let t0 = performance.now();
  for (let i = 0; i < n; i++) await sock.request('route get', (seq) => buildGetRoute(seq, { family: Family.V4, dst: TARGETS[i & 255]! }));
  const serialUs = ((performance.now() - t0) * 1000) / n;
  // Uncached, 256 at once.
  t0 = performance.now();
  await Promise.all(TARGETS.map((dst) => sock.request('route get', (seq) => buildGetRoute(seq, { family: Family.V4, dst }))));
  const burstUs = ((performance.now() - t0) * 1000) / TARGETS.length;
  // Cached: warm, then 1e6 lookups.
  for (const t of TARGETS) k.routeInterface(Family.V4, t, 0);
  while (k.routes.entries().some((e) => e.out < 0)) await new Promise((r) => setTimeout(r, 1));
  const m = 1_000_000;
  let sink = 0;
  t0 = performance.now();
  for (let i = 0; i < m; i++) sink += k.routeInterface(Family.V4, TARGETS[i & 255]!, 0)!.length;
  const cachedNs = ((performance.now() - t0) * 1e6) / m;
  if (sink === 0) throw new Error('no answers');
  // A route change followed: from before `ip route replace` (its fork and exec included)
  // to the cache answering the new device.
  const t = 0xcb0071c8; // 203.0.113.200, policy rule -> table 100
  const before = k.routeInterface(Family.V4, t, 0);
  const next = before === 'd2' ? 'd0' : 'd2';
  t0 = performance.now();
  ip('route', 'replace', '203.0.113.128/25', 'dev', next, 'table', '100');
  while (k.routeInterface(Family.V4, t, 0) !== next) await new Promise((r) => setImmediate(r));
  const followMs = performance.now() - t0;
  return { uncachedSerialUs: serialUs, uncachedBurstUs: burstUs, cachedNs, followMs };
}

async function main(): Promise<void> {
  setUp();
  const k = new KernelState({ netns: `/run/netns/${NS}` });
  try {
    await k.start();
    const runs: Record<string, number>[] = [];
    for (let i = 0; i < 5; i++) {
      k.routes.clear();
      runs.push(await run(k));
    }
    const out: Record<string, number> = {};
    for (const key of Object.keys(runs[0]!)) out[key] = Math.round(median(runs.map((r) => r[key]!)) * 100) / 100;
    process.stdout.write(`${JSON.stringify({ runs: runs.length, median: out, stats: k.routes.stats() })}\n`);
  } finally {
    k.stop();
    execFileSync('ip', ['netns', 'del', NS]);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`route-lookup: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
