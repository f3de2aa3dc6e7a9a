import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runImportParpd } from '../../src/cli/commands/import-parpd';
import { importParpd } from '../../src/config/parpd-import';
import { ActionKind, ConfigError, parseConfig } from '../../src/config';
import type { Rule } from '../../src/config/types';
import { mask4, parseIp4, parseMac } from '../../src/net/addr';
import { capture } from './fixtures/capture';

const ROOT = join(__dirname, '..', '..', '..');
const FIX = join(ROOT, 'test', 'cli', 'fixtures');

async function run(argv: string[]) {
  const { io, out } = capture();
  const code = await runImportParpd(argv.map((a) => (a.endsWith('.conf') ? join(FIX, a) : a)), io);
  const rel = (s: string) => s.split(`${FIX}/`).join('test/cli/fixtures/');
  return { code, stdout: rel(out.stdout), stderr: rel(out.stderr) };
}

for (const sample of ['marples', 'marples-lenient']) {
  test(`import-parpd ${sample}: golden output that our parser accepts without warnings`, async () => {
    const r = await run([`parpd-${sample}.conf`, '--interface', 'eth0']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(FIX, `import-parpd-${sample}.golden`), 'utf8'));
    const notes = r.stdout.split('\n').filter((l) => l.startsWith('# note: ')).map((l) => l.slice(8));
    assert.ok(notes.length > 0);
    for (const n of notes) assert.ok(r.stderr.includes(`  ${n}\n`), n);
    const { config, warnings } = parseConfig(r.stdout, 'imported.conf');
    assert.ok(config.interfaces.length > 0);
    assert.deepEqual(warnings.map((w) => w.message), []);
  });
}

// An oracle written from parpd.c's proxy()/handle_arp(): on interface I, an entry of I
// containing the target, else I's 0.0.0.0 entry; nothing or 'ignore' there: the same
// over the global entries. The first rule of the import that contains the target must
// answer the same way (and answer probes exactly for 'proxy').
type P = { act: string; net: number; bits: number; mac?: number };
const ent = (act: string, pfx: string, mac?: string): P => {
  const [a, b] = pfx.split('/');
  const bits = b === undefined ? 32 : Number(b);
  return { act, net: (parpdIp(a!) & mask4(bits)) >>> 0, bits, ...(mac ? { mac: parseMac(mac)! } : {}) };
};
const parpdIp = (s: string) => parseIp4(s)!;
function lookup(list: P[], tip: number): P | undefined {
  const hit = list.filter((e) => e.net !== 0 && ((tip & mask4(e.bits)) >>> 0) === e.net).sort((a, b) => b.bits - a.bits)[0];
  return hit ?? list.find((e) => e.net === 0);
}
function parpd(own: P[], global: P[], tip: number): P | undefined {
  const a = lookup(own, tip);
  if (a && a.act !== 'ignore') return a;
  const g = lookup(global, tip);
  return g && g.act !== 'ignore' ? g : undefined;
}

test("the translation answers what Roy Marples' parpd answered, target by target", () => {
  const text = readFileSync(join(FIX, 'parpd-marples.conf'), 'utf8');
  const { config } = parseConfig(importParpd(text, 'm.conf', ['eth0']).text, 'i.conf');
  const global = [ent('proxy', '192.0.2.0/24'), ent('ignore', '192.0.2.1'), ent('halfproxy', '198.51.100.0/25', '02:00:5e:00:53:10')];
  const own: Record<string, P[]> = {
    eth1: [ent('proxy', '203.0.113.5', '02:00:5e:00:53:20'), ent('ignore', '192.0.2.128/25'), ent('proxy', '0.0.0.0')],
    eth2: [ent('halfproxy', '203.0.113.64/26')],
    eth0: [],
  };
  assert.deepEqual(config.interfaces.map((i) => i.name), ['eth1', 'eth2', 'eth0']);
  const targets = ['192.0.2.1', '192.0.2.2', '192.0.2.129', '198.51.100.3', '198.51.100.200', '203.0.113.5', '203.0.113.70', '203.0.113.9', '10.1.2.3'];
  for (const i of config.interfaces) {
    for (const t of targets) {
      const tip = parpdIp(t);
      const want = parpd(own[i.name]!, global, tip);
      const rule = i.rules.find((r: Rule) => r.target.family === 4 && ((tip & mask4(r.target.bits)) >>> 0) === (r.target as { v4: number }).v4);
      const got = !rule || rule.action.kind === ActionKind.Ignore ? undefined : rule;
      assert.equal(!!got, !!want, `${i.name} ${t}: answered`);
      if (!got || !want) continue;
      assert.equal(got.probes, want.act === 'proxy', `${i.name} ${t}: probes`);
      if (want.mac === undefined) assert.equal(got.action.kind, ActionKind.Self, `${i.name} ${t}`);
      else assert.deepEqual(got.action, { kind: ActionKind.Mac, mac: want.mac }, `${i.name} ${t}`);
    }
  }
});

test('import-parpd: global entries need the interfaces parpd ran on; errors and usage', async () => {
  assert.throws(() => importParpd('proxy 192.0.2.0/24\n', 'g.conf'), (e: unknown) =>
    e instanceof ConfigError && /^g\.conf:1:1: no 'interface' line: .*--interface IF/.test(e.message));
  assert.throws(() => importParpd('interface\n', 'i.conf'), /i\.conf:1:10: found end of line, expected an interface name after 'interface'/);
  const two = importParpd('proxy 192.0.2.5\n', 'g.conf', ['a0', 'b0']);
  assert.deepEqual(parseConfig(two.text, 'x').config.interfaces.map((i) => [i.name, i.rules.length]), [['a0', 1], ['b0', 1]]);
  for (const argv of [[], ['a', 'b'], ['--x'], ['f', '--interface']]) {
    const { io } = capture();
    assert.equal(await runImportParpd(argv, io), 2, argv.join(' '));
  }
  const r = await run(['/nonexistent/parpd.conf']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ENOENT/);
});

test('import-parpd: the messages every command gives, -i repeats, - reads standard input', async () => {
  for (const [argv, msg] of [
    [['f', '--interfce', 'eth0'], "unknown option '--interfce' (did you mean --interface?)"],
    [['f', '--interface'], '--interface needs an IF'],
    [['f', '-i', '--interface', 'eth0'], "-i needs an IF, found the option '--interface'"],
    [['a', 'b'], "unexpected argument 'b' (import-parpd takes at most FILE)"],
    [['-i', 'eth0'], 'which file? expected FILE, or - for standard input'],
  ] as const) {
    const { io, out } = capture();
    assert.equal(await runImportParpd([...argv], io), 2, argv.join(' '));
    assert.equal(out.stderr, `neighproxy import-parpd: ${msg}\ntry 'neighproxy import-parpd --help'\n`, argv.join(' '));
  }
  const { io, out } = capture();
  const code = await runImportParpd(['-', '-i', 'a0', '--interface=b0'], { ...io, readFile: (p) => (p === '-' ? 'proxy 192.0.2.5\n' : assert.fail(p)) });
  assert.equal(code, 0, out.stderr);
  assert.deepEqual(parseConfig(out.stdout, 'x').config.interfaces.map((i) => i.name), ['a0', 'b0']);
  const bad = capture();
  assert.equal(await runImportParpd(['-'], { ...bad.io, readFile: () => 'interface\n' }), 1);
  assert.match(bad.out.stderr, /^<stdin>:1:10: /);
});
