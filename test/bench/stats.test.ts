import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, percentileSorted, percentiles, ratio, summarizeLatencyNs } from '../../bench/pps/stats';

test('nearest-rank percentiles on 1..100', () => {
  const v = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentileSorted(v, 50), 50);
  assert.equal(percentileSorted(v, 99), 99);
  assert.equal(percentileSorted(v, 99.9), 100);
  assert.equal(percentileSorted(v, 100), 100);
  assert.equal(percentileSorted(v, 0), 1);
});

test('percentiles sort their input and do not change it', () => {
  const input = [5, 1, 4, 2, 3];
  assert.deepEqual(percentiles(input, [50, 100]), [3, 5]);
  assert.deepEqual(input, [5, 1, 4, 2, 3]);
});

test('p99.9 of 1000 samples is the 999th, not the maximum', () => {
  const v = Array.from({ length: 1000 }, (_, i) => i);
  v[999] = 1e9; // one outlier
  assert.deepEqual(percentiles(v, [99.9]), [998]);
});

test('empty input gives NaN; bad percentile throws', () => {
  assert.ok(Number.isNaN(percentileSorted([], 50)));
  assert.throws(() => percentileSorted([1], 101), RangeError);
});

test('median of odd and even counts, ignoring NaN', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([NaN, 7]), 7);
  assert.ok(Number.isNaN(median([])));
});

test('ratio refuses zero and non-finite denominators', () => {
  assert.equal(ratio(6, 3), 2);
  assert.ok(Number.isNaN(ratio(1, 0)));
  assert.ok(Number.isNaN(ratio(NaN, 1)));
});

test('latency summary converts nanoseconds to microseconds', () => {
  const s = summarizeLatencyNs(Float64Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000));
  assert.equal(s.samples, 1000);
  assert.equal(s.p50us, 500);
  assert.equal(s.p99us, 990);
  assert.equal(s.p999us, 999);
  assert.equal(s.maxus, 1000);
});
