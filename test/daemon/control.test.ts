import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlError, controlRequest, handleLine, serveControl, type ControlHandler } from '../../src/daemon/control';

function recorder(): { calls: unknown[]; handler: ControlHandler } {
  const calls: unknown[] = [];
  return {
    calls,
    handler: {
      show: (what) => { calls.push(['show', what]); return { [what]: [] }; },
      add: (req) => {
        calls.push(['add', req]);
        if (req.address === '192.0.2.99') throw new ControlError('E_TABLE_FULL', 'the static table is full');
        return { added: req.address };
      },
      del: (req) => { calls.push(['del', req]); return { removed: 1 }; },
    },
  };
}

test('one request line gives one response line; ids are echoed', () => {
  const { calls, handler } = recorder();
  assert.deepEqual(JSON.parse(handleLine('{"cmd":"show","what":"cache","id":7}', handler)), { ok: true, id: 7, cache: [] });
  assert.deepEqual(JSON.parse(handleLine('{"cmd":"add","address":"192.0.2.9","mac":"02:00:00:00:00:09"}', handler)),
    { ok: true, added: '192.0.2.9' });
  assert.deepEqual(calls[1], ['add', { address: '192.0.2.9', mac: '02:00:00:00:00:09', announce: false, interface: null }]);
});

test('malformed requests get coded errors and never reach the handler', () => {
  const { calls, handler } = recorder();
  const err = (line: string) => JSON.parse(handleLine(line, handler)) as { ok: boolean; error: { code: string; message: string } };
  assert.deepEqual(err('{nope').error.code, 'E_BAD_JSON');
  assert.match(err('{"cmd":"show","what":"everything"}').error.message, /"what" must be/);
  assert.match(err('{"cmd":"add","address":"192.0.2.9"}').error.message, /needs "mac"/);
  assert.match(err('{"cmd":"add","address":"192.0.2.9","mac":"x","announce":"yes"}').error.message, /"announce"/);
  assert.match(err('{"cmd":"reboot"}').error.message, /unknown "cmd" "reboot"/);
  assert.equal(err('[1]').ok, false);
  assert.equal(calls.length, 0);
  const e = err('{"cmd":"add","address":"192.0.2.99","mac":"02:00:00:00:00:09"}');
  assert.deepEqual(e.error, { code: 'E_TABLE_FULL', message: 'the static table is full' });
});

test('socket: mode 0600, pipelined requests answered in order, stale file replaced, live one refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'npctl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sub', 'ctl.sock');
  const { handler } = recorder();
  const server = await serveControl(path, handler);
  try {
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(await controlRequest(path, { cmd: 'del', address: '2001:db8::1' }), { ok: true, removed: 1 });
    await assert.rejects(serveControl(path, handler), { code: 'EADDRINUSE' });
    const lines = await new Promise<string[]>((resolve, reject) => {
      const s = createConnection(path);
      let buf = '';
      s.on('connect', () => s.write('{"cmd":"show","what":"rules","id":1}\n\n{"cmd":"show","what":"stats","id":2}\n'));
      s.on('data', (d) => {
        buf += d.toString();
        if (buf.split('\n').length > 2) { s.destroy(); resolve(buf.trim().split('\n')); }
      });
      s.on('error', reject);
    });
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { id: number }).id), [1, 2]);
  } finally {
    await new Promise((r) => server.close(r));
  }
  // A socket file without a listener (daemon killed) is replaced at the next start.
  const { createServer } = await import('node:net');
  const orphan = createServer();
  await new Promise<void>((r) => orphan.listen(path, r));
  // Simulate a killed daemon: close the fd but leave the file.
  (orphan as unknown as { _handle: { close(): void } })._handle.close();
  const again = await serveControl(path, handler);
  assert.deepEqual(await controlRequest(path, { cmd: 'show', what: 'cache' }), { ok: true, cache: [] });
  await new Promise((r) => again.close(r));
});

test('a request line over the limit is refused and the connection closed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'npctl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ctl.sock');
  const server = await serveControl(path, recorder().handler);
  t.after(() => server.close());
  const reply = await new Promise<string>((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    s.on('connect', () => s.write('x'.repeat(70 * 1024)));
    s.on('data', (d) => { buf += d.toString(); });
    s.on('close', () => resolve(buf));
    s.on('error', reject);
  });
  assert.equal((JSON.parse(reply) as { error: { code: string } }).error.code, 'E_TOO_LONG');
});
