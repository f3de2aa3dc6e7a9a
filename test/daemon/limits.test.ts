// Management-plane limits without namespaces: control-socket backpressure, streaming,
// client and idle bounds; the metrics server's shared render and connection bound;
// descriptor exhaustion in the link watcher and the address reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { connect, createConnection, type AddressInfo, type Socket } from 'node:net';
import * as os from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { CacheSnapshot } from '../../src/daemon/cache-dump';
import { serveControl, type ControlHandler } from '../../src/daemon/control';
import { CONTROL_LIMITS, METRICS_LIMITS } from '../../src/daemon/limits';
import { LinkWatcher, type LinkEvent, type LinkState } from '../../src/daemon/links';
import { ScrapeCache, serveMetrics } from '../../src/daemon/metrics';
import { parseIp6 } from '../../src/net/addr';
import { waitFor } from '../helpers/netns';

const entry = (i: number) => ({ interface: 'eth0', vlan: -1, family: 6, address: `2001:db8::${i.toString(16)}`, mac: '02:00:5e:00:53:01', state: 'fresh' });

function counting(entries: number): { handler: ControlHandler; counts: { show: number; dumps: number } } {
  const counts = { show: 0, dumps: 0 };
  return {
    counts,
    handler: {
      show: (what) => { counts.show++; return { what }; },
      add: () => ({}),
      del: () => ({}),
      cacheSource: () => { counts.dumps++; return { length: entries, entry }; },
    },
  };
}

function tmpSock(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(os.tmpdir(), 'nplim-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'ctl.sock');
}

/** Resolves with the first `n` lines received (counted as they come: answers can be megabytes). */
function readLines(s: Socket, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const parts: string[] = [];
    let count = 0;
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      parts.push(d);
      for (let i = d.indexOf('\n'); i >= 0; i = d.indexOf('\n', i + 1)) count++;
      if (count >= n) resolve(parts.join('').split('\n').slice(0, n));
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`closed after ${count} lines`)));
  });
}

test('show cache streams as one JSON line, in order, with its id, while timers run', async (t) => {
  const path = tmpSock(t);
  const { handler } = counting(50_000);
  const server = await serveControl(path, handler);
  t.after(() => server.close());
  let ticks = 0;
  let streaming = false;
  const iv = setInterval(() => { if (streaming) ticks++; }, 1);
  t.after(() => clearInterval(iv));
  const s = createConnection(path);
  t.after(() => s.destroy());
  s.once('data', () => { streaming = true; });
  s.write('{"cmd":"show","what":"cache","id":"a"}\n{"cmd":"show","what":"stats","id":"b"}\n');
  const [dump, stats] = await readLines(s, 2);
  streaming = false;
  const r = JSON.parse(dump!) as { ok: boolean; id: string; entries: unknown[] };
  assert.equal(r.id, 'a');
  assert.equal(r.entries.length, 50_000);
  assert.deepEqual(r.entries[12345], entry(12345));
  assert.deepEqual(JSON.parse(stats!), { ok: true, id: 'b', what: 'stats' });
  assert.ok(ticks >= 5, `timers ran ${ticks} times while the dump streamed`);
});

test('a client that does not read stops being served: requests taken are bounded; all answered once it reads', async (t) => {
  const path = tmpSock(t);
  const { handler, counts } = counting(100);
  const limits = { ...CONTROL_LIMITS, softOutputBytes: 16 * 1024, maxQueued: 4 };
  const server = await serveControl(path, handler, { limits });
  t.after(() => server.close());
  const s = createConnection(path);
  t.after(() => s.destroy());
  await new Promise((r) => s.once('connect', r));
  s.pause();
  s.write('{"cmd":"show","what":"cache"}\n'.repeat(2000));
  await new Promise((r) => setTimeout(r, 300));
  const whilePaused = counts.dumps;
  // Each answer is ~10 KB: the kernel's socket buffers hold some, then the daemon stops.
  assert.ok(whilePaused < 200, `${whilePaused} of 2000 answered while the client read nothing`);
  const reading = readLines(s, 2000);
  s.resume();
  const lines = await reading;
  assert.equal(lines.length, 2000);
  assert.equal(counts.dumps, 2000);
  assert.equal((JSON.parse(lines[1999]!) as { entries: unknown[] }).entries.length, 100);
});

test('control: clients beyond maxClients are closed; idle clients are closed after idleMs', async (t) => {
  const path = tmpSock(t);
  const server = await serveControl(path, counting(0).handler, { limits: { ...CONTROL_LIMITS, maxClients: 2, idleMs: 300 } });
  t.after(() => server.close());
  const closedAt: number[] = [];
  const t0 = Date.now();
  const socks = [0, 1, 2].map(() => {
    const s = createConnection(path);
    s.on('error', () => {});
    s.on('close', () => closedAt.push(Date.now() - t0));
    return s;
  });
  t.after(() => socks.forEach((s) => s.destroy()));
  await waitFor(() => closedAt.length >= 1, 200);
  assert.equal(closedAt.length, 1, 'the third client is refused at once');
  assert.ok(await waitFor(() => closedAt.length === 3, 2000), 'the idle two are closed');
  assert.ok(closedAt[2]! >= 250, `idle close after ${closedAt[2]} ms`);
});

test('metrics: concurrent and repeated scrapes share one render', async () => {
  let renders = 0;
  const registry = { metrics: async () => `x ${++renders}\n`, contentType: 'text/plain' } as unknown as Registry;
  let now = 0;
  const cache = new ScrapeCache(registry, 1000, () => now);
  const texts = await Promise.all(Array.from({ length: 50 }, () => cache.get()));
  assert.equal(renders, 1);
  assert.ok(texts.every((x) => x === 'x 1\n'));
  now = 999;
  assert.equal(await cache.get(), 'x 1\n');
  now = 1000;
  assert.equal(await cache.get(), 'x 2\n');
});

test('metrics: idle connections cannot lock a scrape out; idle ones are closed', async (t) => {
  const registry = { metrics: async () => 'up 1\n', contentType: 'text/plain' } as unknown as Registry;
  const server = await serveMetrics(registry, { host: '127.0.0.1', port: 0, loopback: true },
    { limits: { ...METRICS_LIMITS, maxConnections: 4, idleMs: 400, headersTimeoutMs: 400, requestTimeoutMs: 400 } });
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const idle: Socket[] = [];
  let closed = 0;
  for (let i = 0; i < 10; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.on('close', () => closed++);
    idle.push(s);
  }
  t.after(() => idle.forEach((s) => s.destroy()));
  await waitFor(() => closed >= 6, 1000);
  const count = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
  assert.ok(count <= 4, `${count} connections kept`);
  const body = await new Promise<string>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let b = '';
      res.on('data', (d) => { b += d; });
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
  assert.equal(body, 'up 1\n');
  assert.ok(await waitFor(() => closed === 10, 3000), `idle connections closed: ${closed}/10`);
});

test('link watcher: a read that fails with EMFILE is not a vanished interface', () => {
  const state = new Map<string, LinkState | Error>([['eth0', { ifindex: 3, up: true }]]);
  const events: LinkEvent[] = [];
  const errors: string[] = [];
  const w = new LinkWatcher((n) => {
    const s = state.get(n);
    if (s instanceof Error) throw s;
    return s ?? null;
  }, (e) => events.push(e), (name, err) => errors.push(`${name} ${err.code}`));
  w.watch(['eth0']);
  state.set('eth0', Object.assign(new Error('too many open files'), { code: 'EMFILE' }));
  w.poll();
  w.poll();
  assert.deepEqual(events, []);
  assert.deepEqual(errors, ['eth0 EMFILE', 'eth0 EMFILE']);
  state.set('eth0', { ifindex: 3, up: true });
  w.poll();
  assert.deepEqual(events, [], 'back to normal: nothing changed');
  state.delete('eth0');
  w.poll();
  assert.deepEqual(events, [{ type: 'vanished', name: 'eth0', oldIfindex: 3 }], 'a real absence still is');
});

test('cache snapshot: entries as show cache prints them', () => {
  const snap = new CacheSnapshot(2, (slot) => (slot === 1 ? 'eth1' : undefined));
  const a = parseIp6('2001:db8::1:0:0:7')!;
  snap.push((0x80000000 | (1 << 13) | 11) >>> 0, a[0]!, a[1]!, a[2]!, a[3]!, 0x02005e005301, 1);
  snap.push((2 << 13) | 0, 0, 0, 0, 0xc0000207, -1, 4);
  snap.push(0, 0, 0, 0, 0, 0, 1); // beyond the capacity: ignored
  assert.deepEqual(snap.toArray(), [
    { interface: 'eth1', vlan: 10, family: 6, address: '2001:db8::1:0:0:7', mac: '02:00:5e:00:53:01', state: 'fresh' },
    { interface: '#2', vlan: -1, family: 4, address: '192.0.2.7', mac: null, state: 'stale' },
  ]);
});
