// Warm restarts across a real wire (issue 14 item 4): the daemon learns a host, saves its
// cache (`ctl save`, then at stop), and after a restart a `tell` request for the host is
// answered at once although the host has gone silent; with the state file deleted the
// same restart answers nothing. The probe caches likewise: a host found alive behind a
// `probe` interface is answered after a restart without a new probe. Needs root; skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, needsNetns, waitFor } from '../helpers/netns';
import { BIN, DaemonProcess, kernelResolve } from './fixtures/daemon';

const skip = needsNetns();
const HOST_MAC = '02:00:5e:00:53:07';

test('restart with a saved cache: a tell target is answered at once; without the file it is not', { skip, timeout: 90_000 }, async (t) => {
  const lab = new Lab('wrm');
  const dir = mkdtempSync(join(tmpdir(), 'npwarm-'));
  chmodSync(dir, 0o755);
  t.after(() => { lab.destroy(); rmSync(dir, { recursive: true, force: true }); });
  // One LAN (a bridge in its own namespace): the host, a requester and the neighproxy box.
  const sw = lab.netns('sw');
  const host = lab.netns('h');
  const req = lab.netns('r');
  const box = lab.netns('b');
  lab.exec(sw, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
  lab.exec(sw, 'ip', ['link', 'set', 'br0', 'up']);
  for (const [ns, port, dev, mac] of [[host, 'p-h', 'h0', HOST_MAC], [req, 'p-r', 'r0', undefined], [box, 'p-b', 'bx0', undefined]] as const) {
    lab.veth(sw, port, ns, dev, mac ? { macB: mac } : {});
    lab.exec(sw, 'ip', ['link', 'set', port, 'master', 'br0']);
  }
  lab.exec(host, 'ip', ['addr', 'add', '198.51.100.7/24', 'dev', 'h0']);
  lab.exec(req, 'ip', ['addr', 'add', '198.51.100.10/24', 'dev', 'r0']);
  lab.exec(box, 'ip', ['addr', 'add', '198.51.100.1/24', 'dev', 'bx0']);
  // The daemon drops root to nobody after start: the state directory is that user's, as
  // the unit's StateDirectory= makes it for its dynamic user.
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
  chownSync(stateDir, nobody, nobody);
  const state = join(stateDir, 'cache.state');
  const config = join(dir, 'neighproxy.conf');
  writeFileSync(config, `cache\n timeout 300\n state-file ${state}\nend\ninterface bx0\n rule 198.51.100.10/32 198.51.100.0/24 verbose tell\nend\n`);
  const control = join(dir, 'ctl.sock');

  // 1. The daemon learns the host from its broadcast ARP request.
  const first = new DaemonProcess(lab, box, ['--config', config, '--control', control, '--tick', '50']);
  t.after(() => { if (!first.exited) void first.signal('SIGKILL').catch(() => {}); });
  await first.started();
  assert.ok(first.logs.some((l) => l.event === 'state_absent'), first.describe());
  assert.ok(!first.logs.some((l) => l.event === 'state_unwritable'), first.describe());
  assert.ok(await kernelResolve(lab, host, 'h0', '198.51.100.1', 4000), 'the host resolved the box');
  const ctl = (...args: string[]) => execFileSync('ip', ['netns', 'exec', box, process.execPath, BIN, 'ctl', '--control', control, ...args], { encoding: 'utf8' });
  assert.ok(await waitFor(() => ctl('-j', 'show', 'cache').includes('198.51.100.7'), 4000, 50), `learned\n${first.describe()}`);
  // 2. ctl save writes the file now; the stop writes it again.
  assert.match(ctl('save'), /^saved 1 learned entries to /);
  assert.ok(existsSync(state));
  await first.signal('SIGTERM', 5000);
  assert.ok(first.logs.some((l) => l.event === 'state_saved' && l.entries === 1), first.describe());

  // 3. The host goes silent: from now on only neighproxy can answer for it.
  lab.exec(host, 'ip', ['link', 'set', 'h0', 'down']);
  const warm = new DaemonProcess(lab, box, ['--config', config, '--no-control', '--tick', '50']);
  t.after(() => { if (!warm.exited) void warm.signal('SIGKILL').catch(() => {}); });
  await warm.started();
  const loaded = warm.logs.find((l) => l.event === 'state_loaded');
  assert.equal(loaded?.imported, 1, warm.describe());
  assert.equal(await kernelResolve(lab, req, 'r0', '198.51.100.7', 4000), HOST_MAC, `answered from the saved cache\n${warm.describe()}`);
  // Answered at the first request: the first decision about the host is a tell answer.
  const decision = await warm.waitLog((l) => l.reason !== undefined && JSON.stringify(l).includes('198.51.100.7'), 5000);
  assert.deepEqual([decision.action, decision.verdict, decision.mac], ['tell', 'answer', HOST_MAC], warm.describe());
  await warm.signal('SIGTERM', 5000);

  // 4. Without the file the same restart has nothing to answer with.
  rmSync(state);
  lab.exec(req, 'ip', ['neigh', 'flush', 'dev', 'r0']);
  const cold = new DaemonProcess(lab, box, ['--config', config, '--no-control', '--tick', '50']);
  t.after(() => { if (!cold.exited) void cold.signal('SIGKILL').catch(() => {}); });
  await cold.started();
  assert.equal(await kernelResolve(lab, req, 'r0', '198.51.100.7', 3000), undefined, `cold start: not answered\n${cold.describe()}`);
  assert.ok(cold.logs.some((l) => l.reason === 'unknown_target'), cold.describe());
  await cold.signal('SIGTERM', 5000);
});

test('restart with saved probe caches: a probed host is answered at once, without a new probe', { skip, timeout: 90_000 }, async (t) => {
  const lab = new Lab('wrp');
  const dir = mkdtempSync(join(tmpdir(), 'npwarmp-'));
  chmodSync(dir, 0o755);
  t.after(() => { lab.destroy(); rmSync(dir, { recursive: true, force: true }); });
  // Uplink router -- box (bup | blan) -- host 192.0.2.10 behind the box.
  const up = lab.netns('up');
  const box = lab.netns('b');
  const host = lab.netns('h');
  lab.veth(up, 'u0', box, 'bup');
  lab.veth(box, 'blan', host, 'e0');
  lab.exec(up, 'ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'u0']);
  lab.exec(box, 'ip', ['addr', 'add', '192.0.2.2/24', 'dev', 'bup']);
  lab.exec(box, 'ip', ['addr', 'add', '198.51.100.1/24', 'dev', 'blan']);
  lab.exec(host, 'ip', ['addr', 'add', '192.0.2.10/32', 'dev', 'e0']);
  lab.exec(host, 'ip', ['route', 'add', '198.51.100.1/32', 'dev', 'e0']);
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
  chownSync(stateDir, nobody, nobody); // the daemon drops to nobody after start
  const state = join(stateDir, 'cache.state');
  const config = join(dir, 'neighproxy.conf');
  writeFileSync(config, `cache\n state-file ${state}\nend\ninterface bup\n rule 0.0.0.0/0 192.0.2.0/24 verbose probe blan absent 60\nend\ninterface blan\nend\n`);
  const args = ['--config', config, '--no-control', '--tick', '50'];
  const boxMac = execFileSync('ip', ['netns', 'exec', box, 'cat', '/sys/class/net/bup/address'], { encoding: 'utf8' }).trim();

  // 1. The uplink asks for the host: one probe on blan, the host replies, the box answers.
  const first = new DaemonProcess(lab, box, args);
  t.after(() => { if (!first.exited) void first.signal('SIGKILL').catch(() => {}); });
  await first.started();
  assert.equal(await kernelResolve(lab, up, 'u0', '192.0.2.10', 4000), boxMac, `answered after the probe\n${first.describe()}`);
  assert.ok(first.logs.some((l) => l.reason === 'probing'), `the first run probed\n${first.describe()}`);
  await first.signal('SIGTERM', 5000);
  const saved = first.logs.find((l) => l.event === 'state_saved');
  assert.ok(saved && Number(saved.probes) >= 1, first.describe());

  // 2. The host goes silent and the box forgets it: only the saved probe cache can answer.
  lab.exec(host, 'ip', ['link', 'set', 'e0', 'down']);
  lab.exec(box, 'ip', ['neigh', 'flush', 'dev', 'blan']);
  lab.exec(up, 'ip', ['neigh', 'flush', 'dev', 'u0']);
  const warm = new DaemonProcess(lab, box, args);
  t.after(() => { if (!warm.exited) void warm.signal('SIGKILL').catch(() => {}); });
  await warm.started();
  assert.ok(Number(warm.logs.find((l) => l.event === 'state_probes_loaded')?.imported) >= 1, warm.describe());
  assert.equal(await kernelResolve(lab, up, 'u0', '192.0.2.10', 4000), boxMac, `answered from the saved probe cache\n${warm.describe()}`);
  const decision = await warm.waitLog((l) => l.reason !== undefined && JSON.stringify(l).includes('192.0.2.10'), 5000);
  assert.equal(decision.verdict, 'answer', warm.describe());
  assert.ok(!warm.logs.some((l) => l.reason === 'probing'), `no new probe\n${warm.describe()}`);
  await warm.signal('SIGTERM', 5000);
});
