import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { daemonExtraSources, registerExtraMetrics } from '../../src/daemon/metrics-extra';
import { ServiceState } from '../../src/daemon/service';
import { SdNotifier } from '../../src/daemon/sdnotify';
import { parseProm } from './fixtures/prom';

test('build info, process_*, ring-up per configured interface, last reload', async () => {
  const registry = new Registry();
  const service = new ServiceState(new SdNotifier(null), () => 1700000000);
  const open = new Map([['eth0', true], ['eth9', false]]);
  const daemon = {
    ringStates: () => [...open].map(([name, o]) => ({ name, open: o })),
  };
  registerExtraMetrics(registry, daemonExtraSources(daemon, service));
  let m = parseProm(await registry.metrics());
  const build = [...m.keys()].find((k) => k.startsWith('neighproxy_build_info'))!;
  assert.match(build, /^neighproxy_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+[^"]*",abi="\d+"\}$/);
  assert.equal(m.get(build), 1);
  assert.ok(m.has('process_cpu_user_seconds_total'));
  assert.ok(m.has('process_resident_memory_bytes'));
  assert.equal(m.get('neighproxy_interface_ring_up{interface="eth0"}'), 1);
  assert.equal(m.get('neighproxy_interface_ring_up{interface="eth9"}'), 0, 'a configured interface without a ring shows 0');
  assert.equal(m.get('neighproxy_config_last_reload_successful'), 1);
  assert.equal(m.get('neighproxy_config_last_reload_success_timestamp_seconds'), 1700000000);
  // Read at scrape time: later changes show without re-registering.
  service.lastReloadOk = false;
  open.set('eth9', true);
  m = parseProm(await registry.metrics());
  assert.equal(m.get('neighproxy_config_last_reload_successful'), 0);
  assert.equal(m.get('neighproxy_interface_ring_up{interface="eth9"}'), 1);
});
