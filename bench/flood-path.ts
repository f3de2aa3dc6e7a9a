// The flood path of issue 12 in one process, without a wire: the real Pipeline and Policy
// (flood-sources' configuration, default settings) fed N frames from N distinct spoofed
// sources, as bench/flood-sources.ts sends them (IPv6: multicast NS with a source
// link-layer option from 2001:db8:1::3:0:0 + i for 2001:db8:4::1, learned, never
// answered; IPv4: ARP requests from 1 M MACs over 198.51.100.1-128 for 198.51.100.250),
// in batches of 256, the timers run every 0.1 s of the simulated clock. Prints the cost of
// one flood frame (ns, thread CPU) per chunk of 100 000, so the first 65 536 (the cache
// fills) and the rest (every learn evicts) show apart, and the heap after. With
// `--workers-hook` the learns go through the worker forwarder's hook (keys another
// worker owns are queued, as with workers 2). Profile with
//   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/flood-path.js [--family ipv6|ipv4] [--sources N]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config/parse';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, VLAN_NONE, type Batch, type TxWriter } from '../src/engine/types';
import { parseIp4, parseIp6 } from '../src/net/addr';
import { IfaceSlot, Pipeline } from '../src/pipeline/pipeline';
import { InterfaceStats } from '../src/pipeline/stats';
import { Policy } from '../src/policy';
import type { PolicyEnvironment, PolicyOutput } from '../src/policy';
import { LearnForwarder } from '../src/daemon/workers/forward';
import { buildArpRequest, buildNsResolve } from '../src/wire/build';

const CONFIG = 'interface c0\n rule 0.0.0.0/0 198.51.100.0/24 tell\n rule ::/0 2001:db8:1::/64 tell\nend\n';
const BATCH = 256;
const FRAME = 128;
const CHUNK = 100_000;
const OUR_MAC = 0x02005e00ffff;

function threadCpuSeconds(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
}

function nullTx(): TxWriter {
  const buf = new Uint8Array(64 * 1024);
  let slot = 0;
  return { buf, slotSize: 256, reserve: () => ((slot = (slot + 1) & 255) * 256), commit: () => undefined, flush: () => 0 };
}

/** Frames first..first+n-1 of the flood, built into `buf` with their batches' descriptors. */
function buildChunk(family: string, first: number, n: number, buf: Uint8Array): Batch[] {
  const base6 = parseIp6('2001:db8:1::3:0:0')!;
  const tgt6 = parseIp6('2001:db8:4::1')!;
  const src = parseIp6('2001:db8:1::3:0:0')!;
  const batches: Batch[] = [];
  for (let b = 0; b < n; b += BATCH) {
    const count = Math.min(BATCH, n - b);
    const desc = new Uint32Array(count * DESC_STRIDE);
    for (let k = 0; k < count; k++) {
      const i = first + b + k;
      const off = (b + k) * FRAME;
      const mac = 0x020600000000 + i;
      let len: number;
      if (family === 'ipv6') {
        src[3] = (base6[3]! + i) >>> 0;
        len = buildNsResolve(buf, off, -1, mac, src, tgt6);
      } else {
        len = buildArpRequest(buf, off, -1, 0xffffffffffff, mac, (parseIp4('198.51.100.1')! + (i % 128)) >>> 0, parseIp4('198.51.100.250')!);
      }
      desc[k * DESC_STRIDE + DESC_OFFSET] = off;
      desc[k * DESC_STRIDE + DESC_LENGTH] = Math.max(60, len);
      desc[k * DESC_STRIDE + DESC_VLAN_TCI] = VLAN_NONE;
    }
    batches.push({ count, buf, desc });
  }
  return batches;
}

function main(argv: string[]): void {
  const arg = (k: string, d: string): string => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1]! : d; };
  const family = arg('--family', 'ipv6');
  const sources = Number(arg('--sources', '1000000'));
  const rate = Number(arg('--rate', '20000'));
  const hook = argv.includes('--workers-hook');
  const { config } = parseConfig(CONFIG, 'bench');
  const env: PolicyEnvironment = {
    interfaceMac: () => OUR_MAC, isOwnIp4: () => false, isOwnIp6: () => false, sourceIp4: () => 0,
    sourceIp6: () => false, routeInterface: () => undefined,
  };
  const nothing = (): void => undefined;
  const output: PolicyOutput = { arpRequest: nothing, arpReply: nothing, arpAnnounce: nothing, neighborSolicitation: nothing, neighborAdvertisement: nothing, unsolicitedNa: nothing };
  const policy = new Policy({ config, env, output });
  const pipeline = new Pipeline(policy, () => now);
  const slot = new IfaceSlot('c0', 0, new InterfaceStats('c0'));
  pipeline.configure(config, [slot]);
  const tx = nullTx();
  slot.tx = tx;
  slot.mac = OUR_MAC;
  // The forwarder's peer: a port that drops what it is given (its posting cost stays).
  const sink = { postMessage: (_m: unknown): void => undefined } as unknown as import('node:worker_threads').MessagePort;
  const forwarder = new LearnForwarder(0, 2, [undefined, sink]);
  if (hook) policy.setLearnElsewhere(forwarder.hook);
  let now = 1;
  let nextTick = 1.1;
  const buf = new Uint8Array(CHUNK * FRAME);
  console.log(`${family} flood path: ${sources} sources, simulated ${rate}/s, ${hook ? 'with' : 'without'} the workers' learn hook`);
  for (let first = 0; first < sources; first += CHUNK) {
    const n = Math.min(CHUNK, sources - first);
    const batches = buildChunk(family, first, n, buf);
    const cpu0 = threadCpuSeconds();
    const t0 = performance.now();
    for (const b of batches) {
      now += b.count / rate;
      forwarder.now = now;
      pipeline.onBatch(0, b, tx);
      if (hook) forwarder.flush();
      if (now >= nextTick) {
        policy.tick(now);
        nextTick = now + 0.1;
      }
    }
    const ns = ((performance.now() - t0) * 1e6) / n;
    const cpu = ((threadCpuSeconds() - cpu0) * 1e9) / n;
    const m = process.memoryUsage();
    console.log(`frames ${first}-${first + n - 1}: ${ns.toFixed(0)} ns/frame (CPU ${cpu.toFixed(0)} ns); cache ${policy.cache.size}, ` +
      `evictions ${policy.cache.evictions}; heap ${(m.heapUsed / 1048576).toFixed(1)} MB, external ${(m.external / 1048576).toFixed(1)} MB, ` +
      `array buffers ${(m.arrayBuffers / 1048576).toFixed(1)} MB, RSS ${(m.rss / 1048576).toFixed(0)} MB`);
  }
}

if (require.main === module) main(process.argv.slice(2));
