// `workers 2` through a rough life, as an operator runs it: started as root and dropped to
// nobody, every worker thread keeps CAP_NET_RAW/CAP_NET_ADMIN (capabilities are per
// thread), so when the link is deleted and created again each worker reopens its ring and
// answers the addresses it owns; and a worker that cannot open its ring stops the start
// with EX_NOPERM. Needs root; skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ownerOf } from '../../src/bpf/fanout';
import { parseIp4 } from '../../src/net/addr';
import { clientRouter, ROUTER_MAC, type ClientRouter } from '../helpers/client-router';
import { needsNetns } from '../helpers/netns';
import { nobodySkipReason, runWithoutCaps } from '../helpers/unprivileged';
import { DaemonProcess, kernelResolve, type LogLine } from './fixtures/daemon';

const CONFIG = 'workers 2\ninterface rt0\n rule 192.0.2.0/24 192.0.2.0/24 verbose self\nend\n';
/** What the main thread keeps after the drop: CAP_NET_ADMIN (12) and CAP_NET_RAW (13). */
const KEPT = '0000000000003000';

/** client (cl0 192.0.2.10) <-> router (rt0, where the daemon runs), CONFIG in `config`. */
function buildLab(t: { after(fn: () => void): void }, tag: string): ClientRouter {
  return clientRouter(t, tag, { clientAddrs: ['192.0.2.10/24'], config: CONFIG });
}

function capEff(pid: number, tid: number): string {
  return /^CapEff:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1]!;
}

/** The first client address after .10 that worker `w` owns (the fanout hands it every frame about it). */
function ownedBy(w: number, from: number): string {
  for (let i = from; i < 250; i++) if (ownerOf(0, 0, 0, parseIp4(`192.0.2.${i}`)!, 2) === w) return `192.0.2.${i}`;
  throw new Error(`precondition: an address owned by worker ${w}`);
}

const skip = needsNetns() ?? nobodySkipReason();

test('workers 2 dropped to nobody: each worker keeps the capabilities; a recreated link reopens in both and each answers', { skip, timeout: 60_000 }, async (t) => {
  const { lab, client, router, config, link } = buildLab(t, 'wlf');
  const d = new DaemonProcess(lab, router, ['--config', config, '--no-control', '--user', 'nobody', '--link-poll', '100']);
  t.after(() => { if (!d.exited) d.child.kill('SIGKILL'); });
  await d.started(15_000);
  const tids = [0, 1].map((w) => d.logs.find((l) => l.event === 'worker_started' && l.worker === w)?.tid as number | undefined);
  assert.ok(tids.every((x) => typeof x === 'number'), `both workers say their thread id\n${d.describe()}`);
  assert.equal(capEff(d.pid, d.pid), KEPT, 'the main thread');
  for (const [w, tid] of tids.entries()) assert.equal(capEff(d.pid, tid!), KEPT, `worker ${w} (thread ${tid}) keeps what the main thread keeps`);

  const before = [ownedBy(0, 20), ownedBy(1, 20)];
  for (const a of before) assert.equal(await kernelResolve(lab, client, 'cl0', a, 4000), ROUTER_MAC, `${a} before the flap\n${d.describe()}`);

  // The link goes away with its peer and comes back with a new ifindex: every worker reopens.
  const mark = d.logs.length;
  lab.exec(router, 'ip', ['link', 'del', 'rt0']);
  await d.waitLog((l) => l.event === 'link_vanished', 5000, mark);
  link();
  const reopened = (w: number) => (l: LogLine): boolean => l.event === 'ring_open' && l.interface === 'rt0' && l.worker === w;
  await d.waitLog(reopened(0), 10_000, mark);
  await d.waitLog(reopened(1), 10_000, mark);
  // The main thread's view follows: the interface is captured once both workers' rings are.
  await d.waitLog((l) => l.event === 'ring_open' && l.interface === 'rt0' && l.worker === undefined && l.workers === 2, 5000, mark);
  // Absent and down on the way back are states, not failures; EPERM would be (a worker without capabilities).
  const denied = d.logs.slice(mark).filter((l) => l.event === 'ring_open_failed' && (l.code === 'EPERM' || l.code === 'EACCES'));
  assert.deepEqual(denied.map((l) => `worker ${String(l.worker)}: ${String(l.code)}`), [], `no ring refused after the flap\n${d.describe()}`);

  for (const w of [0, 1]) {
    const a = ownedBy(w, 60);
    assert.equal(await kernelResolve(lab, client, 'cl0', a, 4000), ROUTER_MAC, `${a} (worker ${w}) after the flap\n${d.describe()}`);
    const decision = await d.waitLog((l) => l.target === a && l.verdict === 'answer', 3000, mark);
    assert.equal(decision.worker, w, `${a} answered by its owner, worker ${w}`);
  }
  for (const [w, tid] of tids.entries()) assert.equal(capEff(d.pid, tid!), KEPT, `worker ${w} still has exactly the kept set`);
  await d.signal('SIGTERM');
  assert.equal(d.child.exitCode, 0);
});

test('workers 2 without CAP_NET_RAW: a worker cannot open its ring, the start fails with 77 and says why', { skip }, (t) => {
  const { router, config } = buildLab(t, 'wnp');
  const { code, stderr } = runWithoutCaps(router, config, 10_000);
  assert.equal(code, 77, `EX_NOPERM\n${stderr}`);
  assert.match(stderr, /worker \d: cannot capture on rt0: .*CAP_NET_RAW/);
});
