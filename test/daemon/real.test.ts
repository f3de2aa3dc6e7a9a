// DaemonPolicy: what `ctl show cache` and the cache metrics report, from a real Policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from '../../src/daemon/metrics';
import { DaemonPolicy } from '../../src/daemon/real';
import { parseConfig } from '../../src/config';
import { Family } from '../../src/net/addr';
import { arp, mac, na, RecordingOutput, TestEnv } from '../policy/fixtures/build';
import { parseProm } from './fixtures/prom';

const CONF = `cache
 timeout 60
end
interface eth0
 rule 0.0.0.0/0 198.51.100.0/24 tell
end
interface eth1
 rule ::/0 2001:db8::/64 tell
end
`;

const silentLog = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

test('cache entries and per-interface figures name the interface each entry was learned on', () => {
  const { config } = parseConfig(CONF, 'daemon.conf');
  const p = new DaemonPolicy(config, new TestEnv([mac('02:00:00:00:00:01'), mac('02:00:00:00:00:02')]), new RecordingOutput(),
    silentLog as never);
  // Broadcast ARP requests teach the cache who is where; so does an unsolicited NA.
  p.handle(arp({ senderMac: mac('02:00:5e:00:53:0a'), senderIp: '198.51.100.10', targetIp: '198.51.100.1' }), 0, 1);
  p.handle(arp({ senderMac: mac('02:00:5e:00:53:0b'), senderIp: '198.51.100.11', targetIp: '198.51.100.1' }), 0, 1);
  p.handle(na({ ethSrc: mac('02:00:5e:00:53:0c'), target: '2001:db8::c', flags: 1 }), 1, 1);

  const entries = p.cacheEntries(2).map((e) => `${e.interface} ${e.address} ${e.mac}`).sort();
  assert.deepEqual(entries, [
    'eth0 198.51.100.10 02:00:5e:00:53:0a',
    'eth0 198.51.100.11 02:00:5e:00:53:0b',
    'eth1 2001:db8::c 02:00:5e:00:53:0c',
  ]);
  const sizes = Object.fromEntries(p.cacheFigures().entries.map((e) => [`${e.iface}/${e.family}`, e.size]));
  assert.deepEqual(sizes, { 'eth0/0': 2, 'eth0/1': 0, 'eth1/0': 0, 'eth1/1': 1 });
});

/** A real policy that learns 198.51.100.10 at t=0 and ticks to t=31 (cache timeout 30 s), with `refresh`. */
async function refreshFailuresAfterExpiry(refresh: string) {
  const conf = `cache\n timeout 30\n refresh ${refresh}\nend\ninterface eth0\n rule 0.0.0.0/0 198.51.100.0/24 tell\nend\n`;
  const { config } = parseConfig(conf, 'refresh.conf');
  const out = new RecordingOutput();
  const p = new DaemonPolicy(config, new TestEnv([mac('02:00:00:00:00:01')]), out, silentLog as never);
  p.handle(arp({ senderMac: mac('02:00:5e:00:53:0a'), senderIp: '198.51.100.10', targetIp: '198.51.100.1' }), 0, 0);
  // Someone asks for it: only entries in use are refreshed (issue 12, no probes to a MAC a frame merely named).
  p.lookup(0, -1, { family: Family.V4, v4: 0xc633640a }, 0.5); // 198.51.100.10
  let probes = 0;
  for (let t = 0; t <= 31; t += 0.5) {
    p.tick(t);
    probes += out.take().length;
  }
  const registry = createRegistry({ interfaces: () => [], dropName: String, cache: () => p.cacheFigures(), reloads: () => ({ ok: 0, failed: 0 }) });
  const exported = parseProm(await registry.metrics()).get('neighproxy_refresh_failures_total');
  return { probes, expired: p.stats().cache.expired, figures: p.cacheFigures().refreshFailures, exported };
}

test('refresh failures: an entry whose refresh probes go unanswered counts 1; a plain expiry counts 0', async () => {
  const probed = await refreshFailuresAfterExpiry('2*5');
  assert.deepEqual(probed, { probes: 2, expired: 1, figures: 1, exported: 1 });
  // No probes (refresh 0*5): the entry expires, which is no refresh failure.
  const plain = await refreshFailuresAfterExpiry('0*5');
  assert.deepEqual(plain, { probes: 0, expired: 1, figures: 0, exported: 0 });
});
