// `neighproxy check` on large generated files: 10k/30k/100k rules, 65 536 and 70 000
// statics, 100 000 uplinks (issue 12: under 2 s each). Run:
//   npm run compile && node dist/bench/config.js [--runs N] [--base DIR] [--base-runs N] [--cases a,b] [--keep DIR]
// Each figure is the median wall time of N (default 3) runs of the real command in a
// child process; --base DIR times DIR/bin/neighproxy on the same files in the same
// invocation (--base-runs: fewer runs there, the old build takes minutes per file). The
// generated files stay in --keep DIR (default: a temp dir, removed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = join(__dirname, '..', '..');

/** n IPv4 rules, no two alike and none shadowed: the worst case for a pairwise check. */
function rulesFile(n: number): string {
  const out = ['interface eth0'];
  for (let i = 0; i < n; i++) {
    const a = i % 512;
    const b = Math.floor(i / 512) % 256;
    const src = a < 256 ? `192.0.2.${a}/32` : `203.0.113.${a - 256}/32`;
    out.push(` rule ${src} 198.51.100.${b}/32 tell`);
  }
  out.push('end');
  return out.join('\n') + '\n';
}

const hex4 = (n: number): string => n.toString(16);

/** n IPv6 statics in 2001:db8::/64 on one interface. */
function staticsFile(n: number): string {
  const out = ['interface eth0'];
  for (let i = 1; i <= n; i++) {
    const mac = `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    out.push(` static 2001:db8::${hex4(i >> 16)}:${hex4(i & 0xffff)} ${mac}`);
  }
  out.push('end');
  return out.join('\n') + '\n';
}

/** n uplinks (link-local and 2001:db8::), one per line, and one IPv6 rule. */
function uplinksFile(n: number): string {
  const out = ['interface eth0', ' rule ::/0 2001:db8::/32 self'];
  for (let i = 1; i <= n; i++) out.push(` uplink ${i % 2 ? 'fe80' : '2001:db8'}::${hex4(i >> 16)}:${hex4(i & 0xffff)}`);
  out.push('end');
  return out.join('\n') + '\n';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * Median wall and CPU (user + system) seconds of `runs` runs of `check -c file`, and the
 * exit status of the last. CPU comes from /usr/bin/time when installed: on a shared,
 * loaded machine it is the steadier figure.
 */
function timeCheck(bin: string, file: string, runs: number): { wall: number; cpu: number | undefined; status: number | null } {
  const walls: number[] = [];
  const cpus: number[] = [];
  let status: number | null = null;
  for (let i = 0; i < runs; i++) {
    const argv = [process.execPath, bin, 'check', '-c', file];
    const [cmd, ...args] = TIME ? [TIME, '-f', 'cpu %U %S', ...argv] : argv;
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd!, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
    walls.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const m = /cpu (\d+\.\d+) (\d+\.\d+)\s*$/.exec(r.stderr);
    if (m) cpus.push(Number(m[1]) + Number(m[2]));
    status = r.status;
  }
  return { wall: median(walls), cpu: cpus.length ? median(cpus) : undefined, status };
}

function main(): void {
  const { values } = parseArgs({ options: {
    runs: { type: 'string' }, base: { type: 'string' }, 'base-runs': { type: 'string' }, cases: { type: 'string' }, keep: { type: 'string' },
  } });
  const runs = Number(values.runs ?? 3);
  const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'neighproxy-bench-config-'));
  mkdirSync(dir, { recursive: true });
  const cases: [string, string][] = [
    ['rules-10k', rulesFile(10_000)],
    ['rules-30k', rulesFile(30_000)],
    ['rules-100k', rulesFile(100_000)],
    ['statics-65536', staticsFile(65_536)],
    ['statics-70k', staticsFile(70_000)],
    ['uplinks-100k', uplinksFile(100_000)],
  ];
  const bins: [string, string, number][] = [['this build', join(ROOT, 'bin', 'neighproxy'), runs]];
  if (values.base) bins.push(['base', join(values.base, 'bin', 'neighproxy'), Number(values['base-runs'] ?? runs)]);
  const only = values.cases?.split(',');
  console.log(`neighproxy check, median of ${bins.map(([n, , k]) => `${k} runs (${n})`).join(', ')}: wall s / CPU s (exit status); files in ${dir}`);
  console.log(['case'.padEnd(15), ...bins.map(([n]) => n.padStart(26))].join(''));
  try {
    for (const [name, text] of cases) {
      if (only && !only.includes(name)) continue;
      const file = join(dir, `${name}.conf`);
      writeFileSync(file, text);
      const cols = bins.map(([, bin, n]) => {
        const { wall, cpu, status } = timeCheck(bin, file, n);
        return `${wall.toFixed(2)} / ${cpu === undefined ? '-' : cpu.toFixed(2)} (exit ${status})`.padStart(26);
      });
      console.log([name.padEnd(15), ...cols].join(''));
    }
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

main();
