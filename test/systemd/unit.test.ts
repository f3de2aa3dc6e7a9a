// The shipped unit, checked by systemd's own tools where they are installed
// (apt install systemd); PID 1 need not be systemd: both run offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const UNIT = readFileSync(join(ROOT, 'systemd', 'neighproxy.service'), 'utf8');
const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = !analyze && 'systemd-analyze is not installed (apt install systemd)';
/** Highest `systemd-analyze security` exposure accepted (0 best, 10 worst); 1.7 when written. */
const MAX_EXPOSURE = 2.0;

/** The unit with ExecStart/ExecReload pointing at this checkout, so verify finds the binaries. */
function localUnit(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'npunit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'neighproxy.service');
  writeFileSync(path, UNIT.replaceAll('/usr/bin/neighproxy', join(ROOT, 'bin', 'neighproxy')));
  return path;
}

test('the unit says what the daemon does: notify, checked reload, exit statuses that must not restart', () => {
  const has = (line: string) => assert.ok(UNIT.split('\n').includes(line), line);
  has('Type=notify');
  has('NotifyAccess=main');
  has('ExecReload=/usr/bin/neighproxy check --quiet --config /etc/neighproxy/neighproxy.conf');
  has('ExecReload=/bin/kill -HUP $MAINPID');
  has('RestartPreventExitStatus=2 77 78');
  const reloads = UNIT.split('\n').filter((l) => l.startsWith('ExecReload='));
  assert.match(reloads[0]!, / check /, 'the file is checked before the signal');
});

test('systemd-analyze verify accepts the unit', { skip }, (t) => {
  const r = spawnSync('systemd-analyze', ['verify', localUnit(t)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.split('\n').filter((l) => /neighproxy\.service/.test(l)).join('\n'), '', 'no complaint about the unit');
});

test(`systemd-analyze security rates the unit at most ${MAX_EXPOSURE}`, { skip }, (t) => {
  const r = spawnSync('systemd-analyze', ['security', '--offline=yes', localUnit(t)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const m = /Overall exposure level for neighproxy\.service: (\d+\.\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout.slice(-300));
  t.diagnostic(`exposure ${m[1]}`);
  assert.ok(Number(m[1]) <= MAX_EXPOSURE, `exposure ${m[1]}`);
});
