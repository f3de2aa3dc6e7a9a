// `workers 2` in namespaces: the fanout spreads frames over both workers, and no decision
// depends on which worker saw a frame: a sender learned by one answers a request handled
// by the other, `delay` counts per target, `ctl add` and a SIGHUP reach both, the
// statistics and metrics are the sums, and 20 000 requests at 10 000/s are all answered.
// Addresses are chosen with ownerOf() so each check crosses workers (the test says which
// precondition failed if the hash ever changes). Needs root; skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownerOf } from '../../src/bpf/fanout';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import { generate } from '../../src/engine/generator';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, type Batch } from '../../src/engine/types';
import { formatIp4, formatIp6, formatMac, parseIp4, parseIp6, type Ip6 } from '../../src/net/addr';
import { buildArpRequest, buildNsResolve } from '../../src/wire/build';
import { parseFrame } from '../../src/wire/parse';
import { FrameKind, FrameView } from '../../src/wire/view';
import { send } from '../engine/fixtures/pair';
import { generatorPair } from '../helpers/generator-pair';
import { needsNetns, waitFor } from '../helpers/netns';
import { BIN, DaemonProcess } from './fixtures/daemon';
import { scrapeMetrics } from './fixtures/prom';

const BCAST = 0xffffffffffff;
const MAC_X = 0x02005e005311;
const MAC_R = 0x02005e005322;

const owner4 = (ip: string): number => ownerOf(0, 0, 0, parseIp4(ip)!, 2);
const owner6 = (ip: string): number => { const a = parseIp6(ip)!; return ownerOf(a[0]!, a[1]!, a[2]!, a[3]!, 2); };

/** The first `n` addresses `make(i)` whose owner is `want`. */
function ownedBy(want: number, owner: (a: string) => number, make: (i: number) => string, n = 1): string[] {
  const out: string[] = [];
  for (let i = 1; out.length < n && i < 250; i++) if (owner(make(i)) === want) out.push(make(i));
  assert.equal(out.length, n, `precondition: ${n} addresses owned by worker ${want}`);
  return out;
}

function config(selfV4: string): string {
  return [
    'workers 2',
    'cache',
    ' timeout 300',
    ' delay 3*5',
    'end',
    'interface c0',
    ' rule 0.0.0.0/0 198.51.100.0/24 tell',
    ' rule ::/0 2001:db8:5::/64 tell',
    ' rule 0.0.0.0/0 203.0.113.0/25 delay self',
    ' rule ::/0 2001:db8:6::/64 delay self',
    ` rule 0.0.0.0/0 ${selfV4} self`,
    ' rule ::/0 2001:db8:8::/64 self',
    'end',
    '',
  ].join('\n');
}

/** Answers seen by the client: `4:IP` / `6:IP` -> answered MAC, and counts. */
class Answers {
  readonly ring: Ring;
  readonly macs = new Map<string, number>();
  readonly count = new Map<string, number>();
  arp = 0;
  na = 0;
  private readonly view = new FrameView();
  constructor(netns: string) {
    this.ring = Ring.open('h0', { netns, filter: ARP_REPLY_AND_NA_FILTER, rxFrames: 1 << 16, txFrames: 1, frameSize: 256, batchLimit: 512 });
    this.ring.start((b: Batch) => {
      for (let k = 0; k < b.count; k++) {
        const d = k * DESC_STRIDE;
        const kind = parseFrame(b.buf, b.desc[d + DESC_OFFSET]!, b.desc[d + DESC_LENGTH]!, b.desc[d + DESC_VLAN_TCI]!, this.view);
        let key: string;
        if (kind === FrameKind.ArpReply) { this.arp++; key = `4:${formatIp4(this.view.senderIp)}`; this.macs.set(key, this.view.senderMac); }
        else if (kind === FrameKind.NeighborAdvertisement) { this.na++; key = `6:${formatIp6(this.view.target)}`; this.macs.set(key, this.view.targetLinkAddr as number); }
        else continue;
        this.count.set(key, (this.count.get(key) ?? 0) + 1);
      }
    });
  }
  mac(key: string): string | undefined {
    const m = this.macs.get(key);
    return m === undefined ? undefined : formatMac(m);
  }
}

const arpReq = (senderMac: number, sender: string, target: string): Uint8Array => {
  const b = new Uint8Array(128);
  const n = buildArpRequest(b, 0, -1, BCAST, senderMac, parseIp4(sender)!, parseIp4(target)!);
  return b.slice(0, Math.max(n, 60));
};
const nsReq = (srcMac: number, src: string, target: string): Uint8Array => {
  const b = new Uint8Array(128);
  return b.slice(0, buildNsResolve(b, 0, -1, srcMac, parseIp6(src)! as Ip6, parseIp6(target)! as Ip6));
};

interface WorkerFigures { worker: number; interfaces: { name: string; framesReceived: number; requests: { ipv4: number; ipv6: number } }[] }
interface Stats { interfaces: { requests: { ipv4: number; ipv6: number }; ring: { framesReceived: number } }[]; workers?: WorkerFigures[] }

test('workers 2: spread by address, one state whichever worker sees a frame', { skip: needsNetns(), timeout: 90_000 }, async (t) => {
  const { lab, dir, gen: cl, rt, cleanup } = generatorPair(t, 'wk', { gen: 'cl', genIf: 'h0' });
  lab.exec(rt, 'ip', ['-6', 'addr', 'add', '2001:db8:1::ffff/64', 'dev', 'c0', 'nodad']);
  const file = join(dir, 'np.conf');
  writeFileSync(file, config('192.0.2.0/25'));
  const sock = join(dir, 'ctl.sock');
  const port = 19000 + (process.pid % 1000);
  const daemon = new DaemonProcess(lab, rt, ['--config', file, '--control', sock, '--metrics', `127.0.0.1:${port}`, '--no-drop', '--log-level', 'info']);
  cleanup.push(() => { if (!daemon.exited) daemon.child.kill('SIGKILL'); });
  await daemon.started(20_000);
  const workerRings = daemon.logs.filter((l) => l.event === 'ring_open' && (l as { worker?: number }).worker !== undefined);
  assert.equal(workerRings.length, 2, 'each worker opened its own ring on c0');

  const netns = lab.nsPath(cl);
  const answers = new Answers(netns);
  cleanup.push(() => answers.ring.close());
  const tx = Ring.open('h0', { netns, filter: REJECT_ALL_FILTER, rxFrames: 16, txFrames: 4096, frameSize: 256, qdiscBypass: true });
  cleanup.push(() => tx.close());
  const ctl = (...args: string[]): Record<string, unknown> =>
    JSON.parse(execFileSync('ip', ['netns', 'exec', rt, process.execPath, BIN, 'ctl', '--control', sock, '--json', ...args], { encoding: 'utf8' })) as Record<string, unknown>;
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
  let sent4 = 0;
  let sent6 = 0;
  const send4 = (frames: Uint8Array[]): void => { send(tx, frames); sent4 += frames.length; };
  const send6 = (frames: Uint8Array[]): void => { send(tx, frames); sent6 += frames.length; };

  // (a) Learned entries: X speaks in a request another worker handles; a request for X
  // goes to X's owner, which must have been told. Both directions, both families.
  for (const w of [0, 1]) {
    const [x] = ownedBy(w, owner4, (i) => `198.51.100.${i}`);
    const [via] = ownedBy(1 - w, owner4, (i) => `198.51.100.${100 + i}`);
    send4([arpReq(MAC_X + w, x!, via!)]);
    await settle();
    send4([arpReq(MAC_R, '192.0.2.250', x!)]);
    assert.ok(await waitFor(() => answers.macs.has(`4:${x}`), 3000), `ARP for ${x} (owner ${w}), learned via a request for ${via} (owner ${1 - w}), is answered`);
    assert.equal(answers.mac(`4:${x}`), formatMac(MAC_X + w));
    const [s] = ownedBy(w, owner6, (i) => `2001:db8:5::${i.toString(16)}`);
    const [via6] = ownedBy(1 - w, owner6, (i) => `2001:db8:5::1:${i.toString(16)}`);
    send6([nsReq(MAC_X + w, s!, via6!)]);
    await settle();
    send6([nsReq(MAC_R, 'fe80::22', s!)]);
    assert.ok(await waitFor(() => answers.macs.has(`6:${s}`), 3000), `NS for ${s} (owner ${w}), learned via an NS for ${via6} (owner ${1 - w}), is answered`);
    assert.equal(answers.mac(`6:${s}`), formatMac(MAC_X + w));
  }

  // (b) delay 3*5: only the third request for a (source, target) pair is answered, over
  // targets owned by both workers (an address-blind fanout would split the counts).
  const delay4 = [...ownedBy(0, owner4, (i) => `203.0.113.${i}`, 4), ...ownedBy(1, owner4, (i) => `203.0.113.${i}`, 4)];
  const delay6 = [...ownedBy(0, owner6, (i) => `2001:db8:6::${i.toString(16)}`, 4), ...ownedBy(1, owner6, (i) => `2001:db8:6::${i.toString(16)}`, 4)];
  for (let round = 1; round <= 3; round++) {
    send4(delay4.map((a) => arpReq(MAC_R, '192.0.2.250', a)));
    send6(delay6.map((a) => nsReq(MAC_R, 'fe80::22', a)));
    await settle();
    const got = [...delay4.map((a) => `4:${a}`), ...delay6.map((a) => `6:${a}`)].filter((k) => answers.count.has(k)).length;
    assert.equal(got, round < 3 ? 0 : 16, `after round ${round} of delay 3*5`);
  }

  // (c) ctl add reaches both workers; a SIGHUP reload does too.
  const statics4 = [...ownedBy(0, owner4, (i) => `203.0.113.${128 + i}`), ...ownedBy(1, owner4, (i) => `203.0.113.${128 + i}`)];
  const statics6 = [...ownedBy(0, owner6, (i) => `2001:db8:7::${i.toString(16)}`), ...ownedBy(1, owner6, (i) => `2001:db8:7::${i.toString(16)}`)];
  [...statics4, ...statics6].forEach((a, i) => assert.equal(ctl('add', a, `02:00:5e:00:53:${(0x70 + i).toString(16)}`).ok, true));
  send4(statics4.map((a) => arpReq(MAC_R, '192.0.2.250', a)));
  send6(statics6.map((a) => nsReq(MAC_R, 'fe80::22', a)));
  await settle();
  [...statics4.map((a) => `4:${a}`), ...statics6.map((a) => `6:${a}`)].forEach((k, i) =>
    assert.equal(answers.mac(k), `02:00:5e:00:53:${(0x70 + i).toString(16)}`, `static ${k} answered by its owner worker`));
  const upper = [...ownedBy(0, owner4, (i) => `192.0.2.${128 + i}`, 3), ...ownedBy(1, owner4, (i) => `192.0.2.${128 + i}`, 3)];
  send4(upper.map((a) => arpReq(MAC_R, '192.0.2.250', a)));
  await settle();
  assert.equal(upper.filter((a) => answers.count.has(`4:${a}`)).length, 0, 'before the reload: no rule for 192.0.2.128/25');
  writeFileSync(file, config('192.0.2.0/24'));
  const mark = daemon.logs.length;
  daemon.child.kill('SIGHUP');
  await daemon.waitLog((l) => l.event === 'reloaded' && (l as { worker?: number }).worker === undefined, 10_000, mark);
  send4(upper.map((a) => arpReq(MAC_R, '192.0.2.250', a)));
  await settle();
  assert.equal(upper.filter((a) => answers.count.has(`4:${a}`)).length, upper.length, 'after the reload both workers answer 192.0.2.128/25');

  // (e) No loss at a modest rate: 10 000 ARP + 10 000 NS at 10 000/s, interleaved.
  const before = { arp: answers.arp, na: answers.na };
  const templates: Uint8Array[] = [];
  for (let i = 0; i < 100; i++) templates.push(arpReq(MAC_R, '192.0.2.250', `192.0.2.${1 + i}`), nsReq(MAC_R, 'fe80::22', `2001:db8:8::${(i + 1).toString(16)}`));
  const res = await generate(tx, { templates, count: 20_000, ratePps: 10_000 });
  assert.equal(res.sent, 20_000);
  sent4 += 10_000;
  sent6 += 10_000;
  await waitFor(() => answers.arp - before.arp >= 10_000 && answers.na - before.na >= 10_000, 5000);
  assert.equal(answers.ring.counters().kernelDrops, 0, "the test's own capture dropped replies");
  assert.equal(answers.arp - before.arp, 10_000, 'every ARP request answered');
  assert.equal(answers.na - before.na, 10_000, 'every NS answered');

  // Spread and (d) sums: per-worker shares are real, and ctl and /metrics report their sum.
  await settle();
  const stats = ctl('show', 'stats') as unknown as Stats;
  const c0 = stats.interfaces[0]!;
  assert.ok(stats.workers && stats.workers.length === 2, 'show stats lists both workers');
  const per = stats.workers.map((w) => w.interfaces[0]!);
  for (const p of per) assert.ok(p.framesReceived > 5000 && p.requests.ipv4 > 2000 && p.requests.ipv6 > 2000, `each worker takes a share: ${JSON.stringify(per)}`);
  assert.equal(per[0]!.requests.ipv4 + per[1]!.requests.ipv4, c0.requests.ipv4);
  assert.equal(per[0]!.requests.ipv6 + per[1]!.requests.ipv6, c0.requests.ipv6);
  assert.equal(per[0]!.framesReceived + per[1]!.framesReceived, c0.ring.framesReceived);
  assert.equal(c0.requests.ipv4, sent4, 'every ARP request sent was counted once');
  assert.equal(c0.requests.ipv6, sent6, 'every NS sent was counted once');
  const m = scrapeMetrics(lab, rt, port);
  assert.equal(m.get('neighproxy_requests_total{interface="c0",family="ipv4"}'), sent4);
  assert.equal(m.get('neighproxy_requests_total{interface="c0",family="ipv6"}'), sent6);
  const cache = ctl('show', 'cache') as { entries?: { address: string }[] };
  assert.ok((cache.entries ?? []).length >= 4, 'show cache gathers the learned entries from both workers');
});
