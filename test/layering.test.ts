// The folders of src/ are layers: a lower one never imports a higher one. Read from the
// TypeScript sources (type-only imports count: they couple the folders just the same),
// so adding such an import anywhere fails here before review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');

/** Folder -> folders it must never import. The daemon and the CLI sit on top of everything. */
const TOP = ['daemon', 'cli'];
const NEVER: Record<string, string[]> = {
  net: [...TOP, 'pipeline', 'replay', 'policy', 'wire', 'engine', 'config', 'bpf'],
  engine: [...TOP, 'pipeline', 'replay', 'policy', 'wire', 'config', 'bpf'],
  wire: [...TOP, 'pipeline', 'replay', 'policy', 'config', 'bpf'],
  config: [...TOP, 'pipeline', 'replay', 'policy', 'wire', 'bpf'],
  pcap: [...TOP, 'pipeline', 'replay', 'policy'],
  bpf: [...TOP, 'pipeline', 'replay', 'policy'],
  policy: [...TOP, 'pipeline', 'replay', 'bpf'],
  // The batch loop and its counters: below replay and the daemon, which both drive it.
  pipeline: [...TOP, 'replay', 'bpf'],
  // Offline replay: the pipeline plus the filter interpreter, never the daemon's HTTP or metrics.
  replay: TOP,
};

/** Module specifiers of `import`/`export ... from`, `import('...')` and `require('...')` in a source text. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]!);
  return out;
}

/** The src/ folder a relative specifier in `file` lands in, or null (package, builtin, outside src/). */
function targetFolder(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const rel = relative(SRC, resolve(dirname(file), spec));
  if (rel.startsWith('..')) return null;
  return rel.split(/[\\/]/)[0]!.replace(/\.ts$/, '');
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every import that runs against the layering, as `src/a/x.ts -> src/b/y`. */
function violations(files: { path: string; text: string }[]): string[] {
  const bad: string[] = [];
  for (const { path, text } of files) {
    const folder = relative(SRC, path).split(/[\\/]/)[0]!;
    const never = NEVER[folder];
    if (!never) continue;
    for (const spec of importsOf(text)) {
      const to = targetFolder(path, spec);
      if (to !== null && never.includes(to)) bad.push(`${relative(ROOT, path)} -> ${spec}`);
    }
  }
  return bad;
}

test('no folder of src/ imports a layer above it (nothing below the daemon imports src/daemon)', () => {
  const files = sources(SRC).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  assert.ok(files.length > 50, `read the sources (${files.length} files under ${SRC})`);
  for (const f of Object.keys(NEVER)) assert.ok(files.some((x) => relative(SRC, x.path).startsWith(`${f}/`)), `src/${f}/ exists`);
  assert.deepEqual(violations(files), []);
});

test('the scan sees every import form it guards against', () => {
  const at = (folder: string, text: string) => [{ path: join(SRC, folder, 'x.ts'), text }];
  assert.deepEqual(violations(at('bpf', "import { IfaceSlot } from '../daemon/pipeline';")), ["src/bpf/x.ts -> ../daemon/pipeline"]);
  assert.equal(violations(at('replay', "import type {\n  InterfaceStats,\n} from '../daemon/metrics';")).length, 1);
  assert.equal(violations(at('pipeline', "export { Daemon } from '../daemon';")).length, 1);
  assert.equal(violations(at('policy', "const m = require('../daemon/metrics');")).length, 1);
  assert.equal(violations(at('wire', "void import('../cli/main');")).length, 1);
  assert.equal(violations(at('pipeline', "import { replayFrames } from '../replay/replay';")).length, 1);
  // Allowed: downward imports, packages, builtins, and the daemon importing anything.
  assert.deepEqual(violations(at('replay', "import { Pipeline } from '../pipeline/pipeline';\nimport { x } from 'node:http';")), []);
  assert.deepEqual(violations(at('daemon', "import { replayFrames } from '../replay/replay';")), []);
});
