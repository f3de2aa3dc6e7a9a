import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateSearch } from '../../bench/pps/ratesearch';

/** Drives a search against a responder that answers everything up to `capacity` req/s. */
function drive(s: RateSearch, capacity: number): number[] {
  const asked: number[] = [];
  for (let guard = 0; guard < 100; guard++) {
    const rate = s.next();
    if (rate === undefined) return asked;
    asked.push(rate);
    s.record({ nominal: rate, offered: rate, answered: rate <= capacity ? 1 : capacity / rate });
  }
  throw new Error('search did not end');
}

test('walks the grid, then bisects between the last pass and the first failure', () => {
  const s = new RateSearch({ grid: [400, 100, 200, 800], refineSteps: 3, failuresToStop: 1 });
  const asked = drive(s, 300);
  assert.deepEqual(asked.slice(0, 3), [100, 200, 400]); // sorted grid, stops at the first failure
  assert.equal(asked.length, 6); // three refinements
  for (const r of asked.slice(3)) assert.ok(r > 200 && r < 400, `refinement ${r} within the bracket`);
  const res = s.result();
  assert.equal(res.bound, 'found');
  assert.ok(res.rate > 200 && res.rate <= 300, `found ${res.rate}`);
});

test('a responder that never fails is reported as bounded by the grid', () => {
  const s = new RateSearch({ grid: [10, 20, 40] });
  assert.deepEqual(drive(s, 1e9), [10, 20, 40]);
  assert.deepEqual(s.result(), { rate: 40, bound: 'max' });
});

test('failing at the lowest grid rate searches below it', () => {
  const s = new RateSearch({ grid: [1000, 2000], refineSteps: 4, failuresToStop: 2 });
  const asked = drive(s, 300);
  assert.ok(asked.slice(2).every((r) => r < 1000), `asked ${asked}`);
  const res = s.result();
  assert.ok(res.rate > 0 && res.rate <= 300, `found ${res.rate}`);
});

test('uses the achieved rate, and passes below the first failure only', () => {
  const s = new RateSearch({ grid: [100, 200, 300], refineSteps: 0, failuresToStop: 3 });
  s.record({ nominal: 100, offered: 95, answered: 1 });
  s.record({ nominal: 200, offered: 190, answered: 0.5 });
  s.record({ nominal: 300, offered: 280, answered: 0.9995 }); // a lucky pass above a failure
  assert.deepEqual(s.result(), { rate: 95, bound: 'found' });
});

test('the threshold is 99.9% by default', () => {
  const s = new RateSearch({ grid: [1] });
  assert.equal(s.passes({ nominal: 1, offered: 1, answered: 0.999 }), true);
  assert.equal(s.passes({ nominal: 1, offered: 1, answered: 0.9989 }), false);
});

test('rejects an empty or invalid grid', () => {
  assert.throws(() => new RateSearch({ grid: [] }), RangeError);
  assert.throws(() => new RateSearch({ grid: [0] }), RangeError);
});
