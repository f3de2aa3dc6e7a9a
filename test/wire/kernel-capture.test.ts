// Live: the Linux kernel resolves neighbours between two namespaces while tcpdump records
// the wire; every ARP/NS/NA it sent must equal what our builders make from the same fields,
// and our replies to the kernel's requests must equal the kernel's own replies.
// (The same frames, captured once, are kept in fixtures/kernel-frames.ts for runs without root.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VLAN_NONE } from '../../src/engine/types';
import { BROADCAST_MAC, isMulticast6, parseMac } from '../../src/net/addr';
import { FrameKind, FrameView, NA_FLAG_OVERRIDE, buildArpReplyTo, buildNaReplyTo, parseFrame } from '../../src/wire';
import { Lab, needsNetns, waitFor } from '../helpers/netns';
import { hex, readPcap } from '../helpers/pcap';
import { rebuildLikeKernel } from './fixtures/rebuild';

function skipReason(): string | undefined {
  const ns = needsNetns();
  if (ns) return ns;
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'needs tcpdump';
  }
  return undefined;
}

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';

test('kernel ARP/NS/NA on the wire equal our builders, field for field', { skip: skipReason(), timeout: 20_000 }, async (t) => {
  const lab = new Lab('wire');
  const dir = mkdtempSync(join(tmpdir(), 'np-wire-'));
  t.after(() => {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  const a = lab.netns('a');
  const b = lab.netns('b');
  const ifA = `${lab.prefix.slice(0, 11)}a`;
  const ifB = `${lab.prefix.slice(0, 11)}b`;
  lab.veth(a, ifA, b, ifB, { macA: MAC_A, macB: MAC_B });
  lab.exec(a, 'ip', ['addr', 'add', '192.0.2.1/24', 'dev', ifA]);
  lab.exec(b, 'ip', ['addr', 'add', '192.0.2.2/24', 'dev', ifB]);
  lab.exec(a, 'ip', ['addr', 'add', '2001:db8::a/64', 'dev', ifA, 'nodad']);
  lab.exec(b, 'ip', ['addr', 'add', '2001:db8::b/64', 'dev', ifB, 'nodad']);
  // Announce on MAC change (gratuitous ARP, unsolicited NA); probe stale entries at once (unicast ARP/NS).
  lab.exec(a, 'sysctl', ['-qw', `net.ipv4.conf.${ifA}.arp_notify=1`, `net.ipv6.conf.${ifA}.ndisc_notify=1`,
    `net.ipv4.neigh.${ifA}.delay_first_probe_time=0`, `net.ipv6.neigh.${ifA}.delay_first_probe_time=0`]);

  const file = join(dir, 'cap.pcap');
  const dump = lab.spawn(b, 'tcpdump', ['-U', '--immediate-mode', '-Z', 'root', '-n', '-i', ifB, '-w', file, '-c', '30',
    'arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136))']);
  let stderr = '';
  dump.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  assert.ok(await waitFor(() => stderr.includes('listening on'), 5000), `tcpdump did not start: ${stderr}`);

  const send = () => lab.exec(a, 'bash', ['-c', 'echo x > /dev/udp/192.0.2.2/9; echo x > /dev/udp/2001:db8::b/9'], { allowFail: true });
  send();
  assert.ok(await waitFor(() => {
    const n = lab.neighbours(a, ifA);
    return n.get('192.0.2.2') === MAC_B && n.get('2001:db8::b') === MAC_B;
  }, 3000), 'A did not resolve B');
  lab.exec(a, 'ip', ['neigh', 'change', '192.0.2.2', 'dev', ifA, 'lladdr', MAC_B, 'nud', 'stale']);
  lab.exec(a, 'ip', ['neigh', 'change', '2001:db8::b', 'dev', ifA, 'lladdr', MAC_B, 'nud', 'stale']);
  send();
  await new Promise((r) => setTimeout(r, 400));
  lab.exec(a, 'ip', ['link', 'set', ifA, 'address', '02:00:00:00:00:0c']);
  await new Promise((r) => setTimeout(r, 400));
  dump.kill('SIGINT');
  await new Promise((r) => (dump.exitCode !== null ? r(null) : dump.once('exit', r)));
  assert.ok(existsSync(file), `no capture file: ${stderr}`);

  const frames = readPcap(readFileSync(file)).map((r) => r.bytes);
  const compared = new Set<string>();
  for (const f of frames) {
    const r = rebuildLikeKernel(f);
    if ('skip' in r) continue;
    assert.equal(hex(r.built), hex(f), r.label);
    compared.add(r.label);
  }
  for (const label of ['ARP request (broadcast)', 'ARP reply', 'ARP request (unicast)', 'gratuitous ARP', 'NS (solicited-node)',
    'NS (unicast)', 'solicited NA', 'unsolicited NA']) {
    assert.ok(compared.has(label), `no kernel ${label} captured (${frames.length} frames; got ${[...compared].join(', ')})`);
  }

  // Our answer to the kernel's first requests, next to the kernel's own answer.
  const v = new FrameView();
  const w = new FrameView();
  const out = new Uint8Array(128);
  const macB = parseMac(MAC_B)!;
  const arpReq = frames.find((f) => parseFrame(f, 0, f.length, VLAN_NONE, v) === FrameKind.ArpRequest && v.ethDst === BROADCAST_MAC && v.senderIp !== v.targetIp)!;
  const arpRep = frames.find((f) => parseFrame(f, 0, f.length, VLAN_NONE, w) === FrameKind.ArpReply)!;
  parseFrame(arpReq, 0, arpReq.length, VLAN_NONE, v);
  assert.equal(hex(out.subarray(0, buildArpReplyTo(out, 0, v, macB, macB))), hex(arpRep));
  const ns = frames.find((f) => parseFrame(f, 0, f.length, VLAN_NONE, v) === FrameKind.NeighborSolicitation && isMulticast6(v.ip6Dst))!;
  const na = frames.find((f) => parseFrame(f, 0, f.length, VLAN_NONE, w) === FrameKind.NeighborAdvertisement && !isMulticast6(w.ip6Dst) && w.targetLinkAddr !== -1)!;
  parseFrame(ns, 0, ns.length, VLAN_NONE, v);
  // The kernel answers for its own address: source = target, O=1.
  assert.equal(hex(out.subarray(0, buildNaReplyTo(out, 0, v, macB, macB, v.target, NA_FLAG_OVERRIDE))), hex(na));
});
