// Wire throughput on one core: parse + validate + build a reply, frames/s, with heap growth
// and garbage collections over 10 million frames of each kind.
//
//   npm run compile && node dist/bench/wire.js [--frames N] [--runs R]
//
// The machine may be shared and noisy: every figure is a median of R runs, printed next to
// a reference loop run in the same process (a plain byte copy of the same frames from RX
// slots to TX slots), and the ratio between the two is the number to compare across machines.
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { VLAN_NONE } from '../src/engine/types';
import { parseIp6 } from '../src/net/addr';
import {
  FrameKind, FrameView, NA_FLAG_OVERRIDE, buildArpReplyTo, buildArpRequest, buildNaReplyTo, buildNsResolve,
  newDropCounters, parseFrame,
} from '../src/wire';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const FRAMES = arg('--frames', 500_000);
const RUNS = arg('--runs', 20);

// A ring: 512 RX slots of 2 KiB with distinct frames (different senders/targets), 64 TX slots.
const SLOT = 2048;
const SLOTS = 512;
const rx = new Uint8Array(SLOT * SLOTS);
const rxLen = new Uint32Array(SLOTS);
const tx = new Uint8Array(SLOT * 64);
const OUR_MAC = 0x020000000001;

function fillArp(): void {
  for (let i = 0; i < SLOTS; i++) {
    rxLen[i] = buildArpRequest(rx, i * SLOT, i & 1 ? 100 : -1, 0xffffffffffff, 0x020000100000 + i, 0xc6336400 + (i & 0xff), 0xc0000200 + ((i * 7) & 0xff));
  }
}
function fillNs(): void {
  const src = parseIp6('2001:db8::1')!;
  const target = parseIp6('2001:db8:1::')!;
  for (let i = 0; i < SLOTS; i++) {
    src[3] = i + 1;
    target[3] = (i * 13) + 1;
    rxLen[i] = buildNsResolve(rx, i * SLOT, i & 1 ? 100 : -1, 0x020000200000 + i, src, target);
  }
}

const view = new FrameView();
const drops = newDropCounters();
const linkLocal = parseIp6('fe80::1')!;
let sink = 0;

function runWire(n: number): number {
  let replies = 0;
  for (let i = 0; i < n; i++) {
    const s = i & (SLOTS - 1);
    const kind = parseFrame(rx, s * SLOT, rxLen[s]!, VLAN_NONE, view);
    const out = (i & 63) * SLOT;
    if (kind === FrameKind.ArpRequest) {
      replies += buildArpReplyTo(tx, out, view, OUR_MAC, OUR_MAC) > 0 ? 1 : 0;
    } else if (kind === FrameKind.NeighborSolicitation) {
      replies += buildNaReplyTo(tx, out, view, OUR_MAC, OUR_MAC, linkLocal, NA_FLAG_OVERRIDE) > 0 ? 1 : 0;
    } else {
      drops[view.drop]!++;
    }
  }
  return replies;
}

/** Reference: copy each frame's bytes from its RX slot to a TX slot, byte by byte. */
function runCopy(n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const s = i & (SLOTS - 1);
    const from = s * SLOT;
    const len = rxLen[s]!;
    const to = (i & 63) * SLOT;
    for (let j = 0; j < len; j++) tx[to + j] = rx[from + j]!;
    acc += tx[to + len - 1]!;
  }
  return acc;
}

function rate(fn: (n: number) => number, n: number): number {
  const t0 = process.hrtime.bigint();
  sink += fn(n);
  const ns = Number(process.hrtime.bigint() - t0);
  return n / (ns / 1e9);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

let gcs = 0;
const obs = new PerformanceObserver((list) => { gcs += list.getEntries().length; });

async function measure(label: string, fill: () => void): Promise<{ wire: number; copy: number; ratio: number; heapDelta: number; gcCount: number; frames: number }> {
  fill();
  rate(runWire, 1_000_000); // warm up: let the optimiser settle
  rate(runCopy, 1_000_000);
  const wire: number[] = [];
  const copy: number[] = [];
  gc();
  await new Promise((r) => setImmediate(r));
  gcs = 0;
  obs.observe({ entryTypes: ['gc'] });
  const before = process.memoryUsage().heapUsed;
  // Wire and reference runs alternate, so a neighbour's burst of load hits both alike.
  const ratios: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    wire.push(rate(runWire, FRAMES));
    copy.push(rate(runCopy, FRAMES));
    ratios.push(wire[r]! / copy[r]!);
  }
  await new Promise((r) => setImmediate(r));
  const gcCount = gcs;
  obs.disconnect();
  gc();
  const heapDelta = process.memoryUsage().heapUsed - before;
  const res = { wire: median(wire), copy: median(copy), ratio: median(ratios), heapDelta, gcCount, frames: FRAMES * RUNS };
  const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M/s`;
  console.log(`${label.padEnd(4)} parse+validate+reply ${fmt(res.wire)} (range ${fmt(Math.min(...wire))} .. ${fmt(Math.max(...wire))})`);
  console.log(`${''.padEnd(4)} reference byte copy  ${fmt(res.copy)}   median ratio wire/copy ${res.ratio.toFixed(2)} (range ${Math.min(...ratios).toFixed(2)} .. ${Math.max(...ratios).toFixed(2)})`);
  console.log(`${''.padEnd(4)} heap growth over ${(res.frames / 1e6).toFixed(0)} M frames (and as many copies): ${res.heapDelta} bytes after gc; GCs during the runs: ${gcCount}`);
  return res;
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${FRAMES} frames x ${RUNS} runs per kind, one core (shared machine: compare ratios)`);
  const arp = await measure('ARP', fillArp);
  const ns = await measure('NS', fillNs);
  console.log(JSON.stringify({ arpPerSec: Math.round(arp.wire), arpCopyPerSec: Math.round(arp.copy), nsPerSec: Math.round(ns.wire),
    nsCopyPerSec: Math.round(ns.copy), arpRatio: +arp.ratio.toFixed(3), nsRatio: +ns.ratio.toFixed(3), arpHeapDelta: arp.heapDelta, nsHeapDelta: ns.heapDelta, arpGcs: arp.gcCount, nsGcs: ns.gcCount,
    drops: drops.reduce((a, b) => a + b, 0), sink: sink & 1 }));
}

void main();
