// Our disassembler prints what `tcpdump -d` prints, and our interpreter gives tcpdump's
// own verdicts (`tcpdump -r corpus.pcap -w matched.pcap EXPR`), frame by frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disassemble } from '../../src/bpf/disasm';
import { runFilter } from '../../src/bpf/interp';
import { formatDdd, parseDdd } from '../../src/bpf/program';
import { readCapture, writePcap } from '../../src/pcap/pcap';
import { buildCorpus } from './fixtures/corpus';
import { compileFilter, plainFilter } from '../../src/bpf/compile';
import { cache, iface, rule, IGNORE } from './fixtures/configs';
import { ActionKind } from '../../src/config/types';
import { parseIp } from '../../src/net/addr';

function tcpdump(args: string[]): string {
  return execFileSync('tcpdump', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

const skip = (() => {
  try {
    tcpdump(['--version']);
    return undefined;
  } catch {
    return 'needs tcpdump (apt-get install -y tcpdump)';
  }
})();

const CROSS = ['arp', 'arp and arp[6:2] = 1', 'vlan and arp', 'icmp6 and ip6[40] = 135', 'vlan 10 and arp', 'vlan and vlan and icmp6', 'not ip and not ip6'];
const LISTING = [...CROSS,
  'ether[len - 1] = 1 and (ether[1] & 3 != 0) and ether[2:2] - 1 = 3',
  'ip[1:2] * 2 > 3 or tcp[0] = 1 or ip[2] / 3 = 1 or ip[2] % 3 = 1 or ip[3] | 4 = 5 or ip[3] ^ 1 = 2 or ip[4] << 2 = 8 or ip[4] >> 1 = 0',
  'arp[24:4] >= 0xc0000200 and arp[24:4] <= 0xc00002ff',
  'ether[0] & 0x80 = 0x80 or -ether[1] = 0',
];

test('disassembly matches tcpdump -d to the character', { skip }, () => {
  for (const expr of LISTING) {
    const prog = parseDdd(tcpdump(['-ddd', expr]));
    assert.equal(disassemble(prog), tcpdump(['-d', expr]), expr);
    assert.equal(formatDdd(prog), tcpdump(['-ddd', expr]), expr);
  }
  // libpcap's protochain loops with a backward ja: the kernel refuses it, and so do we.
  assert.throws(() => parseDdd(tcpdump(['-ddd', 'ip6 protochain 6'])), /line \d+ \(instruction \d+\): ja \d+ jumps past the end/);
});

test('interpreter verdicts equal tcpdump\'s on the mixed corpus', { skip }, () => {
  const corpus = buildCorpus();
  const dir = mkdtempSync(join(tmpdir(), 'npbpf-'));
  try {
    const file = join(dir, 'corpus.pcap');
    writeFileSync(file, writePcap(corpus.map((c, i) => ({ data: c.data, origLen: c.data.length, tsSec: 1700000000 + i, tsNsec: 0 }))));
    for (const expr of CROSS) {
      const prog = parseDdd(tcpdump(['-ddd', expr]));
      const out = join(dir, 'matched.pcap');
      tcpdump(['-r', file, '-w', out, expr]);
      const theirs = new Set(readCapture(readFileSync(out)).frames.map((f) => f.tsSec - 1700000000));
      const ours = new Set(corpus.flatMap((c, i) => (runFilter(prog, c.data, c.data.length) > 0 ? [i] : [])));
      assert.ok(theirs.size > 0 && theirs.size < corpus.length, `${expr}: ${theirs.size} matches prove nothing`);
      const diff = corpus.flatMap((c, i) => (theirs.has(i) !== ours.has(i) ? [`${c.name}: tcpdump ${theirs.has(i)}, ours ${ours.has(i)}`] : []));
      assert.deepEqual(diff, [], expr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the compiled filter\'s tcpdump expression selects the same frames of a capture as the program', { skip }, () => {
  const corpus = buildCorpus();
  const dir = mkdtempSync(join(tmpdir(), 'npbpf-'));
  try {
    const file = join(dir, 'corpus.pcap');
    writeFileSync(file, writePcap(corpus.map((c, i) => ({ data: c.data, origLen: c.data.length, tsSec: 1700000000 + i, tsNsec: 0 }))));
    const filters = [
      compileFilter(iface('eth0', [rule(3, '192.0.2.0/25', IGNORE), rule(4, '192.0.2.0/24'), rule(5, '2001:db8:1::/48'), rule(6, '198.51.100.0/24', { kind: ActionKind.Redirect, via: parseIp('192.0.2.9')! })], { statics: ['203.0.113.9', '2001:db8:3::6'] }), cache(0)),
      compileFilter(iface('eth0', [rule(3, '2001:db8:1::/48', { kind: ActionKind.Tell }), rule(4, '203.0.113.0/24')], { uplinks: ['fe80::2'] }), cache(0)),
      compileFilter(iface('eth0', [rule(3, '2001:db8:1::/48')]), cache(60)),
      plainFilter(),
    ];
    for (const f of filters) {
      assert.ok(f.expression);
      const out = join(dir, 'matched.pcap');
      tcpdump(['-r', file, '-w', out, f.expression]);
      const theirs = new Set(readCapture(readFileSync(out)).frames.map((x) => x.tsSec - 1700000000));
      const diff = corpus.flatMap((c, i) => ((runFilter(f.program, c.data, c.data.length) > 0) !== theirs.has(i) ? [`${c.name}: tcpdump ${theirs.has(i)}`] : []));
      assert.ok(theirs.size > 0 && theirs.size < corpus.length);
      assert.deepEqual(diff, [], f.expression);
    }
    assert.equal(compileFilter(iface('eth0', [rule(3, '192.0.2.0/24')], { vlans: [10] }), cache(0)).expression, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
