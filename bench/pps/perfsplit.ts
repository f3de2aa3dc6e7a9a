// Where a responder's CPU goes, from a `perf record -g` of it (bench --perf DIR): each
// sample is put in one bucket by its call stack, so the buckets add up to the whole.
//
// On veth the receiver's work runs inside the sender's sendto(): veth_xmit queues the
// frame on this CPU's backlog and the softirq that delivers it (to the generator's
// capture ring, to the far namespace's stack, then frees it) runs when sendto re-enables
// bottom halves. A responder talking to a NIC would not pay that part; the split shows it
// apart ("sendto: far side") from the send path proper ("sendto: send path").
import { execFileSync } from 'node:child_process';

export const PERF_BUCKETS = [
  'user (JS, node, addon)',
  'sendto: send path',
  'sendto: far side (veth runs it inside the send)',
  'epoll_wait',
  'other system calls',
  'interrupts, faults, other kernel',
] as const;
export type PerfBucket = (typeof PERF_BUCKETS)[number];

/** The bucket of one sample from its frames (leaf first) and whether the leaf is kernel code. */
export function bucketOf(frames: string[], leafInKernel: boolean): PerfBucket {
  if (!leafInKernel) return 'user (JS, node, addon)';
  const has = (s: string): boolean => frames.some((f) => f === s);
  if (has('__sys_sendto')) return has('handle_softirqs') ? 'sendto: far side (veth runs it inside the send)' : 'sendto: send path';
  if (frames.some((f) => f.startsWith('do_epoll_wait') || f === '__x64_sys_epoll_wait' || f === '__x64_sys_epoll_pwait')) return 'epoll_wait';
  if (has('do_syscall_64')) return 'other system calls';
  return 'interrupts, faults, other kernel';
}

/** Share of samples per bucket (fractions summing to 1), and the sample count; null without samples. */
export function perfSplit(file: string): { shares: Record<PerfBucket, number>; samples: number } | null {
  let text: string;
  try {
    text = execFileSync('perf', ['script', '-i', file, '-F', 'ip,sym,dso'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30 });
  } catch {
    return null;
  }
  const counts = Object.fromEntries(PERF_BUCKETS.map((b) => [b, 0])) as Record<PerfBucket, number>;
  let samples = 0;
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').map((l) => l.trim()).filter(Boolean);
    if (lines.length === 0) continue;
    // "ffffffff81234567 __sys_sendto+0x1a ([kernel.kallsyms])"
    const frames = lines.map((l) => (l.split(/\s+/)[1] ?? '').replace(/\+0x[0-9a-f]+$/, ''));
    counts[bucketOf(frames, lines[0]!.includes('[kernel.kallsyms]'))]++;
    samples++;
  }
  if (samples === 0) return null;
  for (const b of PERF_BUCKETS) counts[b] /= samples;
  return { shares: counts, samples };
}

/** The split as lines: share of the CPU and, when known, microseconds per reply. */
export function formatSplit(name: string, split: ReturnType<typeof perfSplit>, usPerReply?: number): string {
  if (!split) return `perf ${name}: no samples\n`;
  const lines = [`where ${name}'s CPU went (${split.samples} perf samples${usPerReply ? `, ${usPerReply.toFixed(2)} us per reply` : ''}):`];
  for (const b of PERF_BUCKETS) {
    const share = split.shares[b];
    const us = usPerReply ? `  ${(share * usPerReply).toFixed(2).padStart(5)} us/reply` : '';
    lines.push(`  ${(100 * share).toFixed(1).padStart(5)} %${us}  ${b}`);
  }
  return lines.join('\n') + '\n';
}
