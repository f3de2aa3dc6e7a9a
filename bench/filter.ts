// The compiled filter against the plain ARP+NS filter, with 90% of the ARP traffic
// irrelevant to the configuration (requests for targets no rule covers).
//
// 1. User space, in this process: per frame, run the filter in our interpreter (what
//    the kernel does), then parse + validate and decide (src/wire, src/policy) the frames
//    it passes (what the daemon then does); ns/frame for each filter and the daemon's share.
// 2. Real kernel (root, python3): a receiver with each filter attached (SO_ATTACH_FILTER)
//    counts a generated stream sent through a veth pair; its CPU time (getrusage) is
//    what the daemon's process would pay. (The daemon's own ring engine is not used
//    here: this is the kernel filter's effect on a receiving process.)
// Medians of several alternating runs; the machine is shared and noisy (2 cores).
import { compileFilter, plainFilter } from '../src/bpf/compile';
import { prepare, runFilter, newAncillary, type PreparedFilter } from '../src/bpf/interp';
import { parseFrame } from '../src/wire/parse';
import { Policy, type PolicyEnvironment, type PolicyOutput } from '../src/policy';
import type { InterfaceConfig } from '../src/config/types';
import { FrameView } from '../src/wire/view';
import { VLAN_NONE } from '../src/engine/types';
import { formatIp4 } from '../src/net/addr';
import { arpRequest } from '../test/bpf/fixtures/corpus';
import { cache, iface, rule } from '../test/bpf/fixtures/configs';
import { Lab, needsNetns } from '../test/helpers/netns';
import { kernelPair, AFPACKET_PY } from '../test/bpf/fixtures/kernel';
import { formatDdd } from '../src/bpf/program';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BpfProgram } from '../src/engine/types';

const STREAM = 10000;
const RUNS = 5;

function stream(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < STREAM; i++) {
    // 1 in 10 for 192.0.2.0/24 (configured), the rest for 198.51.100.0/24 and 203.0.113.0/24.
    const host = (i * 7) % 254 + 1;
    const tpa = i % 10 === 0 ? `192.0.2.${host}` : i % 2 ? `198.51.100.${host}` : `203.0.113.${host}`;
    out.push(arpRequest(i & 0xffff, [], formatIp4(0xcb0071fe), tpa));
  }
  return out;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Filter-only and parse-only loops, timed separately (no clock reads per frame). */
function userSpace(frames: Uint8Array[], prog: PreparedFilter, rounds: number, policy: Policy): { filterNs: number; parseNs: number; passed: number } {
  const view = new FrameView();
  let now = 1000;
  const anc = newAncillary();
  const passedFrames: Uint8Array[] = [];
  for (const f of frames) if (runFilter(prog, f, f.length, anc) > 0) passedFrames.push(f);
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      sink += runFilter(prog, f, f.length, anc);
    }
  }
  const t1 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < passedFrames.length; i++) {
      const f = passedFrames[i]!;
      parseFrame(f, 0, f.length, VLAN_NONE, view);
      sink += policy.handle(view, 0, (now += 1e-6)).verdict;
    }
  }
  const t2 = process.hrtime.bigint();
  if (sink === -1) console.log('');
  const n = frames.length * rounds;
  return { filterNs: Number(t1 - t0) / n, parseNs: Number(t2 - t1) / n, passed: passedFrames.length };
}

async function kernelRun(lab: Lab, pair: ReturnType<typeof kernelPair>, program: BpfProgram, hex: string, repeat: number): Promise<{ count: number; cpu: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'npbench-'));
  try {
    const ddd = join(dir, 'p.ddd');
    writeFileSync(ddd, formatDdd(program));
    const rx = lab.spawn(pair.rxNs, 'python3', [AFPACKET_PY, 'count', pair.rxIf, ddd]);
    let out = '';
    rx.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => rx.on('exit', r));
    while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 10));
    const base = out.length;
    lab.exec(pair.txNs, 'python3', [AFPACKET_PY, 'tx', pair.txIf, String(repeat)], { input: hex });
    rx.stdin!.write('done\n');
    await exited;
    const m = /count (\d+) ([\d.]+) ([\d.]+)/.exec(out.slice(base))!;
    return { count: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const frames = stream();
  const compiled = compileFilter(iface('eth0', [rule(1, '192.0.2.0/24')]), cache(0));
  const plain = plainFilter();
  const pc = prepare(compiled.program);
  const eth0: InterfaceConfig = iface('eth0', [rule(1, '192.0.2.0/24')]);
  const env: PolicyEnvironment = {
    interfaceMac: () => 0x00005e005300, isOwnIp4: () => false, isOwnIp6: () => false,
    sourceIp4: () => 0, sourceIp6: () => false, routeInterface: () => undefined,
  };
  const noop = (): void => undefined;
  const output: PolicyOutput = { arpRequest: noop, arpReply: noop, arpAnnounce: noop, neighborSolicitation: noop, neighborAdvertisement: noop, unsolicitedNa: noop };
  const policy = new Policy({ config: { file: 'bench.conf', cache: cache(0), interfaces: [eth0] }, env, output });
  const pp = prepare(plain.program);
  console.log(`stream: ${STREAM} ARP requests, 10% for 192.0.2.0/24 (configured); compiled filter ${compiled.program.length} insns, plain ${plain.program.length}`);
  userSpace(frames, pc, 20, policy);
  userSpace(frames, pp, 20, policy);
  const rc: number[] = [];
  const rp: number[] = [];
  const dc: number[] = [];
  const dp: number[] = [];
  let passC = 0;
  let passP = 0;
  for (let r = 0; r < RUNS; r++) {
    const a = userSpace(frames, pc, 50, policy);
    const b = userSpace(frames, pp, 50, policy);
    rc.push(a.filterNs);
    rp.push(b.filterNs);
    dc.push(a.parseNs);
    dp.push(b.parseNs);
    passC = a.passed;
    passP = b.passed;
  }
  console.log(`user space, ns per stream frame, median of ${RUNS} alternating runs:`);
  console.log(`  compiled: filter (our interpreter, the kernel's share) ${median(rc).toFixed(1)} ns, daemon parse+policy ${median(dc).toFixed(1)} ns; ${passC}/${STREAM} frames reach the daemon`);
  console.log(`  plain:    filter (our interpreter, the kernel's share) ${median(rp).toFixed(1)} ns, daemon parse+policy ${median(dp).toFixed(1)} ns; ${passP}/${STREAM} frames reach the daemon`);
  console.log(`  daemon work ratio plain/compiled: ${(median(dp) / median(dc)).toFixed(2)}x; frames to user space ${(passP / passC).toFixed(1)}x`);

  const skip = needsNetns();
  if (skip) {
    console.log(`real kernel: skipped (${skip})`);
    return;
  }
  const lab = new Lab('bnf');
  try {
    const pair = kernelPair(lab);
    const hex = `${frames.map((f) => Buffer.from(f).toString('hex')).join('\n')}\n`;
    const repeat = 10; // 100,000 frames per run
    const kc: number[] = [];
    const kp: number[] = [];
    let cc = 0;
    let cp = 0;
    for (let r = 0; r < 3; r++) {
      const a = await kernelRun(lab, pair, compiled.program, hex, repeat);
      const b = await kernelRun(lab, pair, plain.program, hex, repeat);
      kc.push(a.cpu);
      kp.push(b.cpu);
      cc = a.count;
      cp = b.count;
    }
    console.log(`real kernel (veth, python3 AF_PACKET receiver, ${STREAM * repeat} frames per run), median of 3:`);
    console.log(`  compiled: receiver CPU ${(median(kc) * 1000).toFixed(1)} ms, ${cc} frames received`);
    console.log(`  plain:    receiver CPU ${(median(kp) * 1000).toFixed(1)} ms, ${cp} frames received`);
    console.log(`  ratio plain/compiled: ${(median(kp) / median(kc)).toFixed(2)}x`);
  } finally {
    lab.destroy();
  }
}

void main();
