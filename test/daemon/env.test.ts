import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Family, parseIp4, parseIp6 } from '../../src/net/addr';
import { HostEnvironment, parseRoutes } from '../../src/daemon/env';

const V4 = JSON.stringify([
  { dst: 'default', gateway: '192.0.2.1', dev: 'uplink' },
  { dst: '198.51.100.0/24', dev: 'clients' },
  { dst: '198.51.100.128/25', dev: 'dslam2' },
  { dst: '203.0.113.9', dev: 'tun0' },
  { dst: '203.0.113.0/24', type: 'blackhole' },
]);
const V6 = JSON.stringify([
  { dst: '2001:db8:1::/48', dev: 'clients' },
  { dst: '2001:db8:1:5::/64', dev: 'cpe5' },
  { dst: 'fe80::/64', dev: 'clients' },
]);

test('routes: longest prefix wins, default last, blackholes and deviceless routes skipped', () => {
  const env = new HostEnvironment();
  const e = env as unknown as { routes4: unknown; routes6: unknown };
  e.routes4 = parseRoutes(V4, Family.V4);
  e.routes6 = parseRoutes(V6, Family.V6);
  assert.equal(env.routeInterface(Family.V4, parseIp4('198.51.100.200')!), 'dslam2');
  assert.equal(env.routeInterface(Family.V4, parseIp4('198.51.100.20')!), 'clients');
  assert.equal(env.routeInterface(Family.V4, parseIp4('203.0.113.9')!), 'tun0');
  assert.equal(env.routeInterface(Family.V4, parseIp4('203.0.113.10')!), 'uplink', 'blackhole ignored, default used');
  assert.equal(env.routeInterface(Family.V6, parseIp6('2001:db8:1:5::9')!), 'cpe5');
  assert.equal(env.routeInterface(Family.V6, parseIp6('2001:db8:1:6::9')!), 'clients');
  assert.equal(env.routeInterface(Family.V6, parseIp6('2001:db8:2::1')!), undefined, 'no IPv6 default');
});

test('own addresses come from the interfaces; unknown interfaces own nothing', () => {
  const env = new HostEnvironment();
  env.slots = [{ name: 'lo', linkLocal: new Uint32Array(4) } as never, { name: 'np-absent0', linkLocal: new Uint32Array(4) } as never];
  env.refreshAddresses();
  assert.equal(env.isOwnIp4(0, parseIp4('127.0.0.1')!), true);
  assert.equal(env.isOwnIp4(0, parseIp4('192.0.2.1')!), false);
  assert.equal(env.sourceIp4(0), parseIp4('127.0.0.1'));
  assert.equal(env.isOwnIp4(1, parseIp4('127.0.0.1')!), false);
  assert.equal(env.sourceIp4(1), 0);
  const out = new Uint32Array([1, 2, 3, 4]);
  assert.equal(env.sourceIp6(1, out), false);
  assert.deepEqual([...out], [0, 0, 0, 0]);
});

test('routes are read (a child spawned) only while a route rule wants them', async () => {
  const { mkdtempSync, writeFileSync, chmodSync, existsSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'npenv-'));
  const marker = join(dir, 'spawned');
  const ip = join(dir, 'ip');
  writeFileSync(ip, `#!/bin/sh\ntouch ${marker}\necho '[{"dst":"default","dev":"uplink"}]'\n`);
  chmodSync(ip, 0o755);
  try {
    const env = new HostEnvironment(ip);
    env.wantRoutes(false);
    env.refreshRoutesSync();
    env.refreshRoutes();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(existsSync(marker), false, 'no child without route rules');
    env.wantRoutes(true);
    for (let i = 0; i < 50 && env.routeInterface(Family.V4, parseIp4('203.0.113.1')!) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(existsSync(marker), true, 'read at once when a route rule appears');
    assert.equal(env.routeInterface(Family.V4, parseIp4('203.0.113.1')!), 'uplink');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
