import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runImportKernel } from '../../src/cli/commands/import-kernel';
import { importKernel } from '../../src/config/kernel-import';
import { ActionKind, ConfigError, parseConfig } from '../../src/config';
import { Lab, needsNetns } from '../helpers/netns';
import { capture } from './fixtures/capture';

const ROOT = join(__dirname, '..', '..', '..');
const FIX = join(ROOT, 'test', 'cli', 'fixtures');
const BIN = join(ROOT, 'bin', 'neighproxy');
const fix = (name: string) => ({ text: readFileSync(join(FIX, name), 'utf8'), file: `test/cli/fixtures/${name}` });

test('import-kernel: proxy table, sysctls and a networkd file give the golden configuration, valid without warnings', () => {
  const r = importKernel({ neigh: fix('kernel-neigh.json'), sysctl: fix('kernel-sysctl.txt'), networkd: [fix('kernel-wan.network')] });
  assert.equal(r.text, readFileSync(join(FIX, 'import-kernel.golden'), 'utf8'));
  const { config, warnings } = parseConfig(r.text, 'imported.conf');
  assert.deepEqual(warnings.map((w) => w.message), []);
  const by = new Map(config.interfaces.map((i) => [i.name, i]));
  // Answered by the kernel, so answered here; not answered there (eth2: proxy_ndp off, eth3: forwarding off).
  assert.deepEqual([...by.keys()], ['eth0', 'eth0.100', 'eth1', 'wan0']);
  const rules = (n: string) => by.get(n)!.rules.map((x) => `${x.action.kind} ${x.target.bits}`);
  assert.deepEqual(rules('eth0'), [`${ActionKind.Route} 32`, `${ActionKind.Self} 128`, `${ActionKind.Self} 128`]);
  assert.deepEqual(rules('eth1'), [`${ActionKind.Route} 0`], 'proxy_arp covers the proxy entry');
  assert.deepEqual(rules('wan0'), [`${ActionKind.Self} 128`, `${ActionKind.Self} 128`], 'IPv6ProxyNDPAddress= implies proxy_ndp');
  assert.equal(by.get('eth0')!.nd.router, true);
  assert.match(r.text, /^# interface eth2: the kernel answers nothing here/m);
  assert.match(r.text, /^#  rule 0\.0\.0\.0\/0 198\.51\.100\.9\/32 route .*forwarding is off on eth3/m);
  assert.ok(r.notes.some((n) => /proxy_delay \(eth0 0\.8 s\)/.test(n)));
});

test('import-kernel: networkd IPv6ProxyNDP=no drops the addresses; bad input is an error', () => {
  const off = { text: '[Match]\nName=wan0\n[Network]\nIPv6ProxyNDP=no\nIPv6ProxyNDPAddress=2001:db8::1\n', file: 'off.network' };
  assert.throws(() => importKernel({ networkd: [off] }), (e: unknown) => e instanceof ConfigError && /nothing to import/.test(e.message));
  assert.throws(() => importKernel({ networkd: [{ text: '[Match]\nName=en*\n', file: 'g.network' }] }), /Name= must name one interface/);
  assert.throws(() => importKernel({ neigh: { text: '{"dst":1}', file: 'n.json' } }), /expected the JSON array of 'ip -j neigh show proxy'/);
  const noSysctl = importKernel({ neigh: { text: '[{"dst":"2001:db8::9","dev":"eth9","proxy":null}]', file: 'n.json' } });
  assert.ok(noSysctl.notes.some((n) => /no sysctls given/.test(n)));
});

test('import-kernel: usage', async () => {
  for (const argv of [[], ['--neigh'], ['--frob']]) {
    const { io } = capture();
    assert.equal(await runImportKernel(argv, { ...io, readFile: () => '[]' }), 2, argv.join(' '));
  }
  const { io, out } = capture();
  assert.equal(await runImportKernel(['--neigh', '/nonexistent.json'], { ...io, readFile: (p) => readFileSync(p, 'utf8') }), 1);
  assert.match(out.stderr, /ENOENT/);
});

test('import-kernel: the messages every command gives; - reads standard input', async () => {
  for (const [argv, msg] of [
    [['--nieghbour', 'n.json'], "unknown option '--nieghbour'"],
    [['--sysclt', 's.txt'], "unknown option '--sysclt' (did you mean --sysctl?)"],
    [['--networkd'], '--networkd needs a FILE'],
    [['--neigh', '--live'], "--neigh needs a FILE, found the option '--live'"],
    [['--neigh', 'a', '--neigh', 'b'], '--neigh given twice'],
    [['--live=yes'], "--live takes no value (found '--live=yes')"],
    [['n.json'], "unexpected argument 'n.json' (import-kernel takes no arguments)"],
    [['--neigh', '-', '--sysctl', '-'], "standard input ('-') can be one of the files, not several"],
    [[], 'give --live, or at least one of --neigh, --sysctl, --networkd'],
  ] as const) {
    const { io, out } = capture();
    assert.equal(await runImportKernel([...argv], { ...io, readFile: () => assert.fail('read before the words were checked') }), 2, argv.join(' '));
    assert.equal(out.stderr, `neighproxy import-kernel: ${msg}\ntry 'neighproxy import-kernel --help'\n`, argv.join(' '));
  }
  const files: Record<string, string> = { '-': readFileSync(join(FIX, 'kernel-neigh.json'), 'utf8'), s: readFileSync(join(FIX, 'kernel-sysctl.txt'), 'utf8'),
    a: readFileSync(join(FIX, 'kernel-wan.network'), 'utf8'), b: '[Match]\nName=lan9\n[Network]\nIPv4ProxyARP=yes\nIPForward=yes\n' };
  const { io, out } = capture();
  assert.equal(await runImportKernel(['--neigh', '-', '--sysctl', 's', '--networkd', 'a', '--networkd', 'b'], { ...io, readFile: (p) => files[p]! }), 0, out.stderr);
  const names = parseConfig(out.stdout, 'k.conf').config.interfaces.map((i) => i.name);
  assert.ok(names.includes('wan0') && names.includes('lan9'), names.join(' '));
});

test('import-kernel --live in a namespace: what the kernel was told is what is imported', { skip: needsNetns() }, (t) => {
  const lab = new Lab('kim');
  t.after(() => lab.destroy());
  const a = lab.netns('a');
  const b = lab.netns('b');
  lab.veth(a, 'up0', b, 'pe0');
  lab.veth(a, 'dn0', b, 'ce0');
  lab.exec(a, 'sysctl', ['-qw', 'net.ipv4.conf.dn0.proxy_arp=1', 'net.ipv4.conf.all.forwarding=1',
    'net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.up0.proxy_ndp=1']);
  lab.exec(a, 'ip', ['-6', 'neigh', 'add', 'proxy', '2001:db8:7::5', 'dev', 'up0']);
  lab.exec(a, 'ip', ['neigh', 'add', 'proxy', '192.0.2.9', 'dev', 'up0']);
  const text = lab.exec(a, process.execPath, [BIN, 'import-kernel', '--live']);
  const { config } = parseConfig(text, 'live.conf');
  const rules = Object.fromEntries(config.interfaces.map((i) => [i.name, i.rules.map((r) => `${r.action.kind} ${r.target.bits}`)]));
  assert.deepEqual(rules, { dn0: [`${ActionKind.Route} 0`], up0: [`${ActionKind.Route} 32`, `${ActionKind.Self} 128`] }, text);
  assert.match(text, /rule ::\/0 2001:db8:7::5\/128 self/);
});
