// CPU and memory accounting from /proc.
//
// User-space responders: utime + stime of the responder process (/proc/PID/stat fields
// 14 and 15, all threads, in clock ticks), and VmHWM (peak resident set) from
// /proc/PID/status. The kernel responders run in softirq context, so they are charged
// the softirq time of all CPUs (/proc/stat, 7th value of the `cpu` line). That figure
// also holds the softirq work every responder causes (delivery of requests to a packet
// socket, of replies to the generator's ring), so the bench shows it for every responder.
//
// This kernel samples CPU time at the tick (CONFIG_TICK_CPU_ACCOUNTING, no
// IRQ_TIME_ACCOUNTING): each tick is charged whole to what was running, so figures are
// statistical, with a resolution of 1/CLK_TCK s per CPU; the bench sums them over every
// slot of a responder to get enough ticks.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clkTck = 0;
export function clockTicksPerSecond(): number {
  if (clkTck === 0) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime in clock ticks from the text of /proc/PID/stat (comm may hold spaces and parens). */
export function parsePidStatTicks(text: string): number {
  const { utime, stime } = parsePidStatSplit(text);
  return utime + stime;
}

/** utime and stime in clock ticks from the text of /proc/PID/stat. */
export function parsePidStatSplit(text: string): { utime: number; stime: number } {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('malformed /proc/PID/stat: no ")"');
  // After "pid (comm) " come: state(3) ppid(4) ... utime(14) stime(15).
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('malformed /proc/PID/stat: utime/stime');
  return { utime, stime };
}

/** A `Vm*:` value in KiB from the text of /proc/PID/status, or NaN when absent. */
export function parseStatusKiB(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Softirq ticks from the text of /proc/stat: the `cpu` line (all CPUs), or `cpuN` for one. */
export function parseSoftirqTicks(text: string, cpu?: number): number {
  const tag = cpu === undefined ? 'cpu ' : `cpu${cpu} `;
  const line = text.split('\n').find((l) => l.startsWith(tag));
  if (!line) throw new Error('malformed /proc/stat: no cpu line');
  // cpu user nice system idle iowait irq softirq steal ...
  const v = Number(line.trim().split(/\s+/)[7]);
  if (!Number.isFinite(v)) throw new Error('malformed /proc/stat: softirq');
  return v;
}

/** CPU seconds (user + system) a live process has used, NaN when it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    return parsePidStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / clockTicksPerSecond();
  } catch {
    return NaN;
  }
}

/** User and system CPU seconds of a live process, NaN when it is gone. */
export function processCpuSplit(pid: number): { user: number; system: number } {
  try {
    const { utime, stime } = parsePidStatSplit(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { user: utime / clockTicksPerSecond(), system: stime / clockTicksPerSecond() };
  } catch {
    return { user: NaN, system: NaN };
  }
}

/** Peak resident set (VmHWM) in KiB, NaN when the process is gone. */
export function peakRssKiB(pid: number): number {
  try {
    return parseStatusKiB(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmHWM');
  } catch {
    return NaN;
  }
}

/** Softirq seconds since boot, summed over all CPUs or of one CPU. */
export function softirqSeconds(cpu?: number): number {
  return parseSoftirqTicks(readFileSync('/proc/stat', 'utf8'), cpu) / clockTicksPerSecond();
}
