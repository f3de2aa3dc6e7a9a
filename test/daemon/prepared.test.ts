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
import { parseConfig } from '../../src/config/parse';
import { parseIp4 } from '../../src/net/addr';
import { InterfaceTable } from '../../src/policy/interfaces';
import { tablesOf } from '../../src/policy/tables';

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

test('flat (workers): rules and statics come as tables; the lists are parsed again only when read', async (t) => {
  const rebuilt: number[] = [];
  const p = new WorkerPreparer(undefined, { flat: true, onRebuilt: (ms) => rebuilt.push(ms) });
  t.after(() => p.close());
  const text = file();
  const loaded = await p.prepare('n.conf', {}, text);
  const c = loaded.config.interfaces[0]!;
  const t0 = tablesOf(c)!;
  assert.ok(t0, 'tables attached');
  assert.equal(t0.rules, CHUNK * 2 + 8);
  assert.equal(t0.statics.count, CHUNK + 3);
  assert.deepEqual(t0.actions.map(([i]) => i), [CHUNK * 2 + 7], 'only the self rule as an object');
  assert.equal(c.nd.uplinks.length, CHUNK + 1, 'the other lists still come in chunks');
  // The policy's build reads the tables: nothing was parsed again.
  const st = new InterfaceTable().build(loaded.config)[0]!;
  assert.equal(st.m4.match4(parseIp4('203.0.113.5')!, parseIp4('198.51.100.1')!), 5);
  assert.equal(rebuilt.length, 0);
  // Something reads the list (a ctl add's filter): it is parsed again once, and equals the file's.
  const direct = parseConfig(text, 'n.conf').config.interfaces[0]!;
  assert.deepEqual(c.rules, direct.rules);
  assert.deepEqual(c.statics, direct.statics);
  assert.equal(rebuilt.length, 1);
  assert.equal(loaded.config.interfaces[1]!.rules.length, 1);
  assert.equal(rebuilt.length, 1, 'one parse for every block');
});
