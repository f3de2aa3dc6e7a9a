// `workers 2` reads the configuration file once per load, on the main thread, and gives
// the workers that text: a file changed between two reads cannot split them. The file is
// a named pipe served by this test, one version per open, so every read is seen (and a
// second reader would get the next version, as a file edited meanwhile would give).
// Start: one open; SIGHUP: one more; both workers answer by the new rules. Needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, chmodSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownerOf } from '../../src/bpf/fanout';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, type Batch } from '../../src/engine/types';
import { formatIp4, parseIp4 } from '../../src/net/addr';
import { buildArpRequest } from '../../src/wire/build';
import { parseFrame } from '../../src/wire/parse';
import { FrameKind, FrameView } from '../../src/wire/view';
import { send } from '../engine/fixtures/pair';
import { Lab, needsNetns, waitFor } from '../helpers/netns';
import { DaemonProcess } from './fixtures/daemon';

const BCAST = 0xffffffffffff;
const MAC_Q = 0x02005e005355;
const owner4 = (ip: string): number => ownerOf(0, 0, 0, parseIp4(ip)!, 2);

function ownedBy(want: number, make: (i: number) => string): string {
  for (let i = 1; i < 120; i++) if (owner4(make(i)) === want) return make(i);
  throw new Error(`precondition: an address owned by worker ${want}`);
}

const version = (prefix: string): string => ['workers 2', 'interface c0', ` rule 0.0.0.0/0 ${prefix} self`, 'end', ''].join('\n');

/** Serves `current` to every reader of the pipe at `path`, counting the opens. */
class PipeFile {
  current: string;
  opens = 0;
  private stopped = false;
  private readonly done: Promise<void>;
  constructor(readonly path: string, first: string) {
    this.current = first;
    execFileSync('mkfifo', ['-m', '0644', path]);
    this.done = this.serve();
  }
  private async serve(): Promise<void> {
    while (!this.stopped) {
      const fh = await open(this.path, 'w'); // waits for a reader
      if (this.stopped) {
        await fh.close();
        break;
      }
      this.opens++;
      await fh.writeFile(this.current);
      await fh.close();
      await new Promise((r) => setTimeout(r, 20)); // the reader sees EOF before the next open
    }
  }
  async stop(): Promise<void> {
    this.stopped = true;
    // A reader of our own unblocks the pending open for writing.
    const fd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
    await this.done;
    closeSync(fd);
  }
}

test('workers 2: the workers use the text the main thread read, at start and reload', { skip: needsNetns(), timeout: 90_000 }, async (t) => {
  const lab = new Lab('wl');
  const dir = mkdtempSync(join(tmpdir(), 'npwl-'));
  chmodSync(dir, 0o755);
  const cleanup: (() => void | Promise<void>)[] = [];
  t.after(async () => {
    for (const f of cleanup.reverse()) await f();
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  const cl = lab.netns('cl');
  const rt = lab.netns('rt');
  lab.exec(cl, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  lab.veth(cl, 'h0', rt, 'c0');
  lab.exec(cl, 'ip', ['link', 'set', 'h0', 'arp', 'off']);
  const file = new PipeFile(join(dir, 'np.conf'), version('198.51.100.0/25'));
  cleanup.push(() => file.stop());
  const daemon = new DaemonProcess(lab, rt, ['--config', file.path, '--control', join(dir, 'ctl.sock'), '--no-drop', '--log-level', 'info']);
  cleanup.push(() => { if (!daemon.exited) daemon.child.kill('SIGKILL'); });
  await daemon.started(20_000);
  await new Promise((r) => setTimeout(r, 300)); // a late reader would open meanwhile
  assert.equal(file.opens, 1, 'the file was read once at start (workers do not read it)');

  const netns = lab.nsPath(cl);
  const answered = new Set<string>();
  const view = new FrameView();
  const rx = Ring.open('h0', { netns, filter: ARP_REPLY_AND_NA_FILTER, rxFrames: 256, txFrames: 1, frameSize: 256, batchLimit: 64 });
  cleanup.push(() => rx.close());
  rx.start((b: Batch) => {
    for (let k = 0; k < b.count; k++) {
      const d = k * DESC_STRIDE;
      if (parseFrame(b.buf, b.desc[d + DESC_OFFSET]!, b.desc[d + DESC_LENGTH]!, b.desc[d + DESC_VLAN_TCI]!, view) === FrameKind.ArpReply) answered.add(formatIp4(view.senderIp));
    }
  });
  const tx = Ring.open('h0', { netns, filter: REJECT_ALL_FILTER, rxFrames: 16, txFrames: 64, frameSize: 256, qdiscBypass: true });
  cleanup.push(() => tx.close());
  const ask = (targets: string[]): void => send(tx, targets.map((a) => {
    const b = new Uint8Array(64);
    buildArpRequest(b, 0, -1, BCAST, MAC_Q, parseIp4('192.0.2.250')!, parseIp4(a)!);
    return b;
  }));
  const upper = [ownedBy(0, (i) => `198.51.100.${128 + i}`), ownedBy(1, (i) => `198.51.100.${128 + i}`)];
  const lower = [ownedBy(0, (i) => `198.51.100.${i}`), ownedBy(1, (i) => `198.51.100.${i}`)];
  ask([...lower, ...upper]);
  assert.ok(await waitFor(() => lower.every((a) => answered.has(a)), 3000), 'both workers answer by the first version');
  assert.deepEqual(upper.filter((a) => answered.has(a)), [], 'nothing for 198.51.100.128/25 yet');

  file.current = version('198.51.100.0/24');
  const mark = daemon.logs.length;
  daemon.child.kill('SIGHUP');
  await daemon.waitLog((l) => l.event === 'reloaded' && (l as { worker?: number }).worker === undefined, 10_000, mark);
  const workersReloaded = daemon.logs.slice(mark).filter((l) => l.event === 'reloaded' && (l as { worker?: number }).worker !== undefined).length;
  assert.equal(workersReloaded, 2, 'both workers reloaded');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(file.opens, 2, 'the reload read the file once (workers do not read it)');
  ask(upper);
  assert.ok(await waitFor(() => upper.every((a) => answered.has(a)), 3000), `both workers answer by the second version: ${[...answered].join(' ')}`);
});
