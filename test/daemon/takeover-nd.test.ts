// Takeover cases on a real segment (IPv6; takeover-arp.test.ts has the same for IPv4): a bridge in the daemon's namespace (the daemon
// captures on br0) with an owner whose kernel owns 2001:db8::10 (MAC A, a real client
// that answers our unicast probe), an attacker (MAC B) and a requester, each in its own
// namespace. Frames are sent from rings in those namespaces; the requester's answers
// are the daemon's (Ethernet source = br0's MAC).
//   ::10  A announced, alive; B's unsolicited NA (O=1) and B's multicast NS with SLLAO
//         from ::10: requesters are still told A, conflicts counted in metrics.
//   ::30  A announced, but A's kernel does not own ::30 (silent): after B's NA the entry
//         moves to B within 3 s (a real move).
//   ::20  pinned (`pin`): A announced, silent; B's NA never moves it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE } from '../../src/engine/types';
import { multicastMac6, parseIp6, parseMac, readIp6, readMac, solicitedNode6, type Ip6 } from '../../src/net/addr';
import { buildNeighborSolicitation, buildUnsolicitedNa } from '../../src/wire/build';
import { NA_FLAG_OVERRIDE } from '../../src/wire/view';
import { Lab, needsNetns, waitFor } from '../helpers/netns';
import { DaemonProcess } from './fixtures/daemon';

const key = (a: Ip6): string => Array.from(a).join(':');
import { parseProm } from './fixtures/prom';

const MAC_A = '02:00:5e:00:53:0a';
const MAC_B = '02:00:5e:00:53:0b';
const MAC_Q = '02:00:5e:00:53:99';
const PORT = 9472;
const CONFIG = 'interface br0\n pin 2001:db8::20\n rule ::/0 2001:db8::/64 tell\nend\n';

test('takeover (ND): a live owner keeps its address, a silent one moves within 3 s, a pin never moves', { skip: needsNetns(), timeout: 120_000 }, async (t) => {
  const lab = new Lab('tkn');
  const dir = mkdtempSync(join(tmpdir(), 'npt-'));
  const rings: Ring[] = [];
  t.after(() => {
    for (const r of rings) r.close();
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  const sw = lab.netns('sw');
  const owner = lab.netns('ow');
  const attacker = lab.netns('at');
  const asker = lab.netns('rq');
  lab.exec(sw, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
  lab.exec(sw, 'ip', ['link', 'set', 'br0', 'address', '02:00:5e:00:53:fe', 'up']);
  for (const [ns, ifn, port, mac] of [[owner, 'ow0', 'swo', MAC_A], [attacker, 'at0', 'swa', MAC_B], [asker, 'rq0', 'swr', MAC_Q]] as const) {
    lab.veth(ns, ifn, sw, port, { macA: mac });
    lab.exec(sw, 'ip', ['link', 'set', port, 'master', 'br0']);
  }
  lab.exec(owner, 'ip', ['addr', 'add', '2001:db8::10/64', 'dev', 'ow0', 'nodad']);
  lab.exec(sw, 'ip', ['addr', 'add', '2001:db8::fe/64', 'dev', 'br0', 'nodad']);
  const file = join(dir, 'neighproxy.conf');
  writeFileSync(file, CONFIG);
  const d = new DaemonProcess(lab, sw, ['--config', file, '--no-control', '--no-drop', '--no-mld-joins', '--metrics', `127.0.0.1:${PORT}`]);
  await d.started();
  const br = parseMac(lab.mac(sw, 'br0'))!;

  const sender = (ns: string, ifn: string): Ring => {
    const r = Ring.open(ifn, { netns: lab.nsPath(ns), filter: REJECT_ALL_FILTER });
    rings.push(r);
    return r;
  };
  const send = (r: Ring, build: (buf: Uint8Array, off: number) => number): void => {
    const off = r.tx.reserve();
    assert.ok(off >= 0);
    r.tx.commit(build(r.tx.buf, off));
    r.tx.flush();
  };
  const ownerTx = sender(owner, 'ow0');
  const attackerTx = sender(attacker, 'at0');
  const askerTx = sender(asker, 'rq0');
  const told = new Map<string, number>(); // target -> the MAC the daemon last answered with
  const rx = Ring.open('rq0', { netns: lab.nsPath(asker), filter: ARP_REPLY_AND_NA_FILTER });
  rings.push(rx);
  rx.start((batch) => {
    for (let i = 0; i < batch.count; i++) {
      const off = batch.desc[i * DESC_STRIDE + DESC_OFFSET]!;
      const len = batch.desc[i * DESC_STRIDE + DESC_LENGTH]!;
      if (len < 86 || batch.buf[off + 12] !== 0x86 || batch.buf[off + 13] !== 0xdd || batch.buf[off + 54] !== 136) continue;
      if (readMac(batch.buf, off + 6) !== br || batch.buf[off + 78] !== 2) continue; // ours, with a TLLAO
      told.set(key(readIp6(batch.buf, off + 62, new Uint32Array(4))), readMac(batch.buf, off + 80));
    }
  });
  const A = parseMac(MAC_A)!;
  const B = parseMac(MAC_B)!;
  const Q = parseMac(MAC_Q)!;
  const ip = (s: string): Ip6 => parseIp6(s)!;
  const na = (r: Ring, mac: number, addr: string): void =>
    send(r, (b, o) => buildUnsolicitedNa(b, o, -1, mac, ip(addr), ip(addr), mac, NA_FLAG_OVERRIDE));
  const ask = async (addr: string): Promise<number | undefined> => {
    told.delete(key(ip(addr)));
    const g = solicitedNode6(ip(addr), new Uint32Array(4));
    send(askerTx, (b, o) => buildNeighborSolicitation(b, o, -1, Q, multicastMac6(g), ip('2001:db8::99'), g, ip(addr), Q));
    await waitFor(() => told.has(key(ip(addr))), 2000);
    return told.get(key(ip(addr)));
  };
  const metrics = (): Map<string, number> => parseProm(lab.exec(sw, process.execPath, ['-e',
    `require('http').get('http://127.0.0.1:${PORT}/metrics',r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>process.stdout.write(b))})`]));

  const ADDRS = ['2001:db8::10', '2001:db8::20', '2001:db8::30'];
  for (const a of ADDRS) na(ownerTx, A, a);
  await new Promise((r) => setTimeout(r, 300));
  for (const a of ADDRS) assert.equal(await ask(a), A, `${a} learned from A's advertisement`);

  // B claims all three with an unsolicited NA (O=1); for ::10 also a multicast NS with SLLAO from ::10.
  const claimed = Date.now();
  for (const a of ADDRS) na(attackerTx, B, a);
  const g = solicitedNode6(ip('2001:db8::77'), new Uint32Array(4));
  send(attackerTx, (b, o) => buildNeighborSolicitation(b, o, -1, B, multicastMac6(g), ip('2001:db8::10'), g, ip('2001:db8::77'), B));
  // The real move: ::30's owner is silent, B is told within 3 s of the claim (B claims again, as a mover does).
  let moved = false;
  while (!moved && Date.now() - claimed < 3000) {
    await new Promise((r) => setTimeout(r, 250));
    na(attackerTx, B, '2001:db8::30');
    moved = (await ask('2001:db8::30')) === B;
  }
  const moveMs = Date.now() - claimed;
  await new Promise((r) => setTimeout(r, 1500)); // well past the probe window
  for (const a of ['2001:db8::10', '2001:db8::20']) na(attackerTx, B, a);
  const live = await ask('2001:db8::10');
  const pinned = await ask('2001:db8::20');
  const m = metrics();
  const conflicts = m.get('neighproxy_takeover_conflicts_total') ?? 0;
  const moves = m.get('neighproxy_takeover_moves_total') ?? 0;
  const pinRefused = m.get('neighproxy_takeover_pinned_refused_total') ?? 0;
  const conflictLog = d.logs.find((l) => l.reason === 'takeover_conflict');
  t.diagnostic(`::30 moved to B after ${moveMs} ms; ::10 told ${live?.toString(16)}, ::20 told ${pinned?.toString(16)}; ` +
    `conflicts ${conflicts}, moves ${moves}, pinned refused ${pinRefused}; conflict log ${JSON.stringify(conflictLog)}`);
  assert.ok(moved, `a real move is followed within 3 s (${moveMs} ms)`);
  assert.equal(live, A, 'the live owner keeps ::10: requesters are still told A');
  assert.equal(pinned, A, 'the pinned ::20 never moves');
  assert.ok(conflicts >= 1, 'the conflict is counted in metrics');
  assert.ok(moves >= 1);
  assert.ok(pinRefused >= 2, 'claims on the pin are refused and counted');
  assert.ok(conflictLog && conflictLog.owner === MAC_A && conflictLog.claimant === MAC_B, 'logged with both MACs');
  assert.ok(!d.exited);
  await d.signal('SIGTERM');
});
