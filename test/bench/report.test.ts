import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BenchUsageError, expandResponders, parseBenchArgs } from '../../bench/pps/main';
import { neighproxyConfig } from '../../bench/pps/responder-neighproxy';
import { parseConfig } from '../../src/config';
import { evaluateGoals, goalStatus, goalsTable, progressLine, textTable, type ResponderSummary } from '../../bench/pps/report';

function summary(name: string, over: Partial<ResponderSummary>): ResponderSummary {
  return {
    name, family: name.endsWith('-arp') ? 'arp' : 'ns', description: '', floodRepliesPerSec: 0, floodOfferedPerSec: 0,
    maxRate999: 0, maxRateBound: 'found', answeredAt: {}, offeredAt: {}, latency: null, cpuUsPerReply: NaN, userUsPerReply: NaN,
    systemUsPerReply: NaN, softirqUsPerReply: NaN,
    cpuModel: 'process', peakRssKiB: NaN, replies: 1, captureDrops: 0, ...over,
  };
}

test('goals compare against the reference responders of the same run', () => {
  const rs = [
    summary('neighproxy-arp', {
      floodRepliesPerSec: 900_000, answeredAt: { '400000': 0.9995 }, cpuUsPerReply: 0.8,
      latency: { rate: 100_000, samples: 10, p50us: 20, p99us: 250, p999us: 400 },
    }),
    summary('kernel-arp', { floodRepliesPerSec: 1_000_000 }),
    summary('neighproxy-ns', { floodRepliesPerSec: 1_000_000, cpuUsPerReply: 1.5 }),
    summary('kernel-ns', { floodRepliesPerSec: 400_000 }),
    summary('ndppd', { floodRepliesPerSec: 50_000 }),
    summary('npd6', { error: 'not installed' }),
  ];
  const goals = evaluateGoals(rs, { latencyRate: 100_000, arpRate: 400_000 });
  const st = Object.fromEntries(goals.map((g) => [g.text, [goalStatus(g), g.measured]]));
  assert.deepEqual(st['neighproxy-arp flood replies/s vs kernel-arp'], ['MISS', 0.9]);
  assert.deepEqual(st['neighproxy-ns flood replies/s vs kernel-ns'], ['PASS', 2.5]);
  assert.deepEqual(st['neighproxy-ns flood replies/s vs ndppd'], ['PASS', 20]);
  assert.equal(st['neighproxy-ns flood replies/s vs npd6']![0], 'N/A');
  assert.equal(st['neighproxy-arp share answered at 400k ARP requests/s']![0], 'PASS');
  assert.deepEqual(st['neighproxy-arp p99 latency at 100k requests/s'], ['MISS', 250]);
  assert.equal(st['neighproxy-ns p99 latency at 100k requests/s']![0], 'N/A');
  assert.deepEqual(st['neighproxy-arp CPU per reply'], ['PASS', 0.8]);
  assert.deepEqual(st['neighproxy-ns CPU per reply'], ['MISS', 1.5]);
  const table = goalsTable(goals);
  assert.match(table, /neighproxy-arp CPU per reply\s+0\.8 us\s+<= 1 us\s+PASS/);
});

test('a goal read at a rate the generator did not reach is void, with the reason', () => {
  const rs = [
    summary('neighproxy-arp', {
      answeredAt: { '400000': 1, '100000': 1 },
      offeredAt: { '400000': 205_000, '100000': 99_000 },
      latency: { rate: 100_000, samples: 10, p50us: 20, p99us: 50, p999us: 80 },
    }),
  ];
  const goals = evaluateGoals(rs, { latencyRate: 100_000, arpRate: 400_000 });
  const share = goals.find((g) => g.text.startsWith('neighproxy-arp share'))!;
  assert.equal(goalStatus(share), 'N/A');
  assert.match(share.missing!, /generator reached only 205k\/s of 400k\/s/);
  const lat = goals.find((g) => g.text.startsWith('neighproxy-arp p99'))!;
  assert.equal(goalStatus(lat), 'PASS', '99k of 100k is within tolerance');
});

test('text tables align columns', () => {
  const t = textTable([['a', 'bb'], ['ccc', 'd']]);
  assert.equal(t, 'a    bb\n---  --\nccc   d\n');
});

test('progress line', () => {
  assert.equal(progressLine(1, 4, 'x', 2.4, 8), '[##......]  25% 2s x');
});

test('options: quick defaults, rates with suffixes, goal rates always probed', () => {
  const q = parseBenchArgs(['--quick']);
  assert.equal(q.rounds, 1);
  assert.ok(q.duration < 1);
  const o = parseBenchArgs(['--rates', '50k,1.5M', '--rounds', '2', '--json', 'x.json']);
  assert.deepEqual(o.rates, [50_000, 100_000, 400_000, 1_500_000]);
  assert.equal(o.rounds, 2);
  assert.equal(o.json, 'x.json');
  assert.throws(() => parseBenchArgs(['--rates', 'fast']), BenchUsageError);
  assert.throws(() => parseBenchArgs(['--duration', '0']), BenchUsageError);
  assert.throws(() => parseBenchArgs(['--bogus']), BenchUsageError);
  assert.throws(() => parseBenchArgs(['--json']), BenchUsageError, 'a value is required');
  assert.equal(parseBenchArgs(['--profile', '/tmp/p']).profile, '/tmp/p');
  assert.equal(parseBenchArgs(['--generator', 'standin']).generator, 'standin');
  assert.throws(() => parseBenchArgs(['--generator', 'scapy']), BenchUsageError);
  assert.equal(parseBenchArgs([]).pace, undefined);
  assert.equal(parseBenchArgs(['--pace', 'off']).pace, 'off');
  assert.equal(parseBenchArgs(['--pace', '50000']).pace, '50000');
  assert.throws(() => parseBenchArgs(['--pace', 'slow']), BenchUsageError);
});

test('--pace writes the ring line of the bench configuration, which the daemon parses', () => {
  assert.doesNotMatch(neighproxyConfig('c0'), /ring/);
  for (const [pace, want] of [['off', 0], ['50000', 50000]] as const) {
    const text = neighproxyConfig('c0', pace);
    assert.match(text, new RegExp(`^ ring pace ${pace}$`, 'm'));
    assert.equal(parseConfig(text, 'bench.conf').config.interfaces[0]!.ring?.pace, want);
  }
});

test('responder lists expand families and reject unknown names', () => {
  assert.deepEqual(expandResponders('kernel'), ['kernel-arp', 'kernel-ns']);
  assert.deepEqual(expandResponders('arp'), ['neighproxy-arp', 'kernel-arp']);
  assert.deepEqual(expandResponders('ns,ndppd'), ['neighproxy-ns', 'kernel-ns', 'ndppd', 'npd6']);
  assert.throws(() => expandResponders('parpd'), BenchUsageError);
  assert.deepEqual(expandResponders('engine,neighproxy-arp'), ['engine-arp', 'engine-ns', 'neighproxy-arp']);
  assert.deepEqual(expandResponders('pipeline-ns'), ['pipeline-ns']);
});
