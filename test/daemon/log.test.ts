import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, isJournalStream, journalDestination, syslogPriority } from '../../src/daemon/log';

test('pino levels map to syslog priorities', () => {
  assert.deepEqual([60, 50, 40, 30, 20, 10].map(syslogPriority), [2, 3, 4, 6, 7, 7]);
});

test('journal destination prefixes each line with its priority', () => {
  const out: string[] = [];
  const d = journalDestination((l) => out.push(l));
  d.write('{"level":50,"msg":"x"}\n');
  d.write('{"level":40,"msg":"y"}\n');
  assert.deepEqual(out, ['<3>{"level":50,"msg":"x"}\n', '<4>{"level":40,"msg":"y"}\n']);
});

test('JOURNAL_STREAM must name this very stream (device:inode), and then lines carry <N>', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nplog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'out.log');
  const fd = openSync(file, 'w');
  const st = fstatSync(fd);
  assert.equal(isJournalStream(fd, {}), false);
  assert.equal(isJournalStream(fd, { JOURNAL_STREAM: `${st.dev}:${st.ino + 1}` }), false);
  assert.equal(isJournalStream(fd, { JOURNAL_STREAM: 'garbage' }), false);
  assert.equal(isJournalStream(fd, { JOURNAL_STREAM: `${st.dev}:${st.ino}` }), true);
  const log = createLogger({ level: 'debug', fd, journal: true, pretty: false });
  log.error('broken');
  log.warn('odd');
  log.info('fine');
  log.debug('detail');
  closeSync(fd);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => l.slice(0, 3)), ['<3>', '<4>', '<6>', '<7>']);
  assert.equal(JSON.parse(lines[0]!.slice(3)).msg, 'broken');
});
