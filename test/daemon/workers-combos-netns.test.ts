// `workers 2` with HA and the state file, in namespaces: `ctl role` reaches every worker
// (a standby file's statics are answered only after `ctl role active`), a takeover sends
// each announcement once (3 rounds: 3 frames per static, not one set per worker), and
// `ctl save` / the restart carry the learned entries of both workers. Needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownerOf } from '../../src/bpf/fanout';
import { ARP_AND_NS_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, type Batch } from '../../src/engine/types';
import { formatIp4, parseIp4 } from '../../src/net/addr';
import { buildArpRequest } from '../../src/wire/build';
import { parseFrame } from '../../src/wire/parse';
import { FrameKind, FrameView } from '../../src/wire/view';
import { send } from '../engine/fixtures/pair';
import { generatorPair } from '../helpers/generator-pair';
import { needsNetns, waitFor } from '../helpers/netns';
import { BIN, DaemonProcess } from './fixtures/daemon';

const BCAST = 0xffffffffffff;
const owner4 = (ip: string): number => ownerOf(0, 0, 0, parseIp4(ip)!, 2);
function ownedBy(want: number, make: (i: number) => string): string {
  for (let i = 1; i < 250; i++) if (owner4(make(i)) === want) return make(i);
  throw new Error(`precondition: an address owned by worker ${want}`);
}
const arpReq = (senderMac: number, sender: string, target: string): Uint8Array => {
  const b = new Uint8Array(128);
  const n = buildArpRequest(b, 0, -1, BCAST, senderMac, parseIp4(sender)!, parseIp4(target)!);
  return b.slice(0, Math.max(n, 60));
};

test('workers 2: ctl role reaches the workers, one announcement per frame, state file from both', { skip: needsNetns(), timeout: 90_000 }, async (t) => {
  const { lab, dir, gen: cl, rt, cleanup } = generatorPair(t, 'wkc', { gen: 'cl', genIf: 'h0' });
  const statics = [ownedBy(0, (i) => `203.0.113.${i}`), ownedBy(1, (i) => `203.0.113.${i}`)];
  const senders = [ownedBy(0, (i) => `198.51.100.${i}`), ownedBy(1, (i) => `198.51.100.${i}`)];
  const file = join(dir, 'np.conf');
  writeFileSync(file, [
    'workers 2', 'cache', ' timeout 300', ` state-file ${join(dir, 'cache.state')}`, 'end',
    'interface c0', ' ha role standby',
    ...statics.map((a, i) => ` static ${a} 02:00:5e:00:53:0${i + 1}`),
    ' rule 0.0.0.0/0 198.51.100.0/24 tell', 'end', '',
  ].join('\n'));
  const sock = join(dir, 'ctl.sock');
  const start = async (): Promise<DaemonProcess> => {
    const d = new DaemonProcess(lab, rt, ['--config', file, '--control', sock, '--no-drop', '--log-level', 'info']);
    cleanup.push(() => { if (!d.exited) d.child.kill('SIGKILL'); });
    await d.started(20_000);
    return d;
  };
  const daemon = await start();
  const netns = lab.nsPath(cl);
  // Every ARP frame on the client's side: gratuitous ARP (sender = target) and replies, by address.
  const garps = new Map<string, number>();
  const replies = new Map<string, number>();
  const view = new FrameView();
  const cap = Ring.open('h0', { netns, filter: ARP_AND_NS_FILTER, rxFrames: 1024, txFrames: 1, frameSize: 256, batchLimit: 64 });
  cleanup.push(() => cap.close());
  cap.start((b: Batch) => {
    for (let k = 0; k < b.count; k++) {
      const d = k * DESC_STRIDE;
      const kind = parseFrame(b.buf, b.desc[d + DESC_OFFSET]!, b.desc[d + DESC_LENGTH]!, b.desc[d + DESC_VLAN_TCI]!, view);
      const ip = formatIp4(view.senderIp);
      if (kind === FrameKind.ArpRequest && view.senderIp === view.targetIp) garps.set(ip, (garps.get(ip) ?? 0) + 1);
      else if (kind === FrameKind.ArpReply) replies.set(ip, (replies.get(ip) ?? 0) + 1);
    }
  });
  const tx = Ring.open('h0', { netns, filter: REJECT_ALL_FILTER, rxFrames: 16, txFrames: 64, frameSize: 256, qdiscBypass: true });
  cleanup.push(() => tx.close());
  const ctl = (...args: string[]): string =>
    execFileSync('ip', ['netns', 'exec', rt, process.execPath, BIN, 'ctl', '--control', sock, ...args], { encoding: 'utf8' });
  const settle = (ms = 400): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const ask = (): void => send(tx, statics.map((a) => arpReq(0x02005e005399, '198.51.100.250', a)));

  // Standby from the file: no worker answers.
  ask();
  await settle();
  assert.deepEqual(statics.map((a) => replies.get(a) ?? 0), [0, 0], 'standby: the statics are not answered');
  // ctl role active: every worker takes over; each static announced by its owner only.
  ctl('role', 'active');
  await waitFor(() => statics.every((a) => (garps.get(a) ?? 0) >= 3), 8000);
  await settle(1500); // a second sender's rounds would have arrived by now
  assert.deepEqual(statics.map((a) => garps.get(a) ?? 0), [3, 3], `3 rounds, one sender per frame (owners ${statics.map(owner4)})`);
  // The main thread's figures are the workers': 2 statics x 3 rounds, one takeover.
  const ha = (JSON.parse(ctl('--json', 'show', 'stats')) as { ha: { interface: string; role: string; takeovers: number; announcements: number }[] }).ha;
  assert.deepEqual(ha.map((h) => [h.interface, h.role, h.takeovers, h.announcements]), [['c0', 'active', 1, 6]]);
  ask();
  assert.ok(await waitFor(() => statics.every((a) => (replies.get(a) ?? 0) === 1), 3000), `active: both workers answer: ${JSON.stringify([...replies])}`);
  // ctl role standby reaches the workers too.
  ctl('role', 'standby');
  ask();
  await settle();
  assert.deepEqual(statics.map((a) => replies.get(a) ?? 0), [1, 1], 'standby again: no new answers');

  // Learned senders owned by each worker: ctl save writes both, the restart takes both back.
  send(tx, senders.map((s, i) => arpReq(0x02005e005311 + i, s, '198.51.100.251')));
  assert.ok(await waitFor(() => senders.every((s) => ctl('--json', 'show', 'cache').includes(s)), 4000), 'both senders learned');
  // 198.51.100.250 (the asker above) was learned as well: 3 entries in all.
  const learned = [...senders, '198.51.100.250'];
  assert.ok(learned.every((s) => ctl('--json', 'show', 'cache').includes(s)), 'three learned');
  assert.match(ctl('save'), /^saved 3 learned entries to /);
  await daemon.signal('SIGTERM', 5000);
  assert.ok(daemon.logs.some((l) => l.event === 'state_saved' && l.entries === 3 && (l as { worker?: number }).worker === undefined), daemon.describe());
  assert.ok(!daemon.logs.some((l) => l.event === 'state_saved' && (l as { worker?: number }).worker !== undefined), 'a worker wrote the file');
  const again = await start();
  // The main thread reads the file once and hands each worker the entries it owns; it logs their sum.
  const loads = again.logs.filter((l) => l.event === 'state_loaded');
  assert.deepEqual(loads.map((l) => [(l as { worker?: number }).worker, l.imported]), [[undefined, 3]], `the workers took back the 3 entries\n${again.describe()}`);
  const cache = ctl('--json', 'show', 'cache');
  for (const s of learned) assert.ok(cache.includes(s), `${s} restored`);
  assert.equal(cache.split(senders[0]!).length - 1, 1, 'restored once, by its owner');
  await again.signal('SIGTERM', 5000);
});
