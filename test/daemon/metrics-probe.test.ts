// The `probe` and `autowire` series, read from the real policy's ProbeQueue and a real
// Autowire (fake rtnetlink): probes sent and rate-limited, alive/absent hits, evictions,
// and routes installed, removed, flushed and refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { Autowire, type RouteRequester } from '../../src/daemon/autowire';
import type { Logger } from '../../src/daemon/log';
import { createRegistry } from '../../src/daemon/metrics';
import { parseConfig } from '../../src/config/parse';
import { Policy } from '../../src/policy';
import { REASON_NAMES, Verdict } from '../../src/policy/decision';
import * as C from '../../src/netlink/constants';
import { buildMessage, parseMessages, parseRoute, type NlMessage } from '../../src/netlink/message';
import { errnoError } from '../../src/netlink/socket';
import { parseProm } from './fixtures/prom';
import { arp, ip4, ip6, mac, RecordingOutput, TestEnv } from '../policy/fixtures/build';

const quiet = { info() {}, warn() {}, debug() {}, error() {} } as unknown as Logger;
const HOST = mac('02:00:00:00:00:10');
const HOST2 = mac('02:00:00:00:00:12');
const ROUTER = mac('02:00:00:00:00:01');

/** Adds succeed except for 192.0.2.12 (EPERM); one stale route of ours in the dump. */
class Netlink implements RouteRequester {
  async request(_what: string, build: (seq: number) => Uint8Array): Promise<NlMessage[]> {
    const [m] = parseMessages(build(1));
    if (m!.type === C.RTM_GETROUTE) {
      if (m!.body[0] !== C.AF_INET) return [];
      const fixed = new Uint8Array(12);
      fixed[0] = C.AF_INET;
      fixed[1] = 32;
      fixed[4] = 254;
      fixed[5] = C.RTPROT_NEIGHPROXY;
      fixed[7] = C.RTN_UNICAST;
      return parseMessages(buildMessage(C.RTM_NEWROUTE, 0, 0, fixed, [[C.RTA_DST, Uint8Array.of(192, 0, 2, 200)]]));
    }
    const r = parseRoute(m!.body)!;
    if (m!.type === C.RTM_NEWROUTE && r.dst?.family === 4 && r.dst.v4 === ip4('192.0.2.12')) throw errnoError(constants.errno.EPERM, 'add');
    return [];
  }
}

test('probe and autowire series follow the policy and autowire counters', async () => {
  const env = new TestEnv([mac('02:00:00:00:00:fe'), mac('02:00:00:00:00:fd')]);
  env.src4.set(1, ip4('198.51.100.1'));
  env.linkLocal.set(1, ip6('fe80::fd'));
  const conf = 'interface up0\n rule 0.0.0.0/0 192.0.2.0/24 probe lan0 autowire absent 30\nend\ninterface lan0\nend\n';
  const policy = new Policy({ config: parseConfig(conf, 't.conf').config, env, output: new RecordingOutput(), options: { probeAliveSize: 4, probeAbsentSize: 4, probeRate: 1, probeBurst: 3 } });
  const aw = new Autowire(() => new Netlink(), (n) => (n === 'lan0' ? { oif: 2, table: 254 } : undefined), quiet);
  policy.probes.routes = aw;
  let now = 1;
  const registry = createRegistry({
    interfaces: () => [], dropName: (c) => `code_${c}`, reloads: () => ({ ok: 0, failed: 0 }),
    cache: () => ({ entries: [], capacity: 0, evictions: 0, refreshFailures: 0, resolveFailures: 0 }),
    probes: () => policy.probes.stats(now),
    autowire: () => ({ counts: aw.counts, routes: aw.size }),
  });
  const scrape = async () => parseProm(await registry.metrics());
  const zero = await scrape();
  assert.equal(zero.get('neighproxy_probes_sent_total'), 0);
  assert.equal(zero.get('neighproxy_probe_cache_hits_total{table="alive"}'), 0);

  assert.equal(await aw.flushStale(), 1);
  const ask = (t: string) => policy.handle(arp({ senderMac: ROUTER, senderIp: '192.0.2.1', targetIp: t }), 0, now);
  // Hosts 192.0.2.10 and .12 speak on lan0; .99 and .98 are probed, .97 hits the rate limit.
  policy.handle(arp({ senderMac: HOST, senderIp: '192.0.2.10', targetIp: '192.0.2.10' }), 1, now);
  policy.handle(arp({ senderMac: HOST2, senderIp: '192.0.2.12', targetIp: '192.0.2.12' }), 1, now);
  assert.equal(ask('192.0.2.10').verdict, Verdict.Answer);
  assert.equal(ask('192.0.2.12').verdict, Verdict.Answer);
  assert.equal(ask('192.0.2.10').verdict, Verdict.Answer);
  for (const t of ['192.0.2.99', '192.0.2.98', '192.0.2.96']) assert.equal(REASON_NAMES[ask(t).reason], 'probing');
  assert.equal(REASON_NAMES[ask('192.0.2.97').reason], 'probe_limited');
  now = 3; // past the 1 s probe timeout: .99 is absent
  policy.tick(now);
  assert.equal(REASON_NAMES[ask('192.0.2.99').reason], 'probe_absent');
  // More alive hosts than the alive table's 4 entries of one set evict (4-way, one set).
  for (let i = 20; i < 26; i++) policy.handle(arp({ senderMac: HOST + i, senderIp: `192.0.2.${i}`, targetIp: `192.0.2.${i}` }), 1, now);
  await aw.settled();

  const s = policy.probes.stats(now);
  const p = await scrape();
  assert.equal(p.get('neighproxy_probes_sent_total'), 3);
  assert.equal(p.get('neighproxy_probes_rate_limited_total'), 1);
  assert.equal(p.get('neighproxy_probe_cache_hits_total{table="alive"}'), s.alive.hits);
  assert.ok(s.alive.hits >= 3, `alive hits ${s.alive.hits}`);
  assert.equal(p.get('neighproxy_probe_cache_hits_total{table="absent"}'), s.absent.hits);
  assert.ok(s.absent.hits >= 1);
  assert.ok(s.alive.evictions >= 1);
  assert.equal(p.get('neighproxy_probe_cache_evictions_total{table="alive"}'), s.alive.evictions);
  assert.equal(p.get('neighproxy_probe_cache_capacity{table="alive"}'), 4);
  assert.equal(p.get('neighproxy_probe_cache_entries{table="absent"}'), s.absent.entries);
  assert.equal(p.get('neighproxy_autowire_routes_flushed_total'), 1);
  assert.equal(p.get('neighproxy_autowire_routes_installed_total'), aw.counts.added);
  assert.ok(aw.counts.added >= 1);
  assert.equal(p.get('neighproxy_autowire_failures_total'), 1, '192.0.2.12 refused');
  assert.equal(p.get('neighproxy_autowire_routes_removed_total'), aw.counts.removed);
  assert.equal(p.get('neighproxy_autowire_routes'), aw.size);
  await aw.removeAll();
  const q = await scrape();
  assert.equal(q.get('neighproxy_autowire_routes'), 0);
  assert.ok(q.get('neighproxy_autowire_routes_removed_total')! >= 1);
});
