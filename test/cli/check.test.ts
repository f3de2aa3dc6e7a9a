import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCheck, command, compiledFilterDescriber } from '../../src/cli/commands/check';
import { defaultFilterDescriber } from '../../src/config/summary';
import { loadConfig } from '../../src/config';
import { capture } from './fixtures/capture';

const ROOT = join(__dirname, '..', '..', '..');
const golden = (name: string): string => readFileSync(join(ROOT, 'test', 'cli', 'fixtures', name), 'utf8');

// Golden outputs use the default describer: the real filters belong to src/bpf's tests.
async function check(file: string, describe: Parameters<typeof runCheck>[2] = defaultFilterDescriber) {
  const { io, out } = capture();
  const abs = join(ROOT, file);
  const code = await runCheck(['--config', abs], io, describe);
  return { code, stdout: out.stdout.split(abs).join(file), stderr: out.stderr.split(abs).join(file) };
}

test('check summarises the parpd seed example (golden)', async () => {
  const r = await check('examples/parpd.conf');
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, golden('check-parpd.golden'));
});

test('check summarises IPv6, statics, VLANs and ND settings (golden)', async () => {
  const r = await check('examples/access-router.conf');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, golden('check-access-router.golden'));
});

test('the filter line comes from the injected describer, per interface', async () => {
  const seen: string[] = [];
  const r = await check('examples/parpd.conf', (ifc) => {
    seen.push(ifc.name);
    return `arp and not src net 0.0.0.0 (${ifc.rules.length} rules)`;
  });
  assert.deepEqual(seen, ['em0']);
  assert.match(r.stdout, /\n {2}filter {5}arp and not src net 0\.0\.0\.0 \(7 rules\)\n/);
});

test('the BPF compiler describes filters when it is built alongside', (t) => {
  const describe = compiledFilterDescriber();
  if (!describe) {
    t.skip('src/bpf/compile is not on this branch yet');
    return;
  }
  const { config } = loadConfig(join(ROOT, 'examples', 'parpd.conf'));
  assert.match(describe(config.interfaces[0]!, config), /^(policy filter, \d+ instructions|default ARP\+NS filter \(.+\))$/);
});

test('an invalid file: every error on stderr, compiler style, exit 1, nothing on stdout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neighproxy-check-'));
  try {
    const f = join(dir, 'bad.conf');
    writeFileSync(f, 'interface eth0\n rule 0.0.0.0/0 2001:db8::/32 tell\n rule 0.0.0.0/0 0.0.0.0/0\nend\nend\n');
    const { io, out } = capture();
    assert.equal(await runCheck(['-c', f], io), 1);
    assert.equal(out.stdout, '');
    assert.deepEqual(out.stderr.trimEnd().split('\n'), [
      `${f}:2:17: found '2001:db8::/32', expected an IPv4 target like the source '0.0.0.0/0' (a rule is IPv4 or IPv6, not both)`,
      `${f}:3:26: found end of line, expected an action: ignore, tell, self, route, an IP address (redirect), a MAC address, or template MAC/BITS`,
      `${f}:5:1: found 'end', expected 'cache' or 'interface' ('end' closes a block, and none is open)`,
      `${f}: 3 errors; configuration not valid`,
    ]);
    // Warnings alone do not fail the check; they go to stderr.
    writeFileSync(f, 'interface eth0\n rule 0.0.0.0/0 0.0.0.0/0 tell\n rule 192.0.2.0/24 0.0.0.0/0 ignore\nend\n');
    const w = capture();
    assert.equal(await runCheck([`--config=${f}`], w.io), 0);
    assert.match(w.out.stderr, /^.*bad\.conf:3:2: warning: rule never matches: the rule at line 2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2; an unreadable file exits 1 with E_CONFIG_IO text', async () => {
  for (const argv of [[], ['--config'], ['a.conf', 'b.conf'], ['--config', 'x', 'y.conf'], ['--config', 'x', '--verbose']]) {
    const { io, out } = capture();
    assert.equal(await runCheck(argv, io), 2, argv.join(' '));
    assert.match(out.stderr, /^neighproxy check: /);
  }
  const { io, out } = capture();
  assert.equal(await runCheck(['--config', '/nonexistent/x.conf'], io), 1);
  assert.match(out.stderr, /^\/nonexistent\/x\.conf: cannot read configuration: ENOENT/);
});

test('the installed command reports exit codes through main (0, 1, 2)', () => {
  const bin = join(ROOT, 'bin', 'neighproxy');
  const ok = spawnSync(process.execPath, [bin, 'check', '--config', join(ROOT, 'examples', 'tinc.conf')], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /interface tap0/);
  assert.equal(spawnSync(process.execPath, [bin, 'check', '--config', '/nonexistent'], { encoding: 'utf8' }).status, 1);
  assert.equal(spawnSync(process.execPath, [bin, 'check'], { encoding: 'utf8' }).status, 2);
  assert.ok(command.usage.includes('--config FILE'));
});

test("check FILE, -q, and this host's kernel warnings on stderr", async () => {
  const { io, out } = capture();
  const file = join(ROOT, 'examples', 'tinc.conf');
  const seen: string[] = [];
  const host = (c: { interfaces: { name: string }[] }) => {
    seen.push(...c.interfaces.map((i) => i.name));
    return [{ code: 'W_KERNEL_PROXY_ARP' as const, interface: 'tap0', message: 'net.ipv4.conf.tap0.proxy_arp is 1: ...' }];
  };
  assert.equal(await runCheck(['-q', file], io, defaultFilterDescriber, host), 0);
  assert.equal(out.stdout, '', '-q prints no summary');
  assert.ok(seen.length > 0);
  assert.equal(out.stderr, 'neighproxy check: warning: net.ipv4.conf.tap0.proxy_arp is 1: ...\n');
});

test('check = run: what run cannot open is an error here, with FILE:LINE:COL and a code', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neighproxy-check-'));
  try {
    const f = join(dir, 'limits.conf');
    // 15 characters, 16 bytes: run used to abort on a native assertion (exit 134).
    writeFileSync(f, 'cache\n tablesize 1000000000\nend\ninterface kunde-müller-01\n rule 0.0.0.0/0 0.0.0.0/0 self\nend\n');
    const { io, out } = capture();
    assert.equal(await runCheck(['-c', f], io), 1);
    assert.deepEqual(out.stderr.trimEnd().split('\n'), [
      `${f}:2:12: found '1000000000', expected the maximum number of entries, at most 16777216 (about 114 bytes each: this would need 107 GiB, the most 1.78 GiB)`,
      `${f}:4:11: found 'kunde-müller-01', expected an interface name of at most 15 bytes (Linux IFNAMSIZ): it has 15 characters but 16 bytes of UTF-8`,
      `${f}: 2 errors; configuration not valid`,
    ]);
    assert.throws(() => loadConfig(f), (e: unknown) => (e as { code?: string }).code === 'E_CONFIG_LIMIT');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty file is valid but warned about: run would answer nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neighproxy-check-'));
  try {
    const f = join(dir, 'empty.conf');
    writeFileSync(f, '');
    const { io, out } = capture();
    assert.equal(await runCheck(['-c', f], io), 0);
    assert.equal(out.stderr, `${f}:1:1: warning: no 'interface NAME' block: 'run' would open no interface and answer nothing\n`);
    assert.match(out.stdout, /valid: 0 interface\(s\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
