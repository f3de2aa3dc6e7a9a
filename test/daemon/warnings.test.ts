import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/parse';
import { hostWarnings, unreadableAfterDrop, type SysctlReader } from '../../src/daemon/warnings';

const CONFIG = parseConfig([
  'interface eth0', ' rule 192.0.2.0/24 192.0.2.9/32 self', ' rule ::/0 2001:db8::/64 self', 'end',
  'interface eth1', ' rule 198.51.100.0/24 198.51.100.9/32 02:00:5e:00:53:01', 'end',
  'interface eth9', ' rule 203.0.113.0/24 203.0.113.9/32 self', 'end',
].join('\n'), 't.conf').config;

function sysctls(values: Record<string, string>): SysctlReader {
  const all: Record<string, string> = {};
  for (const i of ['eth0', 'eth1', 'all']) {
    for (const k of ['ipv4/conf/I/proxy_arp', 'ipv4/conf/I/forwarding', 'ipv6/conf/I/proxy_ndp', 'ipv6/conf/I/forwarding']) all[k.replace('I', i)] = '0';
  }
  Object.assign(all, values);
  return (p) => all[p] ?? null; // eth9 does not exist
}

test('no warning on a host set up as neighproxy wants', () => {
  assert.deepEqual(hostWarnings(CONFIG, sysctls({ 'ipv4/conf/all/forwarding': '1', 'ipv6/conf/all/forwarding': '1' })), []);
});

test("the kernel's own proxy_arp/proxy_ndp (interface or all) and forwarding off are named", () => {
  const w = hostWarnings(CONFIG, sysctls({ 'ipv4/conf/eth1/proxy_arp': '1', 'ipv6/conf/all/proxy_ndp': '1', 'ipv4/conf/eth0/forwarding': '1' }));
  assert.deepEqual(w.map((x) => [x.code, x.interface]), [
    ['W_KERNEL_PROXY_NDP', 'eth0'], ['W_FORWARDING_OFF', 'eth0'], ['W_KERNEL_PROXY_ARP', 'eth1'],
  ]);
  assert.match(w[2]!.message, /^net\.ipv4\.conf\.eth1\.proxy_arp is 1: the kernel answers ARP on eth1 too/);
  assert.match(w[0]!.message, /^net\.ipv6\.conf\.all\.proxy_ndp is 1/);
  assert.match(w[1]!.message, /^IPv6 forwarding is off on eth0/);
});

test('a config the dropped user cannot read is named, with owner and mode', (t) => {
  const fake = (m: Record<string, { uid: number; gid: number; mode: number }>) => (p: string) => m[p] ?? { uid: 0, gid: 0, mode: 0o40755 };
  assert.equal(unreadableAfterDrop('/etc/np/np.conf', 'nobody', 65534, 65534, fake({ '/etc/np/np.conf': { uid: 0, gid: 0, mode: 0o100644 } })), null);
  assert.equal(unreadableAfterDrop('/etc/np/np.conf', 'nobody', 65534, 65534, fake({ '/etc/np/np.conf': { uid: 0, gid: 0, mode: 0o100600 } })),
    '/etc/np/np.conf (owner uid 0, gid 0, mode 0600) is not readable by nobody');
  assert.equal(unreadableAfterDrop('/etc/np/np.conf', 'nobody', 65534, 65534, fake({ '/etc/np/np.conf': { uid: 0, gid: 65534, mode: 0o100640 } })), null);
  assert.equal(unreadableAfterDrop('/etc/np/np.conf', 'nobody', 65534, 65534, fake({ '/etc/np': { uid: 0, gid: 0, mode: 0o40700 } })),
    'directory /etc/np (owner uid 0, gid 0, mode 0700) is not searchable by nobody');
  // The real file system: root-owned 0600 in a searchable directory.
  const dir = mkdtempSync(join(tmpdir(), 'npwarn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const f = join(dir, 'np.conf');
  writeFileSync(f, '', { mode: 0o600 });
  const uid = process.getuid!();
  assert.match(unreadableAfterDrop(f, 'nobody', uid === 65534 ? 65533 : 65534, 65534) ?? '', /mode 0600\) is not readable by nobody$/);
  chmodSync(f, 0o644);
  assert.equal(unreadableAfterDrop(f, 'nobody', 65534, 65534), null);
});
