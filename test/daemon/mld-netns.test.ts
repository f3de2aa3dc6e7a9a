// Behind an MLD-snooping switch (issue 13, item 3): a Linux bridge in its own namespace
// with snooping and a querier, the uplink router and neighproxy on two of its ports.
// The neighproxy port does not get unknown multicast (mcast_flood off, as a snooping
// switch that prunes unregistered groups), so an uplink's solicitation reaches the
// daemon only when the daemon has joined the target's solicited-node group.
// Needs root; skipped otherwise. Bounded: a few datagrams, each wait at most 3 s.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, needsNetns, waitFor } from '../helpers/netns';
import { DaemonProcess, kernelResolve } from './fixtures/daemon';

const skip = needsNetns();
const STATIC = '2001:db8:1::77';
const STATIC_MAC = '02:00:5e:00:53:77';
const PROXY = '2001:db8:1::78';
const NP_MAC = '02:00:5e:00:53:02';

function buildLab(tag: string): { lab: Lab; up: string; np: string; br: string; dir: string; config: string } {
  const lab = new Lab(tag);
  const dir = mkdtempSync(join(tmpdir(), 'npm-'));
  chmodSync(dir, 0o755);
  try {
    const br = lab.netns('br');
    const up = lab.netns('up');
    const np = lab.netns('np');
    // A 1 s query response interval: the bridge counts a querier as present only that long after it starts one.
    lab.exec(br, 'ip', ['link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '1', 'mcast_query_response_interval', '100']);
    lab.veth(up, 'up0', br, 'bru');
    lab.veth(np, 'np0', br, 'brn', { macA: NP_MAC });
    for (const port of ['bru', 'brn']) lab.exec(br, 'ip', ['link', 'set', port, 'master', 'br0']);
    // A snooping switch that prunes unregistered groups: the neighproxy port gets only the groups it reported.
    lab.exec(br, 'ip', ['link', 'set', 'dev', 'brn', 'type', 'bridge_slave', 'mcast_flood', 'off']);
    lab.exec(br, 'ip', ['link', 'set', 'br0', 'up']);
    // The querier once br0 has its link-local address (an IPv6 query needs a source).
    lab.exec(br, 'ip', ['link', 'set', 'br0', 'type', 'bridge', 'mcast_querier', '1']);
    lab.exec(up, 'ip', ['addr', 'add', '2001:db8:1::1/64', 'dev', 'up0']);
    const config = join(dir, 'neighproxy.conf');
    writeFileSync(config, `interface np0\n static ${STATIC} ${STATIC_MAC}\nend\n`);
    return { lab, up, np, br, dir, config };
  } catch (err) {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Groups the bridge learned on port `port` (its MDB). */
function mdbGroups(lab: Lab, br: string, port: string): string[] {
  const out = JSON.parse(lab.exec(br, 'bridge', ['-j', 'mdb', 'show', 'dev', 'br0']) || '[]') as Array<{ mdb?: Array<{ port: string; grp: string }> }>;
  return out.flatMap((e) => e.mdb ?? []).filter((m) => m.port === port).map((m) => m.grp);
}

describe('MLD joins behind a snooping bridge', { skip }, () => {
  test('the uplink resolves a static address with joins, not without; the kernel proxy entry joins too', async (t) => {
    const { lab, up, np, br, dir, config } = buildLab('mld');
    t.after(() => { lab.destroy(); rmSync(dir, { recursive: true, force: true }); });
    const group = 'ff02::1:ff00:77';

    // With joins: the kernel reports the group, the bridge forwards the NS, the daemon answers.
    const on = new DaemonProcess(lab, np, ['--config', config, '--no-control', '--no-drop', '--log-level', 'debug']);
    t.after(() => { if (!on.exited) on.child.kill('SIGKILL'); });
    await on.started();
    await on.waitLog((l) => l.event === 'mld_join' && l.group === group && l.interface === 'np0');
    assert.ok(await waitFor(() => mdbGroups(lab, br, 'brn').includes(group), 3000), 'the bridge did not learn the group');
    let mac: string | undefined;
    // The bridge counts its own querier only a response interval (1 s) after starting it: retry within 4 s.
    for (let i = 0; i < 4 && mac === undefined; i++) mac = await kernelResolve(lab, up, 'up0', STATIC, 1000);
    assert.equal(mac, STATIC_MAC);
    // Stopping leaves the group (the sockets close; the kernel sends its done message, the bridge forgets it).
    await on.signal('SIGTERM');
    assert.ok(!lab.exec(np, 'ip', ['-6', 'maddr', 'show', 'dev', 'np0']).includes(group), 'group still joined after stop');
    assert.ok(await waitFor(() => !mdbGroups(lab, br, 'brn').includes(group), 5000), 'the bridge still has the group');
    lab.exec(up, 'ip', ['-6', 'neigh', 'flush', 'dev', 'up0']);

    // Without joins: the same daemon and file, the bridge never hears of the group, the NS is not forwarded.
    const off = new DaemonProcess(lab, np, ['--config', config, '--no-control', '--no-drop', '--no-mld-joins']);
    t.after(() => { if (!off.exited) off.child.kill('SIGKILL'); });
    await off.started();
    assert.equal(await kernelResolve(lab, up, 'up0', STATIC, 2000), undefined, 'answered without joins: the bridge flooded the NS');
    assert.ok(!mdbGroups(lab, br, 'brn').includes(group));
    await off.signal('SIGTERM');

    // The kernel's own proxy entry joins its group: answered through the same bridge.
    lab.exec(np, 'sysctl', ['-qw', 'net.ipv6.conf.np0.forwarding=1', 'net.ipv6.conf.np0.proxy_ndp=1']);
    lab.exec(np, 'ip', ['-6', 'neigh', 'add', 'proxy', PROXY, 'dev', 'np0']);
    assert.ok(lab.exec(np, 'ip', ['-6', 'maddr', 'show', 'dev', 'np0']).includes('ff02::1:ff00:78'));
    assert.equal(await kernelResolve(lab, up, 'up0', PROXY), NP_MAC);
  });
});
