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

for (const sample of ['dist', 'multi']) {
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

test('bad ndppd.conf: compiler-style errors, exit 1', async () => {
  const r = await run('ndppd-bad.conf');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const f = 'test/cli/fixtures/ndppd-bad.conf';
  assert.deepEqual(r.stderr.trimEnd().split('\n'), [
    `${f}:2:12: found 'maybe', expected 'yes' or 'no'`,
    `${f}:3:10: found '192.0.2.0/24', expected an IPv6 address or prefix (ndppd proxies IPv6 only)`,
    `${f}:7:9: found 'statik', expected 'static', 'auto', 'iface IF', 'autovia' or '}'`,
    `${f}:9:5: found 'frobnicate', expected a proxy option: router, timeout, ttl, deadtime, autowire, keepalive, retries, promiscuous, rule or '}'`,
  ]);
  assert.throws(() => importNdppd('proxy eth0 {\n rule 2001:db8::/64 { static }\n', 'x.conf'), (e: unknown) =>
    e instanceof ConfigError && e.message === "x.conf:3:1: found end of file, expected '}' closing 'proxy eth0'");
  assert.throws(() => importNdppd('# nothing\n', 'e.conf'), /expected at least one 'proxy IFACE/);
});

test('usage: exactly one FILE', async () => {
  for (const argv of [[], ['a', 'b'], ['--x']]) {
    const { io } = capture();
    assert.equal(await runImportNdppd(argv, io), 2);
  }
  const { io, out } = capture();
  assert.equal(await runImportNdppd(['/nonexistent/ndppd.conf'], io), 1);
  assert.match(out.stderr, /ENOENT/);
});
