// The package as a process that has dropped to uid/gid 65534 (nobody) can read it.
//
// A checkout in a home directory (/root is mode 0700) cannot be entered by nobody, so
// `setpriv --reuid=65534 node CHECKOUT/bin/neighproxy` fails with MODULE_NOT_FOUND.
// Tests that start such a process run it from a copy instead: package.json, bin/,
// dist/, the compiled addon and the production node_modules (those package-lock.json
// does not mark `dev`), in a root-owned mode-0755 directory under the system temp
// directory, made readable by all, removed when the test process exits. The copy is
// made every time (about 10 MB, well under a second), so the path is the same in CI
// as in a home directory.
import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The checkout (or installed package) these compiled tests belong to: dist/test/helpers/../../.. */
export const SOURCE_ROOT = resolve(__dirname, '..', '..', '..');

/** True when uid/gid 65534 with no groups may search every directory above and including `dir`. */
function searchableByNobody(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = statSync(d);
    const bit = st.uid === 65534 ? 0o100 : st.gid === 65534 ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

/** Why nothing can run as nobody here, or undefined. */
export function nobodySkipReason(): string | undefined {
  if (!searchableByNobody(dirname(process.execPath))) {
    return `node (${process.execPath}) is in a directory uid 65534 cannot enter; install node outside a private home directory`;
  }
  try {
    accessSync(process.execPath, constants.X_OK);
  } catch {
    return `node (${process.execPath}) is not executable`;
  }
  if (!searchableByNobody(tmpdir())) return `the temporary directory ${tmpdir()} cannot be entered by uid 65534; set TMPDIR`;
  return undefined;
}

function productionModules(root: string): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && existsSync(join(root, path)))
    .map(([path]) => path)
    // Nested packages (a/node_modules/b) come with their parent's copy.
    .filter((path, _i, all) => !all.some((other) => other !== path && path.startsWith(`${other}/`)));
}

let copy: string | undefined;

/**
 * The root of a copy of the package that uid 65534 can read: `join(root, 'bin',
 * 'neighproxy')`, `join(root, 'dist', ...)`. Made once per test process.
 */
export function readableRoot(): string {
  if (copy) return copy;
  const dir = mkdtempSync(join(tmpdir(), 'np-ro-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const part of ['package.json', 'bin', 'dist', ...productionModules(SOURCE_ROOT)]) {
    cpSync(join(SOURCE_ROOT, part), join(dir, part), { recursive: true, dereference: true });
  }
  for (const addon of ['build/Release/neighproxy.node', 'prebuilds']) {
    if (existsSync(join(SOURCE_ROOT, addon))) cpSync(join(SOURCE_ROOT, addon), join(dir, addon), { recursive: true });
  }
  chmodTree(dir);
  copy = dir;
  return dir;
}

/** a+rX over the tree: files readable, directories searchable, by everyone. */
function chmodTree(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) chmodTree(join(path, name));
  } else {
    chmodSync(path, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

/**
 * `neighproxy run --config CONFIG --no-control` in namespace `ns` as uid/gid 65534 with no
 * capabilities (from readableRoot()): its exit status and standard error.
 */
export function runWithoutCaps(ns: string, config: string, timeoutMs: number): { code: number; stderr: string } {
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all',
      process.execPath, join(readableRoot(), 'bin', 'neighproxy'), 'run', '--config', config, '--no-control'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stderr: string };
    return { code: e.status, stderr: e.stderr };
  }
}
