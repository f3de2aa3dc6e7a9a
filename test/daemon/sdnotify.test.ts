import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { binding } from '../../src/engine/binding';
import { monotonicUsec, SdNotifier } from '../../src/daemon/sdnotify';
import { ServiceState, type ServiceDaemon } from '../../src/daemon/service';

const hasPython = spawnSync('python3', ['-c', 'import socket; socket.AF_UNIX'], { stdio: 'ignore' }).status === 0;

// A NOTIFY_SOCKET stand-in: python binds the datagram socket (Node cannot) and prints each message as JSON.
const RECEIVER = `
import socket, sys, json
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(('\\0' + p[1:]) if p.startswith('@') else p)
print('"bound"', flush=True)
s.settimeout(5)
s.settimeout(30)
for _ in range(int(sys.argv[2])):
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;

async function receive(path: string, count: number, send: () => void): Promise<string[]> {
  const py = spawn('python3', ['-c', RECEIVER, path, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: py.stdout! });
  const got: string[] = [];
  for await (const line of lines) {
    const v = JSON.parse(line) as string;
    if (v === 'bound' && got.length === 0) send();
    else got.push(v);
    if (got.length === count) break;
  }
  py.kill();
  return got;
}

test('native notify reaches a datagram socket by path and in the abstract namespace', { skip: !hasPython && 'python3 is needed to bind the receiving socket' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'npnotify-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'notify.sock');
  assert.deepEqual(await receive(path, 1, () => binding().notify(path, 'READY=1')), ['READY=1']);
  const abstract = `@neighproxy-test-${process.pid}`;
  const n = new SdNotifier(abstract);
  assert.deepEqual(await receive(abstract, 1, () => n.ready('answering on eth0\nand more')), ['READY=1\nSTATUS=answering on eth0 and more']);
});

test('native notify: coded errors, argument checks', () => {
  assert.throws(() => binding().notify('/nonexistent/notify.sock', 'READY=1'), { code: 'ENOENT' });
  assert.throws(() => binding().notify('relative', 'READY=1'), TypeError);
  assert.throws(() => binding().notify(`/${'x'.repeat(120)}`, 'READY=1'), TypeError);
});

test('without NOTIFY_SOCKET nothing is sent; a failing socket is reported once and never throws', () => {
  const sent: string[] = [];
  assert.equal(new SdNotifier(null, (_p, m) => sent.push(m)).ready('x'), false);
  assert.deepEqual(sent, []);
  const errors: string[] = [];
  const n = new SdNotifier('/run/x', () => { throw new Error('ECONNREFUSED'); }, (e) => errors.push(e.message));
  assert.equal(n.ready('a'), false);
  assert.equal(n.status('b'), false);
  assert.deepEqual(errors, ['ECONNREFUSED']);
});

test('service: READY with the rings, RELOADING with MONOTONIC_USEC then READY, last reload state', () => {
  const sent: string[] = [];
  const n = new SdNotifier('/run/x', (_p, m) => sent.push(m));
  let clock = 1000;
  const s = new ServiceState(n, () => clock);
  let reloadOk = true;
  const d: ServiceDaemon = {
    ringStates: () => [{ name: 'eth0', open: true }, { name: 'eth9', open: false }],
    reload: () => reloadOk,
  };
  s.started(d);
  assert.equal(sent[0], 'READY=1\nSTATUS=answering on eth0; waiting for eth9');
  clock = 2000;
  const before = monotonicUsec();
  assert.equal(s.reload(d), true);
  const m = /^RELOADING=1\nMONOTONIC_USEC=(\d+)\nSTATUS=reloading the configuration$/.exec(sent[1]!);
  assert.ok(m, sent[1]);
  assert.ok(BigInt(m[1]!) >= before && BigInt(m[1]!) <= monotonicUsec());
  assert.match(sent[2]!, /^READY=1\nSTATUS=answering on eth0; waiting for eth9; configuration reloaded 1970-01-01T00:33:20\.000Z$/);
  assert.deepEqual([s.lastReloadOk, s.lastSuccessAt], [true, 2000]);
  clock = 3000;
  reloadOk = false;
  assert.equal(s.reload(d), false);
  assert.match(sent[4]!, /^READY=1\nSTATUS=.*RELOAD FAILED \(see the log\), running the configuration of 1970-01-01T00:33:20\.000Z$/);
  assert.deepEqual([s.lastReloadOk, s.lastSuccessAt], [false, 2000]);
});

// With workers 2 the main thread holds no ring: READY says what the workers' rings are
// (an absent interface is waited for, lo answered once both workers' rings on it are open).
for (const workers of [1, 2]) test(`the daemon tells a NOTIFY_SOCKET (workers ${workers}): READY with its rings, RELOADING then READY on SIGHUP, STOPPING`,
  { skip: (!hasPython && 'python3 is needed to bind the receiving socket') || (process.getuid?.() !== 0 && 'needs root (a ring on lo in a fresh network namespace)') },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'npnotify-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const sock = join(dir, 'notify.sock');
    const conf = join(dir, 'np.conf');
    writeFileSync(conf, `workers ${workers}\ninterface lo\n rule 192.0.2.0/24 192.0.2.9/32 self\nend\ninterface np-absent0\n rule 192.0.2.0/24 192.0.2.9/32 self\nend\n`);
    const bin = join(__dirname, '..', '..', '..', 'bin', 'neighproxy');
    const py = spawn('python3', ['-c', RECEIVER, sock, '5'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let daemon: ReturnType<typeof spawn> | null = null;
    t.after(() => { py.kill(); daemon?.kill('SIGKILL'); });
    const got: string[] = [];
    const guard = setTimeout(() => { py.kill(); }, 40_000); // generous: a loaded host
    for await (const line of createInterface({ input: py.stdout! })) {
      const v = JSON.parse(line) as string;
      if (v === 'bound' && !daemon) {
        // A private network namespace: only lo, so the ring opens and nothing else is touched.
        daemon = spawn('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${bin}" run -c "${conf}" --no-control --no-drop --log-level warn`],
          { stdio: 'ignore', env: { ...process.env, NOTIFY_SOCKET: sock } });
        continue;
      }
      got.push(v);
      if (got.length === 1) daemon!.kill('SIGHUP');
      if (got.length === 3) daemon!.kill('SIGTERM');
      if (got.length === 4) break;
    }
    clearTimeout(guard);
    assert.equal(got[0], 'READY=1\nSTATUS=answering on lo; waiting for np-absent0');
    assert.match(got[1]!, /^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=reloading the configuration$/);
    assert.match(got[2]!, /^READY=1\nSTATUS=answering on lo; waiting for np-absent0; configuration reloaded \d{4}-/);
    assert.equal(got[3], 'STOPPING=1\nSTATUS=SIGTERM: stopping');
  });
