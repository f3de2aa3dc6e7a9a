// The main thread's side of `workers N`: starts the workers, wires every pair with a
// MessageChannel for forwarded learns, and asks all of them at once, synchronously
// (protocol.ts), for counters, cache dumps, reloads and static entries.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { WORKERS_DEFAULT_CAP } from '../../config/keywords';
import { ActionKind, type Config } from '../../config/types';
import type { InterfaceStats } from '../../pipeline/stats';
import type { Logger } from '../log';
import { RouterAwaits } from './awaits';
import { RingTurns } from './ordering';
import type { RingReport } from '../interfaces';
import type { WorkerIfaceStats, WorkerInit, WorkerReply, WorkerRequest, WorkerStarted } from './protocol';

/** `workers auto` (the default): one per online CPU, at most WORKERS_DEFAULT_CAP; 1 on one CPU. */
export function coreWorkers(cpus = availableParallelism()): number {
  return Math.max(1, Math.min(cpus, WORKERS_DEFAULT_CAP));
}

/**
 * Workers a configuration asks for: `auto` when it does not say, except with `probe ...
 * autowire`, which one worker only can run (config/checks-workers.ts refuses it with N > 1).
 */
export function workersOf(config: Config, cores = coreWorkers()): number {
  if (config.workers === undefined) return usesAutowire(config) ? 1 : cores;
  return config.workers === 'auto' ? cores : config.workers;
}

function usesAutowire(config: Config): boolean {
  return config.interfaces.some((i) => i.rules.some((r) => r.action.kind === ActionKind.Probe && r.action.probe.autowire));
}

/** A request without its id (the pool numbers them). */
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** What the pool passes on to every worker as it is (the rest of WorkerInit is the pool's own). */
export type PoolOptions = Pick<WorkerInit, 'count' | 'config' | 'configText' | 'logLevel' | 'tickMs' | 'linkPollMs'>;

export interface WorkerStatsReply {
  interfaces: WorkerIfaceStats[];
  forwarded: number;
  received: number;
  /** The control request that held the worker's loop longest so far, and for how long (ms). */
  slowestRequest?: { ms: number; request: string };
}

export class WorkerPool {
  readonly count: number;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly replies = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;
  /** Resolves when every worker has started (rings open); rejects with the first failure. */
  readonly ready: Promise<void>;
  /** Per worker, the last counters asked for (per-worker figures in `ctl show stats`). */
  last: (WorkerStatsReply | null)[] = [];
  private stopped = false;
  /** Every worker has started: before that nobody is asked anything (start-up must not wait on itself). */
  private started = false;

  constructor(opts: PoolOptions, private readonly log: Logger) {
    this.count = opts.count;
    const n = opts.count;
    const turns = RingTurns.buffer();
    const awaits = RouterAwaits.buffer();
    const epochMs = Date.now();
    const groupBase = (process.pid * 0x9e37) & 0xffff;
    const peers: (MessagePort | undefined)[][] = Array.from({ length: n }, () => new Array<MessagePort | undefined>(n));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const ch = new MessageChannel();
        peers[i]![j] = ch.port1;
        peers[j]![i] = ch.port2;
      }
    }
    const started: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const ch = new MessageChannel();
      this.ports.push(ch.port1);
      const init: WorkerInit & { neighproxyWorker: true } = {
        neighproxyWorker: true, index: i, count: n, config: opts.config, configText: opts.configText, logLevel: opts.logLevel,
        tickMs: opts.tickMs, linkPollMs: opts.linkPollMs, groupBase, turns, awaits, epochMs, replies: this.replies.buffer as SharedArrayBuffer,
        control: ch.port2, peers: peers[i]!,
      };
      const w = new Worker(join(__dirname, 'thread.js'), { workerData: init, transferList: [ch.port2, ...peers[i]!.filter((p): p is MessagePort => p !== undefined)] });
      this.workers.push(w);
      started.push(this.startOf(w, i));
    }
    this.last = new Array(n).fill(null);
    this.ready = Promise.all(started).then(() => { this.started = true; });
    this.ready.catch(() => undefined); // the daemon's start awaits it; never unhandled
  }

  /** Per interface, each worker's last ring report (workers post one at every open, failure and close). */
  private readonly rings = new Map<string, (RingReport | undefined)[]>();
  /** Called after a worker's ring of an interface changed (the main thread's InterfaceSet follows). */
  onRing: ((name: string) => void) | null = null;

  private startOf(w: Worker, i: number): Promise<void> {
    return new Promise((resolve, reject) => {
      w.on('message', (m: WorkerStarted | { ring: RingReport }) => {
        if ('ring' in m) {
          const list = this.rings.get(m.ring.name) ?? new Array<RingReport | undefined>(this.count);
          list[i] = m.ring;
          this.rings.set(m.ring.name, list);
          if (!this.stopped) this.onRing?.(m.ring.name); // at stop every ring closes: nothing to follow
        } else if (m.started) resolve();
        else reject(Object.assign(new Error(`worker ${i}: ${m.error}`), { code: m.code }));
      });
      w.on('error', (err) => {
        this.log.error({ event: 'worker_error', worker: i, err }, `worker ${i} failed: ${err.message}`);
        reject(err);
      });
      w.on('exit', (code) => {
        if (!this.stopped) this.log.error({ event: 'worker_exit', worker: i, code }, `worker ${i} exited (${code}): its share of the frames goes to the others`);
        reject(new Error(`worker ${i} exited (${code}) before it started`));
      });
    });
  }

  /**
   * Sends `req` to every worker and waits (blocking this thread, at most `timeoutMs`) for
   * every answer; a worker that does not answer in time has null in its place.
   */
  request(req: Request, timeoutMs = 2000): (WorkerReply | null)[] {
    if (!this.started || this.stopped) return new Array<WorkerReply | null>(this.count).fill(null);
    const id = this.nextId++;
    for (const p of this.ports) p.postMessage({ ...req, id });
    const out: (WorkerReply | null)[] = new Array(this.count).fill(null);
    let pending = this.count;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Read the counter first: an answer counted after this read wakes the wait at once.
      const seen = Atomics.load(this.replies, 0);
      for (let i = 0; i < this.count; i++) {
        if (out[i] !== null) continue;
        for (let m = receiveMessageOnPort(this.ports[i]!); m !== undefined; m = receiveMessageOnPort(this.ports[i]!)) {
          const r = m.message as WorkerReply;
          if (r.id !== id) continue; // the late answer to a request that timed out
          out[i] = r;
          pending--;
          break;
        }
      }
      const left = deadline - Date.now();
      if (pending === 0 || left <= 0) break;
      Atomics.wait(this.replies, 0, seen, Math.min(left, 50));
    }
    if (pending > 0) this.log.warn({ event: 'worker_timeout', request: req.type, missing: pending }, `${pending} worker(s) did not answer '${req.type}' within ${timeoutMs} ms`);
    return out;
  }

  /**
   * An interface's rings over all workers: open when every worker's is open (on the same
   * link), else the first worker's reason (a worker that has not said yet: pending).
   */
  ringState(name: string): RingReport {
    const list = this.rings.get(name) ?? [];
    for (let i = 0; i < this.count; i++) {
      const r = list[i];
      if (r === undefined) return { name, open: false, code: 'E_WORKER_PENDING', message: `worker ${i} has not opened its ring yet`, ifindex: 0, mac: 0 };
      if (!r.open) return { ...r, code: r.code ?? 'ENODEV', message: `worker ${i}: ${r.message}` };
      if (r.ifindex !== list[0]!.ifindex) return { name, open: false, code: 'E_WORKER_PENDING', message: `worker ${i} is on another ifindex`, ifindex: 0, mac: 0 };
    }
    return { ...list[0]!, message: '' };
  }

  /** Sums every worker's counters into `stats` (the main thread's, by interface name). */
  collect(stats: ReadonlyMap<string, InterfaceStats>): void {
    if (!this.started) return;
    const replies = this.request({ type: 'stats' });
    this.last = replies.map((r) => (r?.ok ? (r.value as WorkerStatsReply) : null));
    const seen = new Set<string>();
    for (const r of this.last) {
      for (const ifs of r?.interfaces ?? []) {
        const s = stats.get(ifs.name);
        if (!s) continue;
        if (!seen.has(ifs.name)) {
          seen.add(ifs.name);
          zero(s);
        }
        add(s, ifs);
      }
    }
  }

  /** Per-worker figures from the last collect(). */
  figures(): Record<string, unknown>[] {
    return this.last.map((r, worker) => ({
      worker,
      answering: r !== null,
      forwardedLearns: r?.forwarded ?? 0,
      receivedLearns: r?.received ?? 0,
      slowestRequest: r?.slowestRequest ?? null,
      interfaces: (r?.interfaces ?? []).map((i) => ({
        name: i.name,
        open: i.open,
        framesReceived: i.ring.framesReceived,
        kernelDrops: i.ring.kernelDrops,
        batches: i.ring.batches,
        requests: { ipv4: i.arrays.requests![0], ipv6: i.arrays.requests![1] },
      })),
    }));
  }

  /** Stops the workers (their rings close); resolves when all have exited. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.ports) p.postMessage({ id: 0, type: 'stop' });
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      const t = setTimeout(() => void w.terminate().then(() => resolve()), 300);
      w.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    })));
    for (const p of this.ports) p.close();
  }
}

function zero(s: InterfaceStats): void {
  for (const v of Object.values(s)) if (v instanceof Float64Array) v.fill(0);
  for (const k of Object.keys(s.ringBase) as (keyof typeof s.ringBase)[]) s.ringBase[k] = 0;
}

function add(s: InterfaceStats, w: WorkerIfaceStats): void {
  const target = s as unknown as Record<string, unknown>;
  for (const [k, src] of Object.entries(w.arrays)) {
    const dst = target[k];
    if (!(dst instanceof Float64Array)) continue;
    for (let i = 0; i < dst.length && i < src.length; i++) dst[i]! += src[i]!;
  }
  for (const [k, v] of Object.entries(w.ring)) {
    const key = k as keyof typeof s.ringBase;
    if (key in s.ringBase) s.ringBase[key] += v;
  }
}
