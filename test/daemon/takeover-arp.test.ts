// Takeover cases on a real segment (IPv4): a bridge in the daemon's namespace (the daemon
// captures on br0) with an owner whose kernel owns 198.51.100.10 (MAC A, a real client
// that answers our unicast probe), an attacker (MAC B) and a requester, each in its own
// namespace. Frames are sent from rings in those namespaces; the requester's answers
// are the daemon's (Ethernet source = br0's MAC).
//   .10  A announced, alive; B's gratuitous ARP and B's broadcast request naming .10:
//        requesters are still told A, conflicts counted in metrics.
//   .30  A announced, but A's kernel does not own .30 (A is silent): after B's GARP the
//        entry moves to B within 3 s (a real move).
//   .20  pinned (`pin`): A announced, silent; B's GARP never moves it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE } from '../../src/engine/types';
import { BROADCAST_MAC, parseIp4, parseMac, readMac } from '../../src/net/addr';
import { buildArpRequest, buildGratuitousArp } from '../../src/wire/build';
import { Lab, needsNetns, waitFor } from '../helpers/netns';
import { DaemonProcess } from './fixtures/daemon';
import { parseProm } from './fixtures/prom';

const MAC_A = '02:00:5e:00:53:0a';
const MAC_B = '02:00:5e:00:53:0b';
const MAC_Q = '02:00:5e:00:53:99';
const PORT = 9471;
const CONFIG = 'interface br0\n pin 198.51.100.20\n rule 0.0.0.0/0 198.51.100.0/24 tell\nend\n';

test('takeover (ARP): a live owner keeps its address, a silent one moves within 3 s, a pin never moves', { skip: needsNetns(), timeout: 120_000 }, async (t) => {
  const lab = new Lab('tko');
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
  lab.exec(owner, 'ip', ['addr', 'add', '198.51.100.10/24', 'dev', 'ow0']);
  lab.exec(sw, 'ip', ['addr', 'add', '198.51.100.254/24', 'dev', 'br0']);
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
  const told = new Map<number, number>(); // target IP -> the MAC the daemon last answered with
  const rx = Ring.open('rq0', { netns: lab.nsPath(asker), filter: ARP_REPLY_AND_NA_FILTER });
  rings.push(rx);
  rx.start((batch) => {
    for (let i = 0; i < batch.count; i++) {
      const off = batch.desc[i * DESC_STRIDE + DESC_OFFSET]!;
      if (batch.desc[i * DESC_STRIDE + DESC_LENGTH]! < 42 || batch.buf[off + 12] !== 0x08 || batch.buf[off + 13] !== 0x06) continue;
      if (readMac(batch.buf, off + 6) !== br) continue; // the owner's kernel answers .10 too
      const sip = ((batch.buf[off + 28]! << 24) | (batch.buf[off + 29]! << 16) | (batch.buf[off + 30]! << 8) | batch.buf[off + 31]!) >>> 0;
      told.set(sip, readMac(batch.buf, off + 22));
    }
  });
  const A = parseMac(MAC_A)!;
  const B = parseMac(MAC_B)!;
  const ip = (s: string): number => parseIp4(s)!;
  const garp = (r: Ring, mac: number, addr: string): void => send(r, (b, o) => buildGratuitousArp(b, o, -1, mac, ip(addr)));
  const ask = async (addr: string): Promise<number | undefined> => {
    told.delete(ip(addr));
    send(askerTx, (b, o) => buildArpRequest(b, o, -1, BROADCAST_MAC, parseMac(MAC_Q)!, ip('198.51.100.99'), ip(addr)));
    await waitFor(() => told.has(ip(addr)), 2000);
    return told.get(ip(addr));
  };
  const metrics = (): Map<string, number> => parseProm(lab.exec(sw, process.execPath, ['-e',
    `require('http').get('http://127.0.0.1:${PORT}/metrics',r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>process.stdout.write(b))})`]));

  for (const a of ['198.51.100.10', '198.51.100.20', '198.51.100.30']) garp(ownerTx, A, a);
  await new Promise((r) => setTimeout(r, 300));
  for (const a of ['198.51.100.10', '198.51.100.20', '198.51.100.30']) assert.equal(await ask(a), A, `${a} learned from A's announcement`);

  // B claims all three: a gratuitous ARP, and for .10 also a broadcast request naming .10 as its sender.
  const claimed = Date.now();
  for (const a of ['198.51.100.10', '198.51.100.20', '198.51.100.30']) garp(attackerTx, B, a);
  send(attackerTx, (b, o) => buildArpRequest(b, o, -1, BROADCAST_MAC, B, ip('198.51.100.10'), ip('198.51.100.77')));
  // The real move: .30's owner is silent, B is told within 3 s of the claim (B claims again, as a mover does).
  let moved = false;
  while (!moved && Date.now() - claimed < 3000) {
    await new Promise((r) => setTimeout(r, 250));
    garp(attackerTx, B, '198.51.100.30');
    moved = (await ask('198.51.100.30')) === B;
  }
  const moveMs = Date.now() - claimed;
  await new Promise((r) => setTimeout(r, 1500)); // well past the probe window
  for (const a of ['198.51.100.10', '198.51.100.20']) garp(attackerTx, B, a);
  const live = await ask('198.51.100.10');
  const pinned = await ask('198.51.100.20');
  const m = metrics();
  const conflicts = m.get('neighproxy_takeover_conflicts_total') ?? 0;
  const moves = m.get('neighproxy_takeover_moves_total') ?? 0;
  const pinRefused = m.get('neighproxy_takeover_pinned_refused_total') ?? 0;
  const conflictLog = d.logs.find((l) => l.reason === 'takeover_conflict');
  t.diagnostic(`.30 moved to B after ${moveMs} ms; .10 told ${live?.toString(16)}, .20 told ${pinned?.toString(16)}; ` +
    `conflicts ${conflicts}, moves ${moves}, pinned refused ${pinRefused}; conflict log ${JSON.stringify(conflictLog)}`);
  assert.ok(moved, `a real move is followed within 3 s (${moveMs} ms)`);
  assert.equal(live, A, 'the live owner keeps .10: requesters are still told A');
  assert.equal(pinned, A, 'the pinned .20 never moves');
  assert.ok(conflicts >= 1, 'the conflict is counted in metrics');
  assert.ok(moves >= 1);
  assert.ok(pinRefused >= 2, 'claims on the pin are refused and counted');
  assert.ok(conflictLog && conflictLog.owner === MAC_A && conflictLog.claimant === MAC_B, 'logged with both MACs');
  assert.ok(!d.exited);
  await d.signal('SIGTERM');
});
