// A reload that reads a file written in place: between the writer's truncate and its
// write the file is empty, and applying that closed every ring until the next reload
// (reload-load under load lost up to 2 113 requests so). RunningConfig refuses an empty
// file while interfaces are configured, and reads again when the file has bytes by now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../src/config/parse';
import { RunningConfig } from '../../src/daemon/reload';

const TEXT = 'interface eth0\n rule 192.0.2.0/24 198.51.100.0/24 02:00:5e:00:53:aa\nend\n';
const compileFilter = () => ({ program: [{ code: 6, jt: 0, jf: 0, k: 0xffff }], text: 'arp' });

function setup(t: { after: (f: () => void) => void }, read: (path: string) => ReturnType<typeof loadConfig> = loadConfig) {
  const dir = mkdtempSync(join(tmpdir(), 'np-empty-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'neighproxy.conf');
  writeFileSync(path, TEXT);
  const reads: number[] = [];
  const running = new RunningConfig({ loadConfig: (p) => { reads.push(1); return read(p); }, compileFilter }, path);
  running.config = running.load().config; // the start, as Daemon.apply records it
  reads.length = 0;
  return { path, running, reads };
}

test('a reload of an empty file is refused while interfaces are configured (E_CONFIG_EMPTY)', async (t) => {
  const { path, running } = setup(t);
  truncateSync(path, 0);
  assert.throws(() => running.load(), (e: Error & { code?: string }) => e.code === 'E_CONFIG_EMPTY' && /empty/.test(e.message));
  await assert.rejects(running.prepare(), { code: 'E_CONFIG_EMPTY' }, 'the prepared reload too');
  writeFileSync(path, TEXT);
  assert.deepEqual(running.load().config.interfaces.map((i) => i.name), ['eth0'], 'the written file applies');
});

test('a reload that read the file empty while it was being written reads it again', (t) => {
  let torn = false;
  const { running, reads } = setup(t, (p) => (torn ? ((torn = false), parseConfig('', p)) : loadConfig(p)));
  torn = true; // this read saw the file between truncate and write; the file is whole by now
  assert.deepEqual(running.load().config.interfaces.map((i) => i.name), ['eth0']);
  assert.equal(reads.length, 2, 'read twice');
});

test('a second read that finds the file truncated again is refused too', (t) => {
  let torn = 0;
  const { path, running, reads } = setup(t, (p) => {
    if (torn === 0) return loadConfig(p);
    if (--torn === 0) truncateSync(path, 0); // the writer truncated it again before this read
    return parseConfig('', p);
  });
  torn = 2;
  assert.throws(() => running.load(), { code: 'E_CONFIG_EMPTY' });
  assert.equal(reads.length, 2);
});

test('a non-empty file without interfaces still applies, and an empty one at start too', (t) => {
  const { path, running, reads } = setup(t);
  writeFileSync(path, 'cache\n timeout 0\nend\n');
  assert.equal(running.load().config.interfaces.length, 0);
  assert.equal(reads.length, 2, 'checked by reading it again');
  truncateSync(path, 0);
  const fresh = new RunningConfig({ loadConfig, compileFilter }, path);
  assert.equal(fresh.load().config.interfaces.length, 0, 'nothing running yet: the start takes it (W_NO_INTERFACES warns)');
});
