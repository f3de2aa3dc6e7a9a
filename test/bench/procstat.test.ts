import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parsePidStatSplit,
  parsePidStatTicks,
  parseSoftirqTicks,
  parseStatusKiB,
  peakRssKiB,
  processCpuSeconds,
  processCpuSplit,
} from '../../bench/pps/procstat';

test('utime + stime from /proc/PID/stat, with spaces and parens in comm', () => {
  const line = '1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 500 0 0 0 731 269 0 0 20 0 3 0 100 1000000 250 18446744073709551615';
  assert.equal(parsePidStatTicks(line), 731 + 269);
});

test('VmHWM from /proc/PID/status', () => {
  const text = 'Name:\tnode\nVmPeak:\t  900000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40000 kB\n';
  assert.equal(parseStatusKiB(text, 'VmHWM'), 51234);
  assert.ok(Number.isNaN(parseStatusKiB(text, 'VmSwap')));
});

test('softirq ticks from the cpu line of /proc/stat', () => {
  const text = 'cpu  10862 0 4479 107058 308 0 76 152 0 0\ncpu0 4671 0 1917 54785 17 0 19 76 0 0\n';
  assert.equal(parseSoftirqTicks(text), 76);
  assert.throws(() => parseSoftirqTicks('intr 1 2 3\n'));
});

test('the live process has CPU time and a peak RSS; a dead pid gives NaN', () => {
  assert.ok(processCpuSeconds(process.pid) > 0);
  assert.ok(peakRssKiB(process.pid) > 1000);
  assert.ok(Number.isNaN(processCpuSeconds(0x3fffffff)));
});

test('user and system split of a live process add up to its total', () => {
  const s = processCpuSplit(process.pid);
  assert.ok(s.user >= 0 && s.system >= 0);
  assert.ok(Math.abs(s.user + s.system - processCpuSeconds(process.pid)) < 0.05);
  assert.deepEqual(parsePidStatSplit('1 (x) S 1 1 1 0 -1 0 0 0 0 0 7 3 0 0'), { utime: 7, stime: 3 });
});
