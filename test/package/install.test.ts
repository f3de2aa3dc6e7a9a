// The published package as a user gets it: `npm pack` of a copy of this checkout (its
// prepack compiles, writes the man pages and makes the N-API prebuild), installed
// offline from the npm cache into a fresh project with no compiler, make or python on
// PATH, then `neighproxy check` and, as root, `neighproxy demo` from there.
// Slow (a full TypeScript and addon build): bounded at 10 minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { configPage, daemonPage } from '../../src/cli/man';
import { needsNetns } from '../helpers/netns';

const ROOT = join(__dirname, '..', '..', '..');
const GENERATED = new Set(['node_modules', 'dist', 'build', 'prebuilds', 'man', '.git']);
/** What node-gyp would need to build the addon from source. */
const COMPILERS = /^(g\+\+|c\+\+|cc|gcc|make|gmake|clang.*|cpp|python.*|node-gyp|.*-(gcc|g\+\+|cc|c\+\+)(-[\d.]+)?|(gcc|g\+\+|cpp)-[\d.]+)$/;

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? realpathSync(r.stdout.trim()) : undefined;
}

const npmCli = which('npm');
const skip = !npmCli ? 'needs npm' : !which('tar') ? 'needs tar' : !existsSync(join(ROOT, 'package-lock.json')) ? 'needs a source checkout (package-lock.json)' : undefined;

/** A lockfile for a project depending on the tarball: the checkout's production entries, so `npm ci --offline` needs no registry. */
function projectLock(tarball: string): object {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { dependencies: { neighproxy: spec } },
    'node_modules/neighproxy': { version: pkg.version, resolved: spec, hasInstallScript: true, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin },
  };
  for (const [k, v] of Object.entries(lock.packages)) if (k.startsWith('node_modules/') && !v.dev) packages[k] = v;
  return { name: 'np-install-test', lockfileVersion: 3, requires: true, packages };
}

test('npm pack, then an offline install with no compiler on PATH: check and demo run from the installed copy', { skip, timeout: 600_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'np-pack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, 'src');
  cpSync(ROOT, src, { recursive: true, filter: (p) => !GENERATED.has(relative(ROOT, p).split('/')[0]!) && !p.endsWith('.tgz') });
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));

  const t0 = Date.now();
  execFileSync('npm', ['pack', '--pack-destination', dir, '--loglevel', 'error'], { cwd: src, stdio: ['ignore', 'ignore', 'pipe'], timeout: 540_000 });
  t.diagnostic(`npm pack (prepack: tsc, man pages, prebuildify): ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const tgz = join(dir, `neighproxy-${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}.tgz`);
  const files = execFileSync('tar', ['tzf', tgz], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
  t.diagnostic(`tarball ${basename(tgz)}: ${statSync(tgz).size} bytes, ${files.length} files`);
  for (const f of ['LICENSE', 'README.md', 'bin/neighproxy', 'dist/src/cli/main.js', 'man/neighproxy.8', 'man/neighproxy.conf.5',
    'examples/parpd.conf', 'docs/daemon.md', 'systemd/neighproxy.service', 'binding.gyp']) {
    assert.ok(files.includes(f), `tarball lacks ${f}`);
  }
  assert.ok(files.some((f) => /^prebuilds\/linux-x64\/[^/]+\.node$/.test(f)), `no linux-x64 prebuild in\n${files.join('\n')}`);
  assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('bench/') || f.startsWith('build/')), 'tests, bench or build/ shipped');
  assert.match(execFileSync('tar', ['xzf', tgz, '-O', 'package/LICENSE'], { encoding: 'utf8' }), /^MIT License\n\nCopyright \(c\) 2026 the neighproxy authors\n/);
  // The shipped pages are what the generator makes of the help texts.
  assert.equal(execFileSync('tar', ['xzf', tgz, '-O', 'package/man/neighproxy.conf.5'], { encoding: 'utf8' }), configPage().text);
  assert.equal(execFileSync('tar', ['xzf', tgz, '-O', 'package/man/neighproxy.8'], { encoding: 'utf8' }), daemonPage().text);

  // PATH: every command of the usual directories except compilers, make and python,
  // as symlinks in one directory; a build from source would fail.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(npmCli!, join(bin, 'npm'));
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!existsSync(d)) continue;
    for (const name of readdirSync(d)) {
      if (COMPILERS.test(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(d, name), join(bin, name));
    }
  }
  const env = { HOME: process.env.HOME ?? '/root', PATH: bin };
  for (const c of ['g++', 'c++', 'cc', 'gcc', 'make', 'python3']) {
    assert.notEqual(spawnSync('/bin/sh', ['-c', `command -v ${c}`], { env }).status, 0, `${c} reachable`);
  }
  const proj = join(dir, 'proj');
  mkdirSync(proj);
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'np-install-test', private: true, dependencies: { neighproxy: `file:${tgz}` } }));
  writeFileSync(join(proj, 'package-lock.json'), JSON.stringify(projectLock(tgz)));
  const install = spawnSync(join(bin, 'npm'), ['ci', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: proj, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(install.status, 0, `npm ci failed:\n${install.stdout}\n${install.stderr}`);
  t.diagnostic(`install: ${install.stdout.trim().split('\n').pop()}`);

  const pkg = join(proj, 'node_modules', 'neighproxy');
  const np = join(proj, 'node_modules', '.bin', 'neighproxy');
  assert.ok(!existsSync(join(pkg, 'build')), 'nothing was compiled at install');
  const checked = spawnSync(np, ['check', '--config', join(pkg, 'examples', 'parpd.conf')], { env, encoding: 'utf8' });
  assert.equal(checked.status, 0, checked.stderr);
  assert.match(checked.stdout, /parpd\.conf: valid: 1 interface\(s\), 7 rule\(s\)/);
  const help = spawnSync(np, ['--help'], { env, encoding: 'utf8' }).stdout;
  assert.match(help, /^ {2}bench +not in this installed copy/m, help);
  const bench = spawnSync(np, ['bench'], { env, encoding: 'utf8' });
  assert.equal(bench.status, 1);
  assert.match(bench.stderr, /part of the source checkout.*npm run bench/);

  const noNetns = needsNetns();
  if (noNetns) return void t.diagnostic(`demo skipped: ${noNetns}`);
  const demo = spawnSync(np, ['demo'], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(demo.status, 0, `${demo.stdout}\n${demo.stderr}`);
  assert.match(demo.stdout, /^ok: both addresses resolved/m);
});
