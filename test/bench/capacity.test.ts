// The 80 %-of-capacity rule of the pps bench (bench/pps/capacity.ts), with a fake probe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityTable, checkBelowCapacity, parseFractions } from '../../bench/pps/capacity';
import { parseBenchArgs } from '../../bench/pps/main';

test('each fraction of the capacity is probed `repeat` times; the worst probe and the sum lost are kept', async () => {
  const asked: number[] = [];
  let k = 0;
  const c = await checkBelowCapacity('neighproxy-ns', 100_000, [0.2, 0.8], 2, async (rate) => {
    asked.push(rate);
    const lostOne = k++ === 3; // second probe at 80 %
    const sent = rate / 2;
    return { offered: rate, answered: lostOne ? (sent - 1) / sent : 1, replies: lostOne ? sent - 1 : sent, sent };
  });
  assert.deepEqual(asked, [20_000, 20_000, 80_000, 80_000]);
  assert.equal(c.probes[0]!.lost, 0);
  assert.equal(c.probes[0]!.answered, 1);
  assert.equal(c.probes[1]!.lost, 1);
  assert.ok(c.probes[1]!.answered < 1);
  const table = capacityTable([c]);
  assert.match(table, /20 % =\s+20k\/s asked.*0 of 20000 lost {2}PASS/);
  assert.match(table, /80 % =\s+80k\/s asked.*1 of 80000 lost {2}MISS/);
});

test('fractions parse, none disables, out of range is refused', () => {
  assert.deepEqual(parseFractions('0.2,0.8'), [0.2, 0.8]);
  assert.deepEqual(parseFractions('none'), []);
  assert.throws(() => parseFractions('0,1.5'), RangeError);
});

test('--generator takes a list; --capacity sets the fractions', () => {
  const o = parseBenchArgs(['--generator', 'native,trafgen', '--capacity', '0.5']);
  assert.deepEqual(o.generators, ['native', 'trafgen']);
  assert.equal(o.generator, 'native');
  assert.deepEqual(o.capacityFractions, [0.5]);
  assert.throws(() => parseBenchArgs(['--generator', 'pktgen']), /expected native, trafgen/);
});
