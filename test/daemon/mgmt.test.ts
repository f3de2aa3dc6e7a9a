// The management plane cannot hurt the data plane (issue 12, item 5): the daemon keeps
// answering every request while idle connections pile up on the metrics port and a
// 100 000-entry cache dump streams; with few descriptors it stays up with its ring open;
// unread control requests cost bounded memory and SIGTERM still stops it within 1 s.
import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { needsNetns, waitFor } from '../helpers/netns';
import {
  cacheDumper, fdCount, fillCache, idleConnections, idleControlClients, offerLoad, pipelinedScrapes, rssBytes, scrape, startMgmtLab,
} from './fixtures/mgmt';

const RATE = Number(process.env.NP_MGMT_RATE ?? 10_000);
const SECONDS = 3;
const ENTRIES = 100_000;
// For measuring one pressure at a time (the closing note's figures): NP_MGMT_IDLE=0, NP_MGMT_DUMP=0.
const IDLE = Number(process.env.NP_MGMT_IDLE ?? 2000);
const DUMP = process.env.NP_MGMT_DUMP !== '0';

/**
 * Requests the pressure may cost: the target is 0, but on a shared machine the kernel drops
 * some even without pressure, so the allowance is 0.5 % plus twice the loss of a baseline
 * second just before. (Without the limits 95-97 % were lost, or the daemon died.)
 */
function allowedLoss(sent: number, baseline: { sent: number; answered: number }): number {
  return Math.ceil(sent * (0.005 + (2 * (baseline.sent - baseline.answered)) / baseline.sent));
}

test('answers every request while 2 000 idle connections and a 100 000-entry dump are in flight', { skip: needsNetns(), timeout: 240_000 }, async (t) => {
  // The unit's LimitNOFILE=1024: 2 000 kept connections would exhaust it.
  const m = await startMgmtLab(t, 'mld', { tablesize: 131072, wrap: ['prlimit', '--nofile=1024'] });
  const learned = await fillCache(m, ENTRIES);
  assert.ok(learned >= ENTRIES * 0.99, `cache filled: ${learned}`);
  const baseline = await offerLoad(m, RATE, RATE); // one second without pressure
  const idle = idleConnections(m, IDLE);
  // Waits that end as soon as their state is reached; long only for a loaded machine.
  await waitFor(() => (idle.last.connected ?? 0) + (idle.last.errors ?? 0) >= IDLE, 60_000);
  const dumper = DUMP ? cacheDumper(m) : null;
  if (dumper) await waitFor(() => (dumper.last.bytes ?? 0) > 0, 60_000); // a dump is streaming
  const before = scrape(m);
  const streamed0 = dumper?.last.bytes ?? 0;
  const load = await offerLoad(m, RATE * SECONDS, RATE);
  const streamed = (dumper?.last.bytes ?? 0) - streamed0;
  const fds = fdCount(m.d.pid);
  const after = scrape(m);
  if (dumper) await waitFor(() => (dumper.last.dumps ?? 0) >= 1, 120_000);
  const dumps = dumper?.last ?? {};
  dumper?.stop();
  const held = idle.last;
  idle.stop();
  const kernelDrops = (after.get('neighproxy_kernel_drops_total{interface="rt0"}') ?? 0) - (before.get('neighproxy_kernel_drops_total{interface="rt0"}') ?? 0);
  t.diagnostic(`cache ${learned}; baseline ${baseline.answered}/${baseline.sent}; under pressure ${load.answered}/${load.sent} answered ` +
    `(${load.sent - load.answered} lost, daemon kernel drops ${kernelDrops}, client drops ${load.clientDrops}); ` +
    `idle connections connected ${held.connected} closed ${held.closed} errors ${held.errors}, daemon descriptors ${fds}; ` +
    `dumps ${dumps.dumps}, last ${dumps.entries} entries in ${dumps.ms} ms, ${(streamed / 2 ** 20).toFixed(1)} MiB streamed during the load`);
  assert.ok(!m.d.exited, `daemon still running\n${m.d.describe()}`);
  if (DUMP) {
    assert.ok((dumps.entries ?? 0) >= learned, `a dump carries every entry (${dumps.entries})`);
    assert.ok(streamed > 1e6, 'the dump streamed during the load');
  }
  assert.ok(fds < 100, `the daemon holds ${fds} descriptors (at most 32 metrics connections)`);
  assert.ok(load.sent - load.answered <= allowedLoss(load.sent, baseline), `${load.sent - load.answered} lost (target 0)`);
  assert.equal(m.d.logs.filter((l) => l.event === 'link_vanished').length, 0);
  const stop = await m.d.signalTimed('SIGTERM');
  assert.ok(stop.ms - stop.queuedMs < 1000, `SIGTERM to exit in ${stop.ms} ms, ${stop.queuedMs.toFixed(0)} ms of it waiting for a CPU`);
});

test('out of descriptors (RLIMIT_NOFILE 64): the daemon stays up, its ring stays open and answers', { skip: needsNetns(), timeout: 180_000 }, async (t) => {
  const m = await startMgmtLab(t, 'mfd', { wrap: ['prlimit', '--nofile=64'] });
  const idle = idleConnections(m, 200);
  const ctl = idleControlClients(m, 200);
  await waitFor(() => (idle.last.connected ?? 0) + (idle.last.errors ?? 0) >= 200 && (ctl.last.connected ?? 0) + (ctl.last.errors ?? 0) >= 200, 60_000);
  // Descriptors in use, sampled while the clients hold on: the limit must really be reached.
  let peakFds = 0;
  const sampler = setInterval(() => {
    try {
      peakFds = Math.max(peakFds, readdirSync(`/proc/${m.d.pid}/fd`).length);
    } catch { /* exited: asserted below */ }
  }, 20);
  await new Promise((r) => setTimeout(r, 1500));
  const load = await offerLoad(m, 2000, 2000);
  clearInterval(sampler);
  idle.stop();
  ctl.stop();
  await new Promise((r) => setTimeout(r, 500));
  const events = new Set(m.d.logs.map((l) => l.event));
  t.diagnostic(`answered ${load.answered}/${load.sent}; peak descriptors ${peakFds}/64; events ${[...events].join(' ')}; ` +
    `metrics clients connected ${idle.last.connected} closed ${idle.last.closed}; control connected ${ctl.last.connected} closed ${ctl.last.closed}`);
  assert.ok(!m.d.exited, `daemon still running\n${m.d.describe()}`);
  assert.ok(peakFds >= 62, `descriptors really ran out (peak ${peakFds} of 64 in use)`);
  assert.ok(!events.has('link_vanished'), 'no live ring closed as vanished');
  assert.equal(load.answered, load.sent, 'the ring answers throughout');
  const stats = scrape(m); // and the endpoint serves again once the clients are gone
  assert.ok((stats.get('neighproxy_requests_total{interface="rt0",family="ipv4"}') ?? 0) >= load.sent);
  const stop = await m.d.signalTimed('SIGTERM');
  assert.ok(stop.ms - stop.queuedMs < 1000, `SIGTERM to exit in ${stop.ms} ms, ${stop.queuedMs.toFixed(0)} ms of it waiting for a CPU`);
});

test('5 000 unread show cache requests: RSS stays bounded and SIGTERM stops within 1 s', { skip: needsNetns(), timeout: 180_000 }, async (t) => {
  const m = await startMgmtLab(t, 'mrs', { tablesize: 32768 });
  const learned = await fillCache(m, 20_000);
  const rss0 = rssBytes(m.d.pid);
  const sock = createConnection(m.sock);
  t.after(() => sock.destroy());
  await new Promise((r) => sock.once('connect', r));
  sock.pause(); // never reads
  sock.write('{"cmd":"show","what":"cache"}\n'.repeat(5000));
  let peak = rss0;
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 100));
    peak = Math.max(peak, rssBytes(m.d.pid));
  }
  // The bound is on the stop as the daemon ran it: not the time other processes held the CPU it waited for.
  const stop = await m.d.signalTimed('SIGTERM');
  const stopMs = Math.round(stop.ms - stop.queuedMs);
  t.diagnostic(`cache ${learned}; RSS ${(rss0 / 2 ** 20).toFixed(1)} MiB before, peak ${(peak / 2 ** 20).toFixed(1)} MiB while 5000 requests sat unread; SIGTERM to exit ${stop.ms} ms, ${stop.queuedMs.toFixed(0)} ms of it waiting for a CPU`);
  assert.ok(peak - rss0 < 48 * 2 ** 20, `RSS grew ${((peak - rss0) / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(stopMs < 1000, `stopped in ${stopMs} ms`);
});

test('5 000 pipelined GET /metrics during the load: none lost, RSS bounded', { skip: needsNetns(), timeout: 180_000 }, async (t) => {
  const m = await startMgmtLab(t, 'mpm', { tablesize: 32768 });
  await fillCache(m, 20_000); // scrapes count the cache entries, as the run did
  const rss0 = rssBytes(m.d.pid);
  let peak = rss0;
  const iv = setInterval(() => { peak = Math.max(peak, rssBytes(m.d.pid)); }, 50);
  t.after(() => clearInterval(iv));
  const baseline = await offerLoad(m, RATE, RATE);
  const scrapes = pipelinedScrapes(m, 5000);
  const load = await offerLoad(m, RATE * SECONDS, RATE);
  clearInterval(iv);
  const got = scrapes.last;
  scrapes.stop();
  t.diagnostic(`baseline ${baseline.answered}/${baseline.sent}; answered ${load.answered}/${load.sent} (${load.sent - load.answered} lost); scrape client read ${((got.bytes ?? 0) / 2 ** 20).toFixed(1)} MiB, ` +
    `connection closed ${got.closed}; RSS ${(rss0 / 2 ** 20).toFixed(1)} MiB before, peak ${(peak / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(!m.d.exited);
  assert.ok(load.sent - load.answered <= allowedLoss(load.sent, baseline), `${load.sent - load.answered} lost (target 0)`);
  assert.ok(peak - rss0 < 48 * 2 ** 20, `RSS grew ${((peak - rss0) / 2 ** 20).toFixed(1)} MiB`);
  const stop = await m.d.signalTimed('SIGTERM');
  assert.ok(stop.ms - stop.queuedMs < 1000, `SIGTERM to exit in ${stop.ms} ms, ${stop.queuedMs.toFixed(0)} ms of it waiting for a CPU`);
});
