import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countAtOrBelow, matchReplies } from '../../bench/pps/match';

const CYCLE = 10;

/** 100 requests 10 us apart; replies listed as [request index, latency ns]. */
function scenario(replies: Array<[number, number]>) {
  const sent = 100;
  const txNs = Float64Array.from({ length: sent }, (_, i) => 1e12 + i * 10_000);
  const rxResidue = Int32Array.from(replies.map(([i]) => i % CYCLE));
  const rxNs = Float64Array.from(replies.map(([i, lat]) => txNs[i]! + lat));
  return matchReplies(CYCLE, sent, txNs, rxResidue, rxNs, replies.length, 0);
}

test('replies match the latest request with their residue', () => {
  const m = scenario([[0, 3000], [1, 5000], [57, 25_000], [99, 1000]]);
  assert.equal(m.answered, 4);
  assert.deepEqual([...m.latencyNs], [3000, 5000, 25_000, 1000]);
});

test('a late reply (latency beyond one residue period) is charged to the newer request', () => {
  // Request 3 answered 120 us later: by then request 13 (same residue) was sent.
  const m = scenario([[3, 120_000]]);
  assert.equal(m.answered, 1);
  assert.equal(m.latencyNs[0], 20_000);
});

test('duplicates count once; replies before any request are stray', () => {
  const m = scenario([[5, 1000], [5, 2000]]);
  assert.equal(m.answered, 1);
  assert.equal(m.duplicates, 1);
  const txNs = Float64Array.of(1000, 2000);
  const early = matchReplies(CYCLE, 2, txNs, Int32Array.of(0, 1), Float64Array.of(500, 2500), 2, 0);
  assert.equal(early.stray, 1);
  assert.equal(early.answered, 1);
});

test('non-replies (residue -1) are ignored', () => {
  const txNs = Float64Array.of(1000);
  const m = matchReplies(CYCLE, 1, txNs, Int32Array.of(-1), Float64Array.of(2000), 1, 0);
  assert.equal(m.answered + m.duplicates + m.stray, 0);
});

test('slack lets a reply stamped slightly before the recorded send time match', () => {
  const txNs = Float64Array.of(1000, 2000);
  const m = matchReplies(CYCLE, 2, txNs, Int32Array.of(1), Float64Array.of(1900), 1, 500);
  assert.equal(m.answered, 1);
  assert.equal(m.latencyNs[0], 0, 'clamped at zero');
});

test('binary search counts values at or below', () => {
  const a = Float64Array.of(1, 2, 2, 5);
  assert.equal(countAtOrBelow(a, 4, 0), 0);
  assert.equal(countAtOrBelow(a, 4, 2), 3);
  assert.equal(countAtOrBelow(a, 4, 9), 4);
  assert.equal(countAtOrBelow(a, 2, 9), 2);
});
