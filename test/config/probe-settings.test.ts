// The cache block's probe settings: parsed, bounded with their position, formatted back,
// and used by the policy for its probe tables and rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfig } from '../../src/config/format';
import { parseConfig } from '../../src/config/parse';
import { Policy } from '../../src/policy';
import { REASON_NAMES } from '../../src/policy/decision';
import { arp, ip4, mac, RecordingOutput, TestEnv } from '../policy/fixtures/build';

const RULES = 'interface up0\n rule 0.0.0.0/0 192.0.2.0/24 probe lan0\nend\ninterface lan0\nend\n';
const SET = 'cache\n probe-alive-size 64\n probe-absent-size 32\n probe-rate 2\n probe-burst 3\nend\n';

test('probe settings parse, format back, and size the policy\'s tables and rate', () => {
  const cfg = parseConfig(SET + RULES, 't.conf').config;
  assert.deepEqual(cfg.cache.probe, { aliveSize: 64, absentSize: 32, rate: 2, burst: 3 });
  assert.deepEqual(parseConfig(formatConfig(cfg), 'f.conf').config.cache.probe, cfg.cache.probe);
  assert.equal(parseConfig(RULES, 't.conf').config.cache.probe, undefined);
  const env = new TestEnv([mac('02:00:00:00:00:fe'), mac('02:00:00:00:00:fd')]);
  env.src4.set(1, ip4('198.51.100.1'));
  const policy = new Policy({ config: cfg, env, output: new RecordingOutput() });
  const reasons: string[] = [];
  for (let i = 10; i < 16; i++) reasons.push(REASON_NAMES[policy.handle(arp({ senderMac: mac('02:00:00:00:00:01'), senderIp: '192.0.2.1', targetIp: `192.0.2.${i}` }), 0, 1).reason]!);
  assert.deepEqual(reasons.filter((r) => r === 'probing').length, 3, 'the burst of 3');
  const s = policy.probes.stats(1);
  assert.equal(s.alive.capacity, 64);
  assert.equal(s.absent.capacity, 32);
  assert.equal(s.limited, 3);
  // Defaults without the settings.
  const d = new Policy({ config: parseConfig(RULES, 't.conf').config, env, output: new RecordingOutput() });
  assert.equal(d.probes.stats(1).alive.capacity, 4096);
});

test('probe settings out of bounds or twice are errors with their position', () => {
  const bad = (line: string) => () => parseConfig(`cache\n ${line}\nend\n${RULES}`, 'b.conf');
  assert.throws(bad('probe-rate 0'), /b\.conf:2:13: found '0', expected probes per second per probed interface \(a whole number of at least 1\)/);
  assert.throws(bad('probe-burst 100001'), /b\.conf:2:14: .*at most 100000/);
  assert.throws(bad('probe-alive-size 3'), /b\.conf:2:19: .*at least 4/);
  assert.throws(bad('probe-absent-size 16777217'), /at most 16777216/);
  assert.throws(bad('probe-rate 5\n probe-rate 6'), /b\.conf:3:2: .*probe-rate/);
});
