// Golden outputs of `neighproxy filter` and `neighproxy replay`, the latter also on a
// capture the test makes from real kernel traffic. UPDATE_GOLDEN=1 rewrites the files
// (review the diff: they are the specification).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFilter } from '../../src/bpf/compile';
import { formatReplay, replayFrames } from '../../src/replay/replay';
import { readCapture, writePcap } from '../../src/pcap/pcap';
import { renderCompiled } from '../../src/cli/commands/filter';
import { Lab, needsNetns, waitFor } from '../helpers/netns';
import { buildCorpus } from './fixtures/corpus';
import { cache, iface, rule, IGNORE } from './fixtures/configs';
import { ActionKind } from '../../src/config/types';
import { parseIp } from '../../src/net/addr';
import { policyDecider } from '../../src/replay/decider';

const GOLDEN = join(__dirname, '..', '..', '..', 'test', 'bpf', 'fixtures', 'golden');

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
    if (!process.env.UPDATE_GOLDEN) assert.fail(`${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
    writeFileSync(file, actual);
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from the golden file`);
}

const eth0 = iface('eth0', [
  rule(10, '192.0.2.0/25', IGNORE, '192.0.2.0/24'),
  rule(11, '192.0.2.0/24', { kind: ActionKind.Redirect, via: parseIp('192.0.2.1')! }),
  rule(12, '198.51.100.0/24'),
  rule(13, '198.51.101.0/24'),
  rule(14, '2001:db8:1::/48'),
  rule(15, '2001:db8:2::/64', IGNORE),
], { vlans: [10, 11, 12, 20], uplinks: ['fe80::1', 'fe80::2'], statics: ['203.0.113.7', '203.0.113.8'] });

test('filter output: a VLAN, IPv4+IPv6, uplink configuration (cache off and on)', () => {
  golden('filter-eth0-cache-off.txt', renderCompiled(eth0, compileFilter(eth0, cache(0))));
  golden('filter-eth0-cache-on.txt', renderCompiled(eth0, compileFilter(eth0, cache(300))));
});

test('replay output: the mixed corpus through the compiled filter', () => {
  const corpus = buildCorpus();
  const pcap = writePcap(corpus.map((c, i) => ({ data: c.data, origLen: c.data.length, tsSec: i, tsNsec: 0 })));
  const config = { file: 'test.conf', cache: cache(0), interfaces: [eth0] };
  const rows = replayFrames(readCapture(pcap).frames, compileFilter(eth0, cache(0)).program, policyDecider(config, 0));
  golden('replay-corpus.txt', formatReplay(rows, true));
});

const noCapture = needsNetns() ?? (() => {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'needs tcpdump';
  }
})();

test('replay output on a capture of real kernel neighbour resolution', { skip: noCapture, timeout: 20000 }, async () => {
  const lab = new Lab('cap');
  const dir = mkdtempSync(join(tmpdir(), 'npcap-'));
  try {
    const a = lab.netns('a');
    const b = lab.netns('b');
    const ifA = `${lab.prefix.slice(0, 10)}a`;
    const ifB = `${lab.prefix.slice(0, 10)}b`;
    lab.veth(a, ifA, b, ifB, { macA: '02:00:00:00:aa:01', macB: '02:00:00:00:bb:02' });
    for (const [ns, ifn, host] of [[a, ifA, 1], [b, ifB, 2]] as const) {
      lab.exec(ns, 'ip', ['addr', 'add', `192.0.2.${host}/24`, 'dev', ifn]);
      lab.exec(ns, 'ip', ['addr', 'add', `198.51.100.${host}/24`, 'dev', ifn]);
      lab.exec(ns, 'ip', ['-6', 'addr', 'add', `2001:db8:1::${host}/64`, 'dev', ifn, 'nodad']);
    }
    const file = join(dir, 'kernel.pcap');
    const cap = lab.spawn(b, 'tcpdump', ['-i', ifB, '--immediate-mode', '-U', '-w', file, 'arp or (icmp6 and (ip6[40] = 135 or ip6[40] = 136))']);
    let err = '';
    cap.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    assert.ok(await waitFor(() => err.includes('listening on'), 5000), `tcpdump did not start: ${err}`);
    // The kernel in `a` resolves three neighbours (one UDP datagram each, to the discard port).
    for (const dst of ['192.0.2.2', '198.51.100.2', '2001:db8:1::2']) {
      const fam = dst.includes(':') ? 'AF_INET6' : 'AF_INET';
      lab.exec(a, 'python3', ['-c', `import socket; socket.socket(socket.${fam}, socket.SOCK_DGRAM).sendto(b'x', ('${dst}', 9))`]);
      await waitFor(() => lab.neighbours(a, ifA).has(dst), 2000);
    }
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise((r) => cap.on('exit', r));
    cap.kill('SIGINT');
    await exited;
    const frames = readCapture(readFileSync(file)).frames;
    const conf = iface(ifB, [rule(3, '192.0.2.0/24'), rule(4, '2001:db8:1::/64')]);
    const config = { file: 'test.conf', cache: cache(0), interfaces: [conf] };
    const out = formatReplay(replayFrames(frames, compileFilter(conf, cache(0)).program, policyDecider(config, 0)), true);
    golden('replay-kernel-capture.txt', out);
  } finally {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
