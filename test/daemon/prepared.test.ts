// Prepared reloads without namespaces: the worker's result, reassembled from its chunks,
// equals what an in-line load gives (rules, statics, pins, uplinks past one chunk), the
// filters are compiled with the runtime statics, and an error comes back with its code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { WorkerPreparer } from '../../src/daemon/prepared';
import { CHUNK } from '../../src/daemon/prepare-worker';

function file(): string {
  const out = ['interface eth0', ' pin 198.51.100.9 2001:db8::9'];
  for (let i = 0; i < CHUNK * 2 + 7; i++) out.push(` rule 203.0.113.${i & 255}/32 ${i >> 8 ? '192.0.2' : '198.51.100'}.${(i >> 8) * 16 + 1}/32 tell`);
  for (let i = 1; i <= CHUNK + 3; i++) out.push(` static 2001:db8::${i.toString(16)} 02:00:5e:00:${(i >> 8).toString(16)}:${(i & 255).toString(16)}`);
  for (let i = 1; i <= CHUNK + 1; i++) out.push(` uplink fe80::${i.toString(16)}`);
  out.push(' rule ::/0 2001:db8::/32 self', 'end', 'interface eth1', ' rule 0.0.0.0/0 198.51.100.0/24 self', 'end');
  return out.join('\n') + '\n';
}

test('the worker prepares what an in-line load reads, chunks reassembled in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'npp-'));
  const p = new WorkerPreparer();
  t.after(() => { p.close(); rmSync(dir, { recursive: true, force: true }); });
  const path = join(dir, 'n.conf');
  writeFileSync(path, file());
  const loaded = await p.prepare(path, {});
  const direct = loadConfig(path);
  assert.deepEqual(loaded.config, direct.config);
  assert.equal(loaded.config.interfaces[0]!.rules.length, CHUNK * 2 + 8);
  assert.equal(loaded.filters.length, 2);
  assert.ok(loaded.filters.every((f) => f.program.length > 0 && f.text.length > 0));
  // A second request on the same worker, and an error with its code.
  writeFileSync(path, 'interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 slef\nend\n');
  await assert.rejects(p.prepare(path, {}), (e: Error & { code?: string }) => e.code === 'E_CONFIG_VALUE' || e.code === 'E_CONFIG_SYNTAX');
});
