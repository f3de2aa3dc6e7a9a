import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runImportNdppd } from '../../src/cli/commands/import-ndppd';
import { importNdppd } from '../../src/config/ndppd';
import { ActionKind, ConfigError, parseConfig } from '../../src/config';
import { capture } from './fixtures/capture';

const ROOT = join(__dirname, '..', '..', '..');
const FIX = join(ROOT, 'test', 'cli', 'fixtures');

async function run(name: string) {
  const { io, out } = capture();
  const abs = join(FIX, name);
  const code = await runImportNdppd([abs], io);
  const rel = `test/cli/fixtures/${name}`;
  return { code, stdout: out.stdout.split(abs).join(rel), stderr: out.stderr.split(abs).join(rel) };
}

// Every example ndppd ships (0.2.5's ndppd.conf-dist and the ndppd.conf(5) example; the
// later ndppd.conf-dist as 'dist'), every lexical form, and what ndppd silently accepts.
for (const sample of ['dist', 'multi', '0.2.5-dist', '0.2.5-man', 'grammar', 'lenient']) {
  test(`import-ndppd ${sample}: golden output that our parser accepts`, async () => {
    const r = await run(`ndppd-${sample}.conf`);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, readFileSync(join(FIX, `import-ndppd-${sample}.golden`), 'utf8'));
    // Everything without an equivalent is both a '# note:' comment and a stderr line.
    const notes = r.stdout.split('\n').filter((l) => l.startsWith('# note: ')).map((l) => l.slice(8));
    assert.ok(notes.length > 0);
    for (const n of notes) assert.ok(r.stderr.includes(`  ${n}\n`), n);
    const { config } = parseConfig(r.stdout, 'imported.conf');
    assert.ok(config.interfaces.length > 0);
  });
}

test('the translation means what ndppd meant', () => {
  const text = readFileSync(join(FIX, 'ndppd-multi.conf'), 'utf8');
  const { config } = parseConfig(importNdppd(text, 'm.conf').text, 'imported.conf');
  const [eth0, eth2] = config.interfaces;
  assert.equal(eth0!.name, 'eth0');
  assert.equal(eth0!.nd.router, false);
  assert.equal(eth0!.timeout, 0.25);
  assert.deepEqual(eth0!.rules.map((r) => [r.action.kind, r.source.bits, r.target.bits]), [
    [ActionKind.Route, 0, 48], // auto
    [ActionKind.Route, 0, 64], // iface eth1 (host bits masked)
  ]);
  assert.equal(eth2!.promisc, true);
  assert.equal(eth2!.nd.router, true); // ndppd's default
  assert.deepEqual(eth2!.rules.map((r) => [r.action.kind, r.target.bits]), [[ActionKind.Self, 128]]);
  assert.equal(config.cache.timeout, 60); // the longest ttl
  assert.deepEqual(config.cache.refresh, { count: 3, interval: 0.25 }); // eth0: keepalive, 3 retries, 250 ms
});

test('ndppd 0.2.5 grammar: key = value, quotes, // and /* */ comments mean what ndppd read', () => {
  const text = readFileSync(join(FIX, 'ndppd-grammar.conf'), 'utf8');
  const { config } = parseConfig(importNdppd(text, 'g.conf').text, 'imported.conf');
  const [eth0, eth2] = config.interfaces;
  assert.equal(eth0!.name, 'eth0'); // proxy "eth0"
  assert.equal(eth0!.nd.router, false); // router = "no"
  assert.equal(eth0!.timeout, 0.25); // timeout=250 ttl 60000 on one line
  assert.equal(config.cache.timeout, 60);
  assert.deepEqual(eth0!.rules.map((r) => [r.action.kind, r.target.bits]), [
    [ActionKind.Route, 48], // rule '2001:db8:a::/48' { auto }
    [ActionKind.Route, 64], // iface = eth1
    [ActionKind.Self, 128], // a rule without a block: static
  ]);
  assert.equal(eth2!.nd.router, true); // router TRUE after the rule's block, same line
  assert.deepEqual(eth2!.rules.map((r) => [r.action.kind, r.target.bits]), [[ActionKind.Self, 64]]);
  // A '/*' that never closes runs to the end, as in ndppd: the '}' inside it is gone.
  assert.throws(() => importNdppd('proxy a {\n rule 2001:db8::/64\n/* }\n', 'u.conf'), /found end of file, expected '}' closing 'proxy a'/);
  const r = importNdppd("proxy a { rule 2001:db8::/64 { static } }\n/* proxy b { rule 2001:db8:1::/64 { static } } */ // proxy c {\n", 'c.conf');
  assert.deepEqual(parseConfig(r.text, 'i.conf').config.interfaces.map((i) => i.name), ['a']);
});

test('what ndppd accepts without a word is imported as ndppd read it, with a note each', () => {
  const r = importNdppd(readFileSync(join(FIX, 'ndppd-lenient.conf'), 'utf8'), 'l.conf');
  const eth0 = parseConfig(r.text, 'i.conf').config.interfaces[0]!;
  assert.equal(eth0.nd.router, false, "'router maybe' is no to ndppd");
  assert.equal(eth0.timeout, 0.5, "'timeout 500ms' is 500 (atoi), and the repeated timeout 900 is ignored");
  assert.deepEqual(eth0.rules.map((r) => r.action.kind), [ActionKind.Self], "'statik' is ignored: no method, so static");
  for (const word of ['maybe', 'rooter', '500ms', 'repeats line 5', 'statik', 'frobnicate']) {
    assert.ok(r.notes.some((n) => n.includes(word)), `a note about ${word}`);
  }
});

test('bad ndppd.conf: what ndppd refuses too, compiler-style errors, exit 1', async () => {
  const r = await run('ndppd-bad.conf');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const f = 'test/cli/fixtures/ndppd-bad.conf';
  assert.deepEqual(r.stderr.trimEnd().split('\n'), [
    `${f}:2:10: found '192.0.2.0/24', expected an IPv6 address or prefix (ndppd proxies IPv6 only)`,
    `${f}:6:9: found nothing, expected an interface name after 'iface'`,
    `${f}:10:9: found 'auto', expected one method per rule: 'static', 'auto' or 'iface IF'`,
    `${f}:12:13: found 'soon', expected milliseconds (a whole number)`,
    `${f}:14:1: found nothing, expected an interface name after 'proxy'`,
  ]);
  assert.throws(() => importNdppd('proxy eth0 {\n rule 2001:db8::/64 { static }\n', 'x.conf'), (e: unknown) =>
    e instanceof ConfigError && e.message === "x.conf:3:1: found end of file, expected '}' closing 'proxy eth0'");
  assert.throws(() => importNdppd('# nothing\n', 'e.conf'), /expected at least one 'proxy IFACE/);
});

test('usage: exactly one FILE, the messages every command gives; - reads standard input', async () => {
  const hint = "try 'neighproxy import-ndppd --help'";
  for (const [argv, msg] of [
    [[], 'which file? expected FILE, or - for standard input'],
    [['a', 'b'], "unexpected argument 'b' (import-ndppd takes at most FILE)"],
    [['--x'], "unknown option '--x' ('import-ndppd' takes no options)"],
    [['--help=x', 'f'], "unknown option '--help' ('import-ndppd' takes no options)"],
  ] as const) {
    const { io, out } = capture();
    assert.equal(await runImportNdppd([...argv], io), 2);
    assert.equal(out.stderr, `neighproxy import-ndppd: ${msg}\n${hint}\n`, argv.join(' '));
  }
  const { io, out } = capture();
  assert.equal(await runImportNdppd(['/nonexistent/ndppd.conf'], io), 1);
  assert.match(out.stderr, /ENOENT/);
  const std = capture();
  const text = readFileSync(join(FIX, 'ndppd-multi.conf'), 'utf8');
  assert.equal(await runImportNdppd(['-'], { ...std.io, readFile: (p) => (p === '-' ? text : assert.fail(p)) }), 0);
  assert.equal(std.out.stdout, importNdppd(text, '<stdin>').text);
  const bad = capture();
  assert.equal(await runImportNdppd(['-'], { ...bad.io, readFile: () => 'proxy eth0 {\n' }), 1);
  assert.match(bad.out.stderr, /^<stdin>:2:1: found end of file/);
});
