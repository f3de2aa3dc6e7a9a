import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRegistry, serveMetrics, type CacheFigures } from '../../src/daemon/metrics';
import { emptyRingCounters, FAMILY_V4, FAMILY_V6, InterfaceStats, REPLY_ACTIONS } from '../../src/pipeline/stats';
import { parseProm } from './fixtures/prom';
import { lossSplit } from '../../src/daemon/loss';
import { REASON_COUNT, REASON_NAMES } from '../../src/policy/decision';

function setup() {
  const eth0 = new InterfaceStats('eth0');
  let ring = { ...emptyRingCounters(), kernelDrops: 5, framesReceived: 100, socketErrors: 2, txErrors: 7 };
  eth0.ringCounters = () => ring;
  const cache: CacheFigures = { entries: [{ iface: 'eth0', family: FAMILY_V4, size: 12 }], capacity: 100, evictions: 3, refreshFailures: 1, resolveFailures: 0 };
  const registry = createRegistry({
    interfaces: () => [eth0],
    dropName: (c) => (c === 1 ? 'truncated' : `code_${c}`),
    cache: () => cache,
    reloads: () => ({ ok: 2, failed: 1 }),
  });
  return { eth0, registry, setRing: (r: typeof ring) => { ring = r; } };
}

test('hot-path counters appear at scrape time with interface/family/action labels', async () => {
  const { eth0, registry } = setup();
  eth0.requests[FAMILY_V4] = 10;
  eth0.requests[FAMILY_V6] = 4;
  eth0.replies[FAMILY_V6 * REPLY_ACTIONS.length + REPLY_ACTIONS.indexOf('self')] = 3;
  eth0.countDrop(1);
  eth0.countDrop(1);
  eth0.countDrop(1000); // beyond the table: counted in the last slot, not lost
  eth0.observeDecision(FAMILY_V4, 3e-6);
  eth0.observeDecision(FAMILY_V4, 0.5);
  const p = parseProm(await registry.metrics());
  assert.equal(p.get('neighproxy_requests_total{interface="eth0",family="ipv4"}'), 10);
  assert.equal(p.get('neighproxy_requests_total{interface="eth0",family="ipv6"}'), 4);
  assert.equal(p.get('neighproxy_replies_total{interface="eth0",family="ipv6",action="self"}'), 3);
  assert.equal(p.get('neighproxy_replies_total{interface="eth0",family="ipv4",action="tell"}'), 0);
  assert.equal(p.get('neighproxy_drops_total{interface="eth0",reason="truncated"}'), 2);
  assert.equal(p.get('neighproxy_drops_total{interface="eth0",reason="code_63"}'), 1);
  assert.equal(p.get('neighproxy_kernel_drops_total{interface="eth0"}'), 5);
  assert.equal(p.get('neighproxy_socket_errors_total{interface="eth0"}'), 2);
  assert.equal(p.get('neighproxy_tx_errors_total{interface="eth0"}'), 7);
  assert.equal(p.get('neighproxy_cache_entries{interface="eth0",family="ipv4"}'), 12);
  assert.equal(p.get('neighproxy_cache_evictions_total'), 3);
  assert.equal(p.get('neighproxy_refresh_failures_total'), 1);
  assert.equal(p.get('neighproxy_cache_capacity'), 100);
  assert.equal(p.get('neighproxy_reloads_total{result="failed"}'), 1);
  assert.equal(p.get('neighproxy_decision_seconds_bucket{interface="eth0",family="ipv4",le="0.000005"}'), 1);
  assert.equal(p.get('neighproxy_decision_seconds_bucket{interface="eth0",family="ipv4",le="0.01"}'), 1);
  assert.equal(p.get('neighproxy_decision_seconds_bucket{interface="eth0",family="ipv4",le="+Inf"}'), 2);
  assert.equal(p.get('neighproxy_decision_seconds_count{interface="eth0",family="ipv4"}'), 2);
  // Values are read again at the next scrape, not frozen at registration.
  eth0.requests[FAMILY_V4] = 11;
  assert.equal(parseProm(await registry.metrics()).get('neighproxy_requests_total{interface="eth0",family="ipv4"}'), 11);
});

test('the loss split: unanswered by reason and answers refused by a full TX ring, per interface and family', async () => {
  const { eth0, registry } = setup();
  eth0.unansweredByReason[FAMILY_V6 * REASON_COUNT + REASON_NAMES.indexOf('no_rule')] = 4;
  eth0.unansweredByReason[FAMILY_V4 * REASON_COUNT + REASON_NAMES.indexOf('delayed')] = 2;
  eth0.answerTxFull[FAMILY_V6] = 3;
  const p = parseProm(await registry.metrics());
  assert.equal(p.get('neighproxy_unanswered_by_reason_total{interface="eth0",family="ipv6",reason="no_rule"}'), 4);
  assert.equal(p.get('neighproxy_unanswered_by_reason_total{interface="eth0",family="ipv4",reason="delayed"}'), 2);
  assert.equal(p.has('neighproxy_unanswered_by_reason_total{interface="eth0",family="ipv4",reason="no_rule"}'), false);
  assert.equal(p.get('neighproxy_answer_tx_ring_full_total{interface="eth0",family="ipv6"}'), 3);
  // ctl show stats prints the same split from the same counters.
  const l = lossSplit(eth0);
  assert.deepEqual(l.unanswered, { ipv4: { delayed: 2 }, ipv6: { no_rule: 4 } });
  assert.deepEqual(l.txRingFull, { ipv4: 0, ipv6: 3 });
  assert.equal(l.kernelRingDrop, 5);
  assert.equal(l.sendErrors, 7);
});

test('ring counters survive a ring being closed and reopened', async () => {
  const { eth0, registry, setRing } = setup();
  eth0.retireRing();
  assert.equal(eth0.ringCounters, null);
  setRing({ ...emptyRingCounters(), kernelDrops: 2 });
  eth0.ringCounters = () => ({ ...emptyRingCounters(), kernelDrops: 2 });
  const p = parseProm(await registry.metrics());
  assert.equal(p.get('neighproxy_kernel_drops_total{interface="eth0"}'), 7);
});

test('the HTTP endpoint serves /metrics and 404s elsewhere', async (t) => {
  const { registry } = setup();
  const server = await serveMetrics(registry, { host: '127.0.0.1', port: 0 as number, loopback: true });
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const fetchText = (path: string) => new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body, type: String(res.headers['content-type']) }));
    }).on('error', reject);
  });
  const ok = await fetchText('/metrics');
  assert.equal(ok.status, 200);
  assert.match(ok.type, /text\/plain/);
  assert.match(ok.body, /# TYPE neighproxy_decision_seconds histogram/);
  assert.equal((await fetchText('/nope')).status, 404);
});
