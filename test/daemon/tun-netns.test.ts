// Links without Ethernet (issue 14 item 3, ndppd #72): targets behind a tun or WireGuard
// device, where there is no ARP or neighbour discovery, are answered on the Ethernet side by
// `route` (the kernel routes them out of the tunnel); a configuration that asks to capture
// on the tunnel itself is refused naming the link type, by `check` and at ring open.
// Needs root; the WireGuard case also needs the wireguard module (skipped with the reason).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, needsNetns } from '../helpers/netns';
import { BIN, DaemonProcess, kernelResolve } from './fixtures/daemon';

const skip = needsNetns();
const BOX_MAC = '02:00:5e:00:53:01';

/** Uplink (requester) -- box, whose `down` device is a tunnel routing 203.0.113.0/24 and 2001:db8:7::/64. */
function setup(t: { after(fn: () => void): void }, tag: string, makeDown: (lab: Lab, box: string, name: string) => boolean) {
  const lab = new Lab(tag);
  const dir = mkdtempSync(join(tmpdir(), 'nptun-'));
  chmodSync(dir, 0o755);
  t.after(() => { lab.destroy(); rmSync(dir, { recursive: true, force: true }); });
  const up = lab.netns('up');
  const box = lab.netns('bx');
  lab.veth(up, 'u0', box, 'bx0', { macB: BOX_MAC });
  const down = `${lab.prefix.slice(-6)}t`;
  if (!makeDown(lab, box, down)) return null;
  const b = (...a: string[]) => lab.exec(box, 'ip', a);
  b('link', 'set', down, 'up');
  b('addr', 'add', '198.51.100.1/24', 'dev', 'bx0');
  b('-6', 'addr', 'add', '2001:db8:1::1/64', 'dev', 'bx0', 'nodad');
  b('route', 'add', '203.0.113.0/24', 'dev', down);
  b('-6', 'route', 'add', '2001:db8:7::/64', 'dev', down);
  lab.exec(box, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
  lab.exec(up, 'ip', ['addr', 'add', '198.51.100.10/24', 'dev', 'u0']);
  lab.exec(up, 'ip', ['route', 'add', '203.0.113.0/24', 'dev', 'u0']); // on-link: the uplink ARPs for them
  lab.exec(up, 'ip', ['-6', 'addr', 'add', '2001:db8:1::10/64', 'dev', 'u0', 'nodad']);
  lab.exec(up, 'ip', ['-6', 'route', 'add', '2001:db8:7::/64', 'dev', 'u0']);
  return { lab, dir, up, box, down };
}

async function routedThroughTunnel(t: { after(fn: () => void): void }, s: NonNullable<ReturnType<typeof setup>>): Promise<void> {
  const { lab, dir, up, box } = s;
  const config = join(dir, 'neighproxy.conf');
  writeFileSync(config, 'interface bx0\n rule 198.51.100.0/24 203.0.113.0/24 verbose route\n rule ::/0 2001:db8:7::/64 verbose route\nend\n');
  const d = new DaemonProcess(lab, box, ['--config', config, '--no-control', '--tick', '50']);
  t.after(() => { void d.signal('SIGTERM').catch(() => {}); });
  await d.started();
  // The first request starts the kernel route lookup; the uplink's retransmission is answered.
  assert.equal(await kernelResolve(lab, up, 'u0', '203.0.113.9', 6000), BOX_MAC, d.describe());
  assert.equal(await kernelResolve(lab, up, 'u0', '2001:db8:7::9', 6000), BOX_MAC, `IPv6\n${d.describe()}`);
  // The answer follows the route into the tunnel: without it, silence (reason no_route).
  lab.exec(box, 'ip', ['route', 'del', '203.0.113.0/24', 'dev', s.down]);
  assert.equal(await kernelResolve(lab, up, 'u0', '203.0.113.20', 2500), undefined, `unrouted: not answered\n${d.describe()}`);
  assert.ok(d.logs.some((l) => l.reason === 'no_route'), d.describe());
}

test('tun downstream: targets routed into a tun device are answered by route (IPv4 and IPv6)', { skip, timeout: 60_000 }, async (t) => {
  const s = setup(t, 'tun', (lab, box, name) => {
    lab.exec(box, 'ip', ['tuntap', 'add', 'mode', 'tun', 'name', name]);
    return true;
  })!;
  await routedThroughTunnel(t, s);
});

test('WireGuard downstream: targets routed into a wg device are answered by route', { skip, timeout: 60_000 }, async (t) => {
  let missing: string | undefined;
  const s = setup(t, 'wgd', (_lab, box, name) => {
    try {
      execFileSync('ip', ['-n', box, 'link', 'add', name, 'type', 'wireguard'], { stdio: 'pipe' });
      return true;
    } catch (err) {
      missing = String((err as { stderr?: Buffer }).stderr ?? err).trim();
      return false;
    }
  });
  if (!s) {
    t.skip(`the kernel has no wireguard module ("ip link add ... type wireguard": ${missing})`);
    return;
  }
  await routedThroughTunnel(t, s);
});

test('an interface block naming a tun device: check and run say it has no link layer (ARPHRD_NONE)', { skip, timeout: 60_000 }, async (t) => {
  const s = setup(t, 'tnc', (lab, box, name) => {
    lab.exec(box, 'ip', ['tuntap', 'add', 'mode', 'tun', 'name', name]);
    return true;
  })!;
  const { lab, dir, box, down } = s;
  const config = join(dir, 'tun.conf');
  writeFileSync(config, `interface bx0\n rule 198.51.100.0/24 203.0.113.0/24 route\nend\ninterface ${down}\n rule 0.0.0.0/0 198.51.100.0/24 self\nend\n`);
  // check: an error with the file position, the link type and the way out; exit status 1.
  let status = 0;
  let stderr = '';
  try {
    execFileSync('ip', ['netns', 'exec', box, process.execPath, BIN, 'check', '--quiet', '--config', config], { stdio: 'pipe' });
  } catch (err) {
    const e = err as { status: number; stderr: Buffer };
    status = e.status;
    stderr = e.stderr.toString();
  }
  assert.equal(status, 1, stderr);
  assert.match(stderr, new RegExp(`tun\\.conf:4:1: ${down} is a link without link layer, ARPHRD_NONE`));
  assert.match(stderr, /'route' rule/);
  // run: the Ethernet interface captures; the tunnel's ring open is refused with the link type.
  const d = new DaemonProcess(lab, box, ['--config', config, '--no-control', '--tick', '50']);
  t.after(() => { void d.signal('SIGTERM').catch(() => {}); });
  await d.started();
  const failed = await d.waitLog((l) => l.event === 'ring_open_failed' && l.interface === down, 5000);
  assert.equal(failed.code, 'E_LINK_TYPE', d.describe());
  assert.match(String(failed.msg), /ARPHRD_NONE/);
  assert.ok(d.logs.some((l) => l.event === 'ring_open' && l.interface === 'bx0'), d.describe());
  assert.ok(!d.logs.some((l) => l.event === 'ring_open' && l.interface === down), 'no ring on the tunnel');
});

test('tun downstream: probe on a link without link layer falls back to the route through it', { skip, timeout: 60_000 }, async (t) => {
  const s = setup(t, 'tpr', (lab, box, name) => {
    lab.exec(box, 'ip', ['tuntap', 'add', 'mode', 'tun', 'name', name]);
    return true;
  })!;
  const { lab, dir, up, box, down } = s;
  const config = join(dir, 'neighproxy.conf');
  // No 'interface' block for the tunnel (it could not have one): the probe asks its route.
  writeFileSync(config, `interface bx0\n rule 198.51.100.0/24 203.0.113.0/24 verbose probe ${down}\n rule ::/0 2001:db8:7::/64 verbose probe ${down}\nend\n`);
  const d = new DaemonProcess(lab, box, ['--config', config, '--no-control', '--tick', '50']);
  t.after(() => { void d.signal('SIGTERM').catch(() => {}); });
  await d.started();
  assert.equal(await kernelResolve(lab, up, 'u0', '203.0.113.9', 6000), BOX_MAC, d.describe());
  assert.equal(await kernelResolve(lab, up, 'u0', '2001:db8:7::9', 6000), BOX_MAC, `IPv6\n${d.describe()}`);
  lab.exec(box, 'ip', ['route', 'del', '203.0.113.0/24', 'dev', down]);
  assert.equal(await kernelResolve(lab, up, 'u0', '203.0.113.20', 2500), undefined, `not routed through ${down}: not answered\n${d.describe()}`);
  assert.ok(d.logs.some((l) => l.reason === 'probe_absent'), d.describe());
  assert.ok(!d.logs.some((l) => l.event === 'ring_open' && l.interface === down), 'no ring on the tunnel');
});
