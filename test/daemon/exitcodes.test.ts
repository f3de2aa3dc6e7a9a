import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nobodySkipReason, readableRoot } from '../helpers/unprivileged';
import { EXIT_CONFIG, EXIT_NOPERM, EXIT_RUNTIME, startFailureExit } from '../../src/daemon/exitcodes';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'neighproxy');
const root = process.getuid?.() === 0;
const GOOD = 'interface lo\n rule 192.0.2.0/24 192.0.2.9/32 self\nend\n';

function run(args: string[], wrap: string[] = [], bin = BIN) {
  const [cmd, ...pre] = wrap.length ? wrap : [process.execPath];
  return spawnSync(cmd!, [...pre, ...(wrap.length ? [process.execPath] : []), bin, 'run', '--no-control', ...args],
    { encoding: 'utf8', timeout: 20000 });
}

test('start failures map to distinct exit statuses', () => {
  assert.equal(startFailureExit({ code: 'E_CONFIG_SYNTAX' }), EXIT_CONFIG);
  assert.equal(startFailureExit({ code: 'E_CONFIG_IO' }), EXIT_CONFIG);
  assert.equal(startFailureExit({ code: 'E_CONFIG_UNREADABLE_AFTER_DROP' }), EXIT_CONFIG);
  assert.equal(startFailureExit({ code: 'EPERM' }), EXIT_NOPERM);
  assert.equal(startFailureExit({ code: 'EADDRINUSE' }), EXIT_RUNTIME);
  assert.equal(startFailureExit({}), EXIT_RUNTIME);
  assert.match(spawnSync(process.execPath, [BIN, 'run', '--help'], { encoding: 'utf8' }).stdout, /\n {2}78 {2}configuration error/);
});

test('run: an invalid configuration exits 78, a usage error 2', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'npexit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, 'interface lo\n rule 192.0.2.0/24\nend\n');
  const r = run(['--config', bad, '--no-drop']);
  assert.equal(r.status, EXIT_CONFIG, r.stderr);
  assert.match(r.stdout + r.stderr, /bad\.conf:2:/);
  assert.equal(run(['--bogus']).status, 2);
});

test('run as root with --user nobody refuses a config nobody cannot read (exit 78)', { skip: !root && 'needs root' }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'npexit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const f = join(dir, 'np.conf');
  writeFileSync(f, GOOD, { mode: 0o600 });
  const r = run(['--config', f, '--user', 'nobody']);
  assert.equal(r.status, EXIT_CONFIG, r.stderr);
  assert.match(r.stderr, new RegExp(`np\\.conf will not be readable after the switch to user nobody: .*mode 0600\\) is not readable by nobody; every reload \\(SIGHUP\\) would fail with EACCES`));
});

test('run without CAP_NET_RAW exits 77', { skip: !root && 'needs root to run as nobody without capabilities' }, (t) => {
  const setpriv = spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!setpriv) return t.skip('setpriv (util-linux) is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'npexit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const f = join(dir, 'np.conf');
  writeFileSync(f, GOOD, { mode: 0o644 });
  const why = nobodySkipReason();
  if (why) return t.skip(why);
  // A copy uid 65534 can read: the checkout may sit in a mode-0700 home directory.
  const bin = join(readableRoot(), 'bin', 'neighproxy');
  const r = run(['--config', f], ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'], bin);
  assert.equal(r.status, EXIT_NOPERM, r.stderr);
  assert.match(r.stderr, /cannot capture on lo: .*CAP_NET_RAW/);
});
