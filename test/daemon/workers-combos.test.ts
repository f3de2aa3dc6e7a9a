// `workers N` together with the other settings (issue 14): what is refused, and the
// pieces that make HA, `ctl role` and the state file work through the workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/errors';
import { parseConfig } from '../../src/config/parse';

const PROBE = [
  'interface lan0',
  ' rule 0.0.0.0/0 192.0.2.0/24 probe lan1 autowire',
  'end',
  'interface lan1',
  'end',
].join('\n');

test('workers 2 with probe ... autowire is refused at the rule, naming both settings', () => {
  assert.throws(() => parseConfig(`workers 2\n${PROBE}`, 'f.conf'), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /f\.conf:3:2: found 'probe lan1 autowire' with 'workers 2', expected 'probe \.\.\. autowire' only with 'workers 1' \(not supported yet with 'workers 2'/);
    return true;
  });
  assert.throws(() => parseConfig(`workers auto\n${PROBE}`, 'f.conf'), /'workers auto'/);
  // The same file with one worker, or probe without autowire, is fine.
  assert.equal(parseConfig(`workers 1\n${PROBE}`, 'f.conf').config.workers, 1);
  assert.equal(parseConfig(PROBE, 'f.conf').config.interfaces.length, 2);
  assert.equal(parseConfig(`workers 2\n${PROBE.replace(' autowire', '')}`, 'f.conf').config.workers, 2);
});
