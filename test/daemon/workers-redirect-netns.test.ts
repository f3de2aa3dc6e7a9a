// `workers 2` with redirect routers resolved on demand. The worker owning a target sends
// the ARP request / NS for the router R; R's reply is about R, so the fanout program
// hands it to owner(R). When that is the other worker, it must still be taken (and the
// learned router passed back), else the requester never gets its answer. Every pair
// (owner of the router, owner of the target) is tried with a router nobody knows yet, one
// request each, for ARP and ND; every requester must get R's MAC within ANSWER_BOUND_MS.
// The routers are addresses of the client namespace's kernel, which answers for them.
// Needs root; skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownerOf } from '../../src/bpf/fanout';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, type Batch } from '../../src/engine/types';
import { formatIp4, formatIp6, formatMac, parseIp4, parseIp6, type Ip6 } from '../../src/net/addr';
import { buildArpRequest, buildNsResolve } from '../../src/wire/build';
import { parseFrame } from '../../src/wire/parse';
import { FrameKind, FrameView } from '../../src/wire/view';
import { send } from '../engine/fixtures/pair';
import { clientRouter } from '../helpers/client-router';
import { needsNetns, waitFor } from '../helpers/netns';
import { DaemonProcess } from './fixtures/daemon';

const BCAST = 0xffffffffffff;
const MAC_Q = 0x02005e005344;
/** Generous for a loaded 2-core machine: the answer takes a few ms; a lost reply never comes. */
const ANSWER_BOUND_MS = 2000;

const owner4 = (ip: string): number => ownerOf(0, 0, 0, parseIp4(ip)!, 2);
const owner6 = (ip: string): number => { const a = parseIp6(ip)!; return ownerOf(a[0]!, a[1]!, a[2]!, a[3]!, 2); };

function ownedBy(want: number, owner: (a: string) => number, make: (i: number) => string, n = 1, skip: string[] = []): string[] {
  const out: string[] = [];
  for (let i = 1; out.length < n && i < 250; i++) if (owner(make(i)) === want && !skip.includes(make(i))) out.push(make(i));
  assert.equal(out.length, n, `precondition: ${n} addresses owned by worker ${want}`);
  return out;
}

/** One case: a router owned by `router`, a target owned by `target`, its own rule. */
interface Case { family: 4 | 6; routerOwner: number; targetOwner: number; router: string; target: string; prefix: string }

function cases(): Case[] {
  const out: Case[] = [];
  const r4 = [...ownedBy(0, owner4, (i) => `192.0.2.${200 + i}`, 2), ...ownedBy(1, owner4, (i) => `192.0.2.${200 + i}`, 2)];
  const r6 = [...ownedBy(0, owner6, (i) => `2001:db8:1::${(0x200 + i).toString(16)}`, 2), ...ownedBy(1, owner6, (i) => `2001:db8:1::${(0x200 + i).toString(16)}`, 2)];
  for (const routerOwner of [0, 1]) {
    for (const targetOwner of [0, 1]) {
      const j = routerOwner * 2 + targetOwner;
      const [t4] = ownedBy(targetOwner, owner4, (i) => `198.51.100.${j * 32 + i}`);
      out.push({ family: 4, routerOwner, targetOwner, router: r4[j]!, target: t4!, prefix: `198.51.100.${j * 32}/27` });
      const [t6] = ownedBy(targetOwner, owner6, (i) => `2001:db8:5:${j + 1}::${i.toString(16)}`);
      out.push({ family: 6, routerOwner, targetOwner, router: r6[j]!, target: t6!, prefix: `2001:db8:5:${j + 1}::/64` });
    }
  }
  return out;
}

function config(list: Case[]): string {
  return [
    'workers 2',
    'interface c0',
    ' timeout 3',
    ...list.map((c) => ` rule ${c.family === 4 ? '0.0.0.0/0' : '::/0'} ${c.prefix} ${c.router}`),
    'end',
    '',
  ].join('\n');
}

/** Redirect answers seen by the client: `4:IP` / `6:IP` -> answered MAC and when (ms). */
class Answers {
  readonly ring: Ring;
  readonly seen = new Map<string, { mac: number; at: number }>();
  private readonly view = new FrameView();
  constructor(netns: string) {
    this.ring = Ring.open('h0', { netns, filter: ARP_REPLY_AND_NA_FILTER, rxFrames: 256, txFrames: 1, frameSize: 256, batchLimit: 64 });
    this.ring.start((b: Batch) => {
      const at = performance.now();
      for (let k = 0; k < b.count; k++) {
        const d = k * DESC_STRIDE;
        const kind = parseFrame(b.buf, b.desc[d + DESC_OFFSET]!, b.desc[d + DESC_LENGTH]!, b.desc[d + DESC_VLAN_TCI]!, this.view);
        // Only answers to our requester: the namespace's kernel sends replies (for the routers) too.
        if (this.view.ethDst !== MAC_Q) continue;
        if (kind === FrameKind.ArpReply) this.note(`4:${formatIp4(this.view.senderIp)}`, this.view.senderMac, at);
        else if (kind === FrameKind.NeighborAdvertisement) this.note(`6:${formatIp6(this.view.target)}`, this.view.targetLinkAddr as number, at);
      }
    });
  }
  private note(key: string, mac: number, at: number): void {
    if (!this.seen.has(key)) this.seen.set(key, { mac, at });
  }
}

test('workers 2: a redirect router resolved by one worker answers requesters of both', { skip: needsNetns(), timeout: 90_000 }, async (t) => {
  const list = cases();
  // The routers are the client's addresses: its kernel answers for them.
  const { lab, dir, client: cl, router: rt, clientNetns: netns, cleanup } = clientRouter(t, 'wr', {
    clientIf: 'h0', routerIf: 'c0',
    clientAddrs: list.map((c) => `${c.router}/${c.family === 4 ? 24 : 64}`), routerAddrs: ['192.0.2.1/24', '2001:db8:1::1/64'],
  });
  const routerMac = lab.mac(cl, 'h0');
  const file = join(dir, 'np.conf');
  writeFileSync(file, config(list));
  const daemon = new DaemonProcess(lab, rt, ['--config', file, '--control', join(dir, 'ctl.sock'), '--no-drop', '--log-level', 'info']);
  cleanup.push(() => { if (!daemon.exited) daemon.child.kill('SIGKILL'); });
  await daemon.started(20_000);

  const answers = new Answers(netns);
  cleanup.push(() => answers.ring.close());
  const tx = Ring.open('h0', { netns, filter: REJECT_ALL_FILTER, rxFrames: 16, txFrames: 64, frameSize: 256, qdiscBypass: true });
  cleanup.push(() => tx.close());

  const times: string[] = [];
  const late: string[] = [];
  for (const c of list) {
    const b = new Uint8Array(128);
    const n = c.family === 4
      ? Math.max(60, buildArpRequest(b, 0, -1, BCAST, MAC_Q, parseIp4('192.0.2.250')!, parseIp4(c.target)!))
      : buildNsResolve(b, 0, -1, MAC_Q, parseIp6('fe80::44')! as Ip6, parseIp6(c.target)! as Ip6);
    const key = `${c.family}:${c.target}`;
    const t0 = performance.now();
    send(tx, [b.slice(0, n)]);
    await waitFor(() => answers.seen.has(key), ANSWER_BOUND_MS + 500, 2);
    const got = answers.seen.get(key);
    const what = `IPv${c.family} target ${c.target} (worker ${c.targetOwner}) via router ${c.router} (worker ${c.routerOwner})`;
    if (got === undefined || got.at - t0 > ANSWER_BOUND_MS) late.push(`${what}: ${got ? `${Math.round(got.at - t0)} ms` : 'no answer'}`);
    else assert.equal(formatMac(got.mac), routerMac, `${what}: answered with the router's MAC`);
    times.push(`${what}: ${got ? `${(got.at - t0).toFixed(1)} ms` : 'none'}`);
  }
  t.diagnostic(`time to answer:\n${times.join('\n')}`);
  assert.deepEqual(late, [], `every requester answered within ${ANSWER_BOUND_MS} ms`);
});
