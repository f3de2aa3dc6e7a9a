// Real-kernel figure for the compiled filter, through the daemon's ring engine: a child
// process opens Ring.open(if, { filter, netns }) and counts frames; a native generator
// sends a stream with 90% irrelevant ARP requests from a peer namespace; the child's
// process.cpuUsage() over the run is what the daemon would pay. Compiled filter and the
// plain ARP+NS filter alternate, 3 runs each, medians. The handler parses and validates
// every frame (src/wire), as the daemon does before the policy. Needs root. Shared, noisy
// 2-core machine: read ratios.
//   node dist/bench/filter-ring.js [frames=300000] [pps=150000]
import { fork } from 'node:child_process';
import { compileFilter, plainFilter } from '../src/bpf/compile';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, type BpfProgram } from '../src/engine/types';
import { parseFrame } from '../src/wire/parse';
import { FrameView } from '../src/wire/view';
import { Ring } from '../src/engine/ring';
import { generate } from '../src/engine/generator';
import { REJECT_ALL_FILTER } from '../src/engine/filters';
import { arpRequest } from '../test/bpf/fixtures/corpus';
import { cache, iface, rule } from '../test/bpf/fixtures/configs';
import { Lab, needsNetns } from '../test/helpers/netns';
import { kernelPair } from '../test/bpf/fixtures/kernel';

/** Child: receive until told to stop, then report CPU time and counters. */
function child(): void {
  let ring: Ring | null = null;
  let frames = 0;
  let cpu0 = process.cpuUsage();
  process.on('message', (m: { cmd: string; ifname?: string; netns?: string; filter?: BpfProgram }) => {
    if (m.cmd === 'open') {
      ring = Ring.open(m.ifname!, { filter: m.filter!, netns: m.netns! });
      const view = new FrameView();
      ring.start((batch) => {
        for (let i = 0; i < batch.count; i++) {
          const d = i * DESC_STRIDE;
          parseFrame(batch.buf, batch.desc[d + DESC_OFFSET]!, batch.desc[d + DESC_LENGTH]!, batch.desc[d + DESC_VLAN_TCI]!, view);
        }
        frames += batch.count;
      });
      cpu0 = process.cpuUsage();
      process.send!({ ready: true });
    } else if (m.cmd === 'stop') {
      const cpu = process.cpuUsage(cpu0);
      const c = ring!.counters();
      ring!.close();
      process.send!({ frames, userUs: cpu.user, systemUs: cpu.system, counters: c }, () => process.exit(0));
    }
  });
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function run(lab: Lab, pair: ReturnType<typeof kernelPair>, program: BpfProgram, count: number, pps: number): Promise<{ cpuMs: number; frames: number; sent: number }> {
  const c = fork(__filename, ['child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const msg = <T>(): Promise<T> => new Promise((r) => c.once('message', (m) => r(m as T)));
  c.send({ cmd: 'open', ifname: pair.rxIf, netns: lab.nsPath(pair.rxNs), filter: program });
  await msg<{ ready: boolean }>();
  const tx = Ring.open(pair.txIf, { filter: REJECT_ALL_FILTER, netns: lab.nsPath(pair.txNs) });
  const templates: Uint8Array[] = [];
  for (let i = 0; i < 10; i++) templates.push(arpRequest(i, [], '203.0.113.254', i === 0 ? '192.0.2.1' : i % 2 ? '198.51.100.1' : '203.0.113.1'));
  let sent = 0;
  try {
    sent = (await generate(tx, { templates, count, ratePps: pps, varyTarget: 200 })).sent;
  } finally {
    tx.close();
  }
  await new Promise((r) => setTimeout(r, 200));
  const done = msg<{ frames: number; userUs: number; systemUs: number }>();
  c.send({ cmd: 'stop' });
  const res = await done;
  return { cpuMs: (res.userUs + res.systemUs) / 1000, frames: res.frames, sent };
}

async function main(): Promise<void> {
  const skip = needsNetns();
  if (skip) {
    console.log(`filter-ring: skipped (${skip})`);
    return;
  }
  const count = Number(process.argv[2] ?? 300000);
  const pps = Number(process.argv[3] ?? 150000);
  const compiled = compileFilter(iface('eth0', [rule(1, '192.0.2.0/24')]), cache(0)).program;
  const plain = plainFilter().program;
  const lab = new Lab('bfr');
  try {
    const pair = kernelPair(lab);
    const cc: number[] = [];
    const cp: number[] = [];
    const c0: number[] = [];
    let fc = 0;
    let fp = 0;
    let sent = 0;
    for (let r = 0; r < 3; r++) {
      const a = await run(lab, pair, compiled, count, pps);
      const b = await run(lab, pair, plain, count, pps);
      c0.push((await run(lab, pair, REJECT_ALL_FILTER, count, pps)).cpuMs);
      cc.push(a.cpuMs);
      cp.push(b.cpuMs);
      fc = a.frames;
      fp = b.frames;
      sent = a.sent;
    }
    console.log(`ring engine receiver, ${sent} frames at ${pps} pps (10% for the configured 192.0.2.0/24), median of 3 alternating runs:`);
    console.log(`  compiled: process CPU ${median(cc).toFixed(1)} ms, ${fc} frames reached JS`);
    console.log(`  plain:    process CPU ${median(cp).toFixed(1)} ms, ${fp} frames reached JS`);
    console.log(`  reject-all (nothing reaches JS; the receiver's fixed cost): process CPU ${median(c0).toFixed(1)} ms`);
    console.log(`  ratio plain/compiled: ${(median(cp) / median(cc)).toFixed(2)}x; above the fixed cost: ${((median(cp) - median(c0)) / Math.max(1e-9, median(cc) - median(c0))).toFixed(2)}x`);
  } finally {
    lab.destroy();
  }
}

if (process.argv[2] === 'child') child();
else void main();
