// The compiled filter, run by our interpreter and attached for real in a namespace,
// agrees frame by frame; and with a one-prefix configuration, requests for other
// targets never reach user space (kernel PACKET_STATISTICS and our count agree).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, plainFilter } from '../../src/bpf/compile';
import type { BpfProgram } from '../../src/engine/types';
import { Lab, needsNetns } from '../helpers/netns';
import { arpRequest, buildCorpus, srcIndex } from './fixtures/corpus';
import { cache, iface, rule, IGNORE } from './fixtures/configs';
import { interpreterVerdicts, kernelPair, runInKernel } from './fixtures/kernel';

const skip = needsNetns() ?? (() => {
  try {
    require('node:child_process').execFileSync('python3', ['-c', 'import socket; socket.AF_PACKET']);
    return undefined;
  } catch {
    return 'needs python3 with AF_PACKET';
  }
})();

const programs: Array<[string, BpfProgram]> = [
  ['compiled: v4+v6 rules, vlans 10/11/20, cache off', compileFilter(iface('eth0', [rule(3, '192.0.2.0/25', IGNORE), rule(4, '192.0.2.0/24'), rule(5, '198.51.100.0/25'), rule(6, '2001:db8:1::/48')], { vlans: [10, 11, 20], statics: ['203.0.113.9'] }), cache(0)).program],
  ['compiled: uplink fe80::1, cache on', compileFilter(iface('eth0', [rule(3, '203.0.113.0/28'), rule(4, '2001:db8:3::5')], { uplinks: ['fe80::1'] }), cache(300)).program],
  ['compiled: untagged and every VLAN, v6 only', compileFilter(iface('eth0', [rule(3, '2001:db8:2::/64'), rule(4, '2001:db8:1::/48', IGNORE)]), cache(0)).program],
  ['plain ARP+NS filter', plainFilter().program],
];

test('compiled filters: our interpreter and the kernel agree frame by frame on the mixed corpus', { skip, timeout: 30000 }, async () => {
  const corpus = buildCorpus();
  const frames = corpus.map((c) => c.data);
  const lab = new Lab('bpf');
  try {
    const pair = kernelPair(lab);
    for (const [name, program] of programs) {
      const ours = interpreterVerdicts(program, frames);
      const k = await runInKernel(lab, pair, program, frames);
      const disagreements: string[] = [];
      frames.forEach((f, i) => {
        const mac = Buffer.from(f.subarray(6, 12)).toString('hex');
        const kernelPass = k.received.has(mac);
        if (kernelPass !== ours[i]) disagreements.push(`${corpus[i]!.name}: kernel ${kernelPass ? 'pass' : 'drop'}, ours ${ours[i] ? 'pass' : 'drop'}`);
      });
      for (const mac of k.received.keys()) assert.ok(srcIndex(Buffer.from(`${'0'.repeat(12)}${mac}`, 'hex')) >= 0, `unexpected frame from ${mac}`);
      assert.deepEqual(disagreements, [], name);
      const passed = ours.filter(Boolean).length;
      assert.ok(passed > 0 && passed < frames.length, `${name}: a filter that passes ${passed}/${frames.length} proves nothing`);
      assert.equal(k.packets, passed, `${name}: kernel PACKET_STATISTICS tp_packets`);
    }
  } finally {
    lab.destroy();
  }
});

test('one prefix configured: requests for other targets never reach user space', { skip, timeout: 30000 }, async () => {
  // 200 ARP requests, 20 of them (10%) for 192.0.2.0/24, the rest for 198.51.100.0/24 and 203.0.113.0/24.
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    const tpa = i % 10 === 0 ? `192.0.2.${i % 250}` : i % 2 ? `198.51.100.${i % 250}` : `203.0.113.${i % 250}`;
    frames.push(arpRequest(i, [], '203.0.113.254', tpa));
  }
  const program = compileFilter(iface('eth0', [rule(3, '192.0.2.0/24')]), cache(0)).program;
  const ours = interpreterVerdicts(program, frames).filter(Boolean).length;
  const lab = new Lab('one');
  try {
    const pair = kernelPair(lab);
    const k = await runInKernel(lab, pair, program, frames);
    assert.equal(ours, 20);
    assert.equal(k.packets, 20, 'kernel tp_packets counts only the 20 requests for 192.0.2.0/24');
    assert.equal(k.received.size, 20);
    for (const mac of k.received.keys()) assert.equal(Number.parseInt(mac.slice(8), 16) % 10, 0);
    // Against the plain filter the same stream delivers all 200.
    const kp = await runInKernel(lab, pair, plainFilter().program, frames);
    assert.equal(kp.packets, 200);
  } finally {
    lab.destroy();
  }
});
