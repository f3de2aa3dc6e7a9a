// Worker scaling without a generator: N worker threads, each with the daemon's Pipeline
// and a policy replica, over an in-memory stream of ARP requests and NS (half `self`,
// half `tell` answered from learned entries). Each worker keeps the frames the fanout
// program would hand it (ownerOf the target, as the kernel's PACKET_FANOUT_CBPF does),
// and senders learned from requests are forwarded to their owner over MessagePorts as
// in the daemon (src/daemon/workers/forward.ts). Prints decisions/s per worker and in
// total for each N, medians of several runs, and the cost of one decision.
//   node dist/bench/workers.js [--workers 1,2] [--runs 5] [--seconds 2]
import { MessageChannel, Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ownerOf } from '../src/bpf/fanout';
import { parseConfig } from '../src/config/parse';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, VLAN_NONE, type Batch, type TxWriter } from '../src/engine/types';
import { parseIp6 } from '../src/net/addr';
import { IfaceSlot, monotonicSeconds, Pipeline } from '../src/pipeline/pipeline';
import { InterfaceStats } from '../src/pipeline/stats';
import { Policy } from '../src/policy';
import type { PolicyEnvironment, PolicyOutput } from '../src/policy';
import { LearnForwarder } from '../src/daemon/workers/forward';
import { buildArpRequest, buildNsResolve } from '../src/wire/build';

const CONFIG = [
  'interface c0',
  ' rule 0.0.0.0/0 192.0.2.0/24 self',
  ' rule 0.0.0.0/0 198.51.100.0/24 tell',
  ' rule ::/0 2001:db8:8::/64 self',
  ' rule ::/0 2001:db8:5::/64 tell',
  'end',
  '',
].join('\n');
const SENDERS = 200;
const TARGETS = 2048;
const BATCH = 256;
const FRAME = 128;

interface Job { index: number; count: number; seconds: number; peers: (MessagePort | undefined)[] }
interface Result { index: number; decisions: number; seconds: number; cpu: number; forwarded: number; received: number }

/** CPU time of the calling thread (schedstat: nanoseconds on a CPU), so a busy shared host does not count as our cost. */
function threadCpuSeconds(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
}

/** The stream: ARP and NS requests from SENDERS hosts (learnable) for TARGETS addresses. */
function frames(): { buf: Uint8Array; len: number[]; owner: (n: number) => number[] } {
  const buf = new Uint8Array(TARGETS * 2 * FRAME);
  const len: number[] = [];
  const keys: number[][] = [];
  for (let i = 0; i < TARGETS; i++) {
    const s = i % SENDERS;
    const mac = 0x02005e000000 + s + 1;
    const tell = i % 2 === 1;
    const t4 = tell ? (198 << 24 | 51 << 16 | 100 << 8 | ((i * 7) % SENDERS) + 1) >>> 0 : (192 << 24 | 2 << 8 | (i % 254) + 1) >>> 0;
    len.push(Math.max(60, buildArpRequest(buf, len.length * FRAME, -1, 0xffffffffffff, mac, (198 << 24 | 51 << 16 | 100 << 8 | s + 1) >>> 0, t4)));
    keys.push([0, 0, 0, t4]);
    const t6 = parseIp6(tell ? `2001:db8:5::${((i * 7) % SENDERS + 1).toString(16)}` : `2001:db8:8::${(i + 1).toString(16)}`)!;
    len.push(buildNsResolve(buf, len.length * FRAME, -1, mac, parseIp6(`2001:db8:5::${(s + 1).toString(16)}`)!, t6));
    keys.push([t6[0]!, t6[1]!, t6[2]!, t6[3]!]);
  }
  return { buf, len, owner: (n) => keys.map((k) => ownerOf(k[0]!, k[1]!, k[2]!, k[3]!, n)) };
}

function nullTx(): TxWriter {
  const buf = new Uint8Array(64 * 1024);
  let slot = 0;
  return { buf, slotSize: 256, reserve: () => ((slot = (slot + 1) & 255) * 256), commit: () => undefined, flush: () => 0 };
}

async function workerMain(job: Job): Promise<Result> {
  const { config } = parseConfig(CONFIG, 'bench');
  const env: PolicyEnvironment = {
    interfaceMac: () => 0x02005e00ffff, isOwnIp4: () => false, isOwnIp6: () => false, sourceIp4: () => 0,
    sourceIp6: () => false, routeInterface: () => undefined,
  };
  const nothing = (): void => undefined;
  const output: PolicyOutput = { arpRequest: nothing, arpReply: nothing, arpAnnounce: nothing, neighborSolicitation: nothing, neighborAdvertisement: nothing, unsolicitedNa: nothing };
  const policy = new Policy({ config, env, output });
  const forwarder = new LearnForwarder(job.index, job.count, job.peers);
  if (job.count > 1) policy.setLearnElsewhere(forwarder.hook);
  for (const p of job.peers) p?.on('message', (r: Float64Array) => forwarder.apply(policy, r, monotonicSeconds()));
  const pipeline = new Pipeline(policy);
  const slot = new IfaceSlot('c0', 0, new InterfaceStats('c0'));
  pipeline.configure(config, [slot]);
  const tx = nullTx();
  slot.tx = tx;
  slot.mac = 0x02005e00ffff;
  // This worker's share of the stream, as batches of descriptors over one buffer.
  const f = frames();
  const mine = f.owner(job.count).flatMap((w, i) => (w === job.index ? [i] : []));
  const batches: Batch[] = [];
  for (let b = 0; b < mine.length; b += BATCH) {
    const part = mine.slice(b, b + BATCH);
    const desc = new Uint32Array(part.length * DESC_STRIDE);
    part.forEach((i, k) => {
      desc[k * DESC_STRIDE + DESC_OFFSET] = i * FRAME;
      desc[k * DESC_STRIDE + DESC_LENGTH] = f.len[i]!;
      desc[k * DESC_STRIDE + DESC_VLAN_TCI] = VLAN_NONE;
    });
    batches.push({ count: part.length, buf: f.buf, desc });
  }
  const run = (b: Batch): void => {
    forwarder.now = monotonicSeconds();
    pipeline.onBatch(0, b, tx);
    forwarder.flush(); // the daemon's microtask after each batch
  };
  for (let w = 0; w < 200; w++) run(batches[w % batches.length]!); // warm up, learn
  const s = slot.stats;
  const start = s.requests[0]! + s.requests[1]!;
  const cpu0 = threadCpuSeconds();
  const t0 = performance.now();
  const end = t0 + job.seconds * 1000;
  let k = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 32; i++) run(batches[k++ % batches.length]!);
    await new Promise((r) => setImmediate(r)); // let forwarded learns in, as the event loop does
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = threadCpuSeconds() - cpu0;
  return { index: job.index, decisions: s.requests[0]! + s.requests[1]! - start, seconds, cpu, forwarded: forwarder.forwarded, received: forwarder.received };
}

async function runOnce(n: number, seconds: number): Promise<Result[]> {
  const peers: (MessagePort | undefined)[][] = Array.from({ length: n }, () => new Array<MessagePort | undefined>(n));
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const ch = new MessageChannel();
    peers[i]![j] = ch.port1;
    peers[j]![i] = ch.port2;
  }
  return Promise.all(peers.map((p, index) => new Promise<Result>((resolve, reject) => {
    const job: Job = { index, count: n, seconds, peers: p };
    const w = new Worker(__filename, { workerData: job, transferList: p.filter((x): x is MessagePort => x !== undefined) });
    w.once('message', (r: Result) => { resolve(r); void w.terminate(); });
    w.once('error', reject);
  })));
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; };

async function main(): Promise<void> {
  const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : dflt; };
  const counts = arg('--workers', '1,2').split(',').map(Number);
  const runs = Number(arg('--runs', '5'));
  const seconds = Number(arg('--seconds', '2'));
  console.log(`workers bench: ${TARGETS * 2} frames (ARP + NS, half self, half tell from ${SENDERS} learned senders), ${runs} runs of ${seconds} s, medians`);
  let single = 0;
  for (const n of counts) {
    const totals: number[] = [];
    const perWorker: number[][] = Array.from({ length: n }, () => []);
    const perCpu: number[][] = Array.from({ length: n }, () => []);
    let forwarded = 0;
    let decisions = 0;
    for (let r = 0; r < runs; r++) {
      const res = await runOnce(n, seconds);
      res.forEach((x) => {
        perWorker[x.index]!.push(x.decisions / x.seconds);
        perCpu[x.index]!.push(x.decisions / x.cpu);
      });
      totals.push(res.reduce((a, x) => a + x.decisions / x.seconds, 0));
      forwarded += res.reduce((a, x) => a + x.forwarded, 0);
      decisions += res.reduce((a, x) => a + x.decisions, 0);
    }
    const total = median(totals);
    if (n === 1) single = total;
    const each = perWorker.map((p) => median(p));
    const cpuEach = perCpu.map((p) => median(p));
    const fmt = (x: number): string => Math.round(x).toLocaleString('en');
    console.log(`${n} worker(s): wall ${fmt(total)} decisions/s in total${single && n > 1 ? ` (${(total / single).toFixed(2)}x one worker)` : ''}, ` +
      `per worker ${each.map(fmt).join(', ')}; per CPU-second of each worker ${cpuEach.map(fmt).join(', ')} ` +
      `(${cpuEach.map((c) => (1e9 / c).toFixed(0)).join(', ')} ns per decision; capacity on ${n} free cores ${fmt(cpuEach.reduce((a, c) => a + c, 0))}/s); ` +
      `learns forwarded ${(forwarded / Math.max(1, decisions) * 100).toFixed(2)}% of decisions`);
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores: wall figures share the host, CPU-second figures do not`);
}

if (isMainThread) void main();
else void workerMain(workerData as Job).then((r) => parentPort!.postMessage(r));
