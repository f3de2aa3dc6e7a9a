// Summary of a V8 .cpuprofile (node --cpu-prof): self time per function and per file,
// so `--profile` prints where the responder's time goes without opening DevTools.
//   node dist/bench/pps/cpuprofile.js FILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  name: string;
  selfMs: number;
  share: number;
}

/** Self time per function ("name file:line") and per file, largest first. */
export function summarizeProfile(p: CpuProfile): { total: number; functions: ProfileRow[]; files: ProfileRow[] } {
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  // The time of sample k is deltas[k + 1]; the last sample gets the mean.
  let total = 0;
  for (let k = 0; k < samples.length; k++) {
    const dt = (k + 1 < deltas.length ? deltas[k + 1]! : (p.endTime - p.startTime) / Math.max(1, samples.length)) / 1000;
    self.set(samples[k]!, (self.get(samples[k]!) ?? 0) + dt);
    total += dt;
  }
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, ms] of self) {
    const cf = byId.get(id)!.callFrame;
    const f = cf.url ? basename(cf.url) : '(native)';
    const name = `${cf.functionName || '(anonymous)'} ${f}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + ms);
    file.set(f, (file.get(f) ?? 0) + ms);
  }
  const rows = (m: Map<string, number>): ProfileRow[] =>
    [...m].map(([name, selfMs]) => ({ name, selfMs, share: total > 0 ? selfMs / total : 0 })).sort((a, b) => b.selfMs - a.selfMs);
  return { total, functions: rows(fn), files: rows(file) };
}

export function formatProfile(p: CpuProfile, top = 20): string {
  const s = summarizeProfile(p);
  const line = (r: ProfileRow): string => `${(r.share * 100).toFixed(1).padStart(5)}%  ${r.selfMs.toFixed(0).padStart(7)} ms  ${r.name}`;
  return [
    `total sampled: ${s.total.toFixed(0)} ms`,
    'self time by function:',
    ...s.functions.slice(0, top).map(line),
    'self time by file:',
    ...s.files.slice(0, Math.min(top, 12)).map(line),
    '',
  ].join('\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/bench/pps/cpuprofile.js FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  process.stdout.write(formatProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top ?? 20)));
}
