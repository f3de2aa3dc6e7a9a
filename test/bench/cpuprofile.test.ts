import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatProfile, summarizeProfile } from '../../bench/pps/cpuprofile';

const profile = {
  startTime: 0,
  endTime: 10_000,
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
    { id: 2, callFrame: { functionName: 'parseFrame', url: 'file:///x/dist/src/wire/parse.js', lineNumber: 37 } },
    { id: 3, callFrame: { functionName: 'handle', url: 'file:///x/dist/src/policy/policy.js', lineNumber: 259 } },
    { id: 4, callFrame: { functionName: 'match4', url: 'file:///x/dist/src/policy/policy.js', lineNumber: 9 } },
  ],
  // Sample k lasts timeDeltas[k + 1] microseconds.
  samples: [2, 2, 3, 4, 2],
  timeDeltas: [0, 1000, 1000, 3000, 1000, 4000],
};

test('self time per function and per file, largest first', () => {
  const s = summarizeProfile(profile);
  assert.equal(s.total, 10);
  assert.deepEqual(
    s.functions.map((r) => [r.name, r.selfMs]),
    [
      ['parseFrame parse.js:38', 6],
      ['handle policy.js:260', 3],
      ['match4 policy.js:10', 1],
    ],
  );
  assert.deepEqual(s.files.map((r) => [r.name, r.selfMs]), [['parse.js', 6], ['policy.js', 4]]);
  assert.match(formatProfile(profile, 2), /60\.0%\s+6 ms\s+parseFrame parse\.js:38/);
});
