// `neighproxy filter` and `neighproxy replay` end to end, through the real binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDdd } from '../../src/bpf/program';
import { compileFilter } from '../../src/bpf/compile';
import { loadConfig } from '../../src/config/parse';
import { readCapture, writePcap, writePcapng } from '../../src/pcap/pcap';
import { buildCorpus } from '../bpf/fixtures/corpus';
import { parseFrame } from '../../src/wire/parse';
import { FrameKind, FrameView } from '../../src/wire/view';
import { VLAN_NONE } from '../../src/engine/types';
import { REPLAY_MAC } from '../../src/replay/decider';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'neighproxy');

function run(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const CONF = `cache
 timeout 0
end
interface eth1
 vlan 100
 rule 0.0.0.0/0 192.0.2.0/24 self
 rule ::/0 2001:db8:1::/48 self
end
interface eth2
 rule 0.0.0.0/0 198.51.100.0/24 self
end
`;

test('filter: tcpdump -d listing with comments, then -ddd that compiles back to the same program', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npcli-'));
  try {
    const conf = join(dir, 'np.conf');
    writeFileSync(conf, CONF);
    const r = run(['filter', '--config', conf, '--interface', 'eth2']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^; interface eth2: \d+ instructions compiled from 1 rules and 0 statics\n; the same on a capture \(tags in band\): tcpdump '\(arp and len >= 42 and[^\n]*'\n; EtherType/);
    assert.match(r.out, /\n\(000\) ldh {6}\[12\]\n/);
    assert.match(r.out, /; request: target protocol address in 198\.51\.100\.0\/24 \(1 range\)/);
    const ddd = r.out.slice(r.out.indexOf('; tcpdump -ddd form'));
    const prog = parseDdd(ddd.slice(ddd.indexOf('\n') + 1));
    const { config } = loadConfig(conf);
    assert.deepEqual(prog, compileFilter(config.interfaces[1]!, config.cache).program);
    // Both interfaces without --interface.
    const both = run(['filter', '--config', conf]);
    assert.match(both.out, /interface eth1:[\s\S]*VLAN id in 100[\s\S]*interface eth2:/);
    const bad = run(['filter', '--config', conf, '--interface', 'eth7']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /interface 'eth7' is not in .*np\.conf \(it has: eth1, eth2\)/);
    writeFileSync(conf, 'interface eth1\n rule 0.0.0.0/0 192.0.2.0/33 self\nend\n');
    const cfgErr = run(['filter', '--config', conf]);
    assert.equal(cfgErr.code, 1);
    assert.match(cfgErr.err, /np\.conf:2:\d+: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('filter --bytecode: validates an operator program like the kernel, errors with line numbers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npcli-'));
  try {
    const f = join(dir, 'arp.ddd');
    writeFileSync(f, '4\n40 0 0 12\n21 0 1 2054\n6 0 0 262144\n6 0 0 0\n');
    const r = run(['filter', '--bytecode', f]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `; ${f}: 4 instructions, valid for SO_ATTACH_FILTER\n(000) ldh      [12]\n(001) jeq      #0x806           jt 2\tjf 3\n(002) ret      #262144\n(003) ret      #0\n4\n40 0 0 12\n21 0 1 2054\n6 0 0 262144\n6 0 0 0\n`);
    writeFileSync(f, '3\n40 0 0 12\n21 0 5 2054\n6 0 0 0\n');
    const e = run(['filter', '--bytecode', f]);
    assert.equal(e.code, 1);
    assert.equal(e.err, `neighproxy filter: ${f}: line 3 (instruction 1): jump (jt 0, jf 5) goes past the end of the program (3 instructions)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replay: kernel verdict per frame from pcap and pcapng; other linktypes are a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npcli-'));
  try {
    const conf = join(dir, 'np.conf');
    writeFileSync(conf, CONF);
    const corpus = buildCorpus();
    const frames = corpus.map((c, i) => ({ data: c.data, origLen: c.data.length, tsSec: i, tsNsec: 0 }));
    const pcap = join(dir, 'c.pcap');
    const ng = join(dir, 'c.pcapng');
    writeFileSync(pcap, writePcap(frames));
    writeFileSync(ng, writePcapng(frames, { bigEndian: true }));
    const a = run(['replay', '--config', conf, '--interface', 'eth1', pcap]);
    const b = run(['replay', '--config', conf, '--interface', 'eth1', ng]);
    assert.equal(a.code, 0, a.err);
    assert.equal(a.out, b.out);
    const lines = a.out.trim().split('\n');
    assert.equal(lines.length, corpus.length + 2);
    // eth1 handles VLAN 100 only: the QinQ frames (ad100 stripped, q10 in band) have innermost 10, so nothing passes...
    assert.match(lines.at(-1)!, new RegExp(`^${corpus.length} frames: 0 pass the kernel filter`));
    // ...while eth2 (untagged and every VLAN) passes the 198.51.100.0/24 requests on every tag layout.
    const c = run(['replay', '--config', conf, '--interface', 'eth2', '--write', join(dir, 'replies.pcap'), pcap]);
    const passLines = c.out.split('\n').filter((l) => /^ *\d+ +\d+  pass /.test(l));
    assert.equal(passLines.length, 3 * 5);
    assert.ok(passLines.every((l) => /ARP request who-has 198\.51\.100\.(5|130) tell 192\.0\.2\.254 +answer self line 10 \(rule\)$/.test(l) || /ARP gratuitous request 198\.51\.100\.7 +silent self line 10 \(self_request\)$/.test(l)), passLines.join('\n'));
    assert.match(c.out, /\n155 frames: 15 pass the kernel filter, 140 dropped in the kernel, 10 replies\n/);
    // The replies, as the wire parser reads them back: ARP replies from the documentation MAC, on the request's VLAN.
    const replies = readCapture(readFileSync(join(dir, 'replies.pcap'))).frames;
    assert.equal(replies.length, 10);
    const v = new FrameView();
    for (const r of replies) {
      assert.equal(parseFrame(r.data, 0, r.data.length, VLAN_NONE, v), FrameKind.ArpReply);
      assert.equal(v.senderMac, REPLAY_MAC);
    }
    // An operator's own program instead of the compiled one: `tcpdump -ddd 'arp[6:2] = 2'` (ARP replies only).
    const ddd = join(dir, 'replies.ddd');
    writeFileSync(ddd, '6\n40 0 0 12\n21 0 3 2054\n40 0 0 20\n21 0 1 2\n6 0 0 262144\n6 0 0 0\n');
    const d = run(['replay', '--config', conf, '--bytecode', ddd, pcap]);
    const dPass = d.out.split('\n').filter((l) => /^ *\d+ +\d+  pass /.test(l));
    // Untagged only: the program knows no VLANs, and the kernel strips q10/q30 tags, so those frames pass too.
    assert.ok(dPass.length > 0 && dPass.every((l) => / ARP reply /.test(l)), d.out);
    const sll = writePcap(frames);
    sll[20] = 113;
    writeFileSync(pcap, sll);
    const e = run(['replay', '--config', conf, pcap]);
    assert.equal(e.code, 1);
    assert.match(e.err, /c\.pcap: pcap header: linktype 113 \(LINUX_SLL \(tcpdump -i any\)\) is not supported; neighproxy replays Ethernet captures/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
