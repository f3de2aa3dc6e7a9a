import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable, renderCache, renderRules, renderStats } from '../../src/cli/tables';
import { parseConfig } from '../../src/config/parse';
import { ConfigError } from '../../src/config/errors';
import { checkStaticEntry, handleLine, serveControl, type ControlHandler } from '../../src/daemon/control';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'neighproxy');

test('tables: aligned columns, - for untagged and unresolved', () => {
  assert.equal(formatTable(['A', 'LONGER'], [['xxxx', 'y'], ['z', 'w']]), 'A     LONGER\nxxxx  y\nz     w\n');
  const out = renderCache({ entries: [
    { interface: 'eth0', vlan: -1, family: 4, address: '192.0.2.7', mac: '02:00:5e:00:53:07', state: 'fresh' },
    { interface: 'eth1', vlan: 100, family: 6, address: '2001:db8::7', mac: null, state: 'incomplete' },
  ] });
  assert.equal(out, [
    'ADDRESS      INTERFACE  VLAN  MAC                STATE',
    '192.0.2.7    eth0       -     02:00:5e:00:53:07  fresh',
    '2001:db8::7  eth1       100   -                  incomplete',
    '',
  ].join('\n'));
  assert.doesNotMatch(out, /-1/);
  assert.equal(renderCache({ entries: [] }), 'no learned entries\n');
});

test('tables: rules with statics, stats with reloads', () => {
  const rules = renderRules({ file: '/etc/np.conf', interfaces: [{
    name: 'eth0',
    rules: [{ line: 3, source: '192.0.2.0/24', target: '192.0.2.9/32', flags: ['verbose'], action: 'self' }],
    statics: [{ line: 4, address: '192.0.2.7', mac: '02:00:5e:00:53:07', announce: true }],
  }] });
  assert.equal(rules, [
    'configuration /etc/np.conf', '', 'interface eth0',
    'LINE  SOURCE        TARGET        FLAGS    ACTION',
    '3     192.0.2.0/24  192.0.2.9/32  verbose  self',
    'LINE  STATIC     MAC                ANNOUNCE',
    '4     192.0.2.7  02:00:5e:00:53:07  yes', '',
  ].join('\n'));
  const stats = renderStats({ interfaces: [{ name: 'eth0', open: true, ifindex: 2, requests: { ipv4: 5, ipv6: 1 },
    replies: { ipv4: { self: 3, static: 1 }, ipv6: {} }, unanswered: { ipv4: 1, ipv6: 1 }, delayedAnswered: { ipv4: 0, ipv6: 0 },
    ring: { framesReceived: 9, kernelDrops: 0, txRingFull: 0 } }, { name: 'eth9', open: false, ifindex: null }], reloads: { ok: 2, failed: 1 } });
  assert.match(stats, /^INTERFACE {2}RING {4}IFINDEX {2}REQUESTS {2}REPLIES/);
  assert.match(stats, /\neth0 {7}open {4}2 {8}5\/1 {7}4\/0 /);
  assert.match(stats, /\neth9 {7}closed {2}- /);
  assert.match(stats, /reloads: 2 ok, 1 failed\n$/);
});

test('ctl add refuses what the configuration refuses, with the same words', () => {
  for (const mac of ['01:00:5e:00:00:01', '00:00:00:00:00:00', '02:00:5e:00:53']) {
    let fileMsg = '';
    try {
      parseConfig(`interface eth0\n static 192.0.2.7 ${mac}\nend\n`, 'f.conf');
    } catch (err) {
      fileMsg = (err as ConfigError).errors[0]!.message.replace(/^f\.conf:2:\d+: /, '');
    }
    assert.notEqual(fileMsg, '', `the file refuses ${mac}`);
    assert.throws(() => checkStaticEntry('192.0.2.7', mac), { code: 'E_BAD_MAC', message: fileMsg });
    const res = JSON.parse(handleLine(JSON.stringify({ cmd: 'add', address: '192.0.2.7', mac }), {} as ControlHandler));
    assert.deepEqual(res.error, { code: 'E_BAD_MAC', message: fileMsg });
  }
  assert.throws(() => checkStaticEntry('192.0.2.300', '02:00:5e:00:53:07'), { code: 'E_BAD_ADDRESS', message: "found '192.0.2.300', expected an IPv4 or IPv6 address ('300' is over 255)" });
  assert.throws(() => checkStaticEntry('192.0.2.7 announce', '02:00:5e:00:53:07'), { code: 'E_BAD_ADDRESS' });
  assert.doesNotThrow(() => checkStaticEntry('2001:db8::7', '02:00:5e:00:53:07'));
});

function ctl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, 'ctl', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('ctl del of a file static says it returns on the next reload; tables by default, -j for JSON', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'npctl-'));
  const path = join(dir, 'ctl.sock');
  const handler: ControlHandler = {
    show: (what) => (what === 'rules'
      ? { file: '/etc/np.conf', interfaces: [{ name: 'eth0', rules: [], statics: [{ line: 7, address: '192.0.2.7', mac: '02:00:5e:00:53:07', announce: false }] }] }
      : { entries: [{ interface: 'eth0', vlan: -1, family: 4, address: '192.0.2.8', mac: '02:00:5e:00:53:08', state: 'fresh' }] }),
    add: () => ({}),
    del: (req) => ({ address: req.address, removed: 1 }),
  };
  const server = await serveControl(path, handler);
  t.after(() => { server.close(); rmSync(dir, { recursive: true, force: true }); });
  const file = await ctl(['--control', path, 'del', '192.0.2.7']);
  assert.equal(file.code, 0, file.stderr);
  assert.equal(file.stdout, 'removed 192.0.2.7 (1 interface); it is defined in /etc/np.conf (line 7) and returns on the next reload: remove it there to make this last\n');
  const runtime = await ctl(['--control', path, 'del', '192.0.2.9']);
  assert.equal(runtime.stdout, 'removed 192.0.2.9 (1 interface)\n');
  const table = await ctl(['--control', path, 'show', 'cache']);
  assert.match(table.stdout, /^ADDRESS {4}INTERFACE {2}VLAN {2}MAC {16}STATE\n192\.0\.2\.8 {2}eth0 {7}- /);
  const json = await ctl(['--control', path, '-j', 'show', 'cache']);
  assert.equal(JSON.parse(json.stdout).entries[0].vlan, -1);
});
