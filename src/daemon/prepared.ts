// Prepared reloads: the slow half of a SIGHUP (parsing, whole-file checks, BPF compiles:
// seconds for 100 000 rules) runs in a worker thread (prepare-worker.ts) while the main
// thread keeps answering; the daemon then swaps the result in between two batches
// (Daemon.reload: prepare -> swap). One worker, started at the first reload and ended
// after IDLE_MS without one, so an idle daemon holds no second isolate.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../config/parse';
import type { Config, InterfaceConfig, StaticEntry } from '../config/types';
import { attachTables, fromWire, type IfaceTablesWire } from '../policy/tables';
import { listOf, setList, type ListName, type PrepareRequest } from './prepare-worker';
import type { LoadedConfig } from './reload';

/** A worker lingers this long after its last reload (SIGHUPs often come in bursts). */
export const IDLE_MS = 30_000;

interface Reply {
  id: number;
  ok: boolean;
  message?: string;
  code?: string;
  config?: LoadedConfig['config'];
  warnings?: LoadedConfig['warnings'];
  filters?: LoadedConfig['filters'];
  filterLog?: string[];
  /** Per interface, per LISTS name: how many items follow in chunks. */
  lengths?: number[][];
  /** Per interface, its rules and statics as built tables (`flat`). */
  tables?: IfaceTablesWire[];
  /** A chunk of an interface's list. */
  iface?: number;
  list?: ListName;
  items?: unknown[];
}

/** A reply whose lists are still arriving. */
interface Assembly {
  reply: Reply;
  missing: number;
}

/**
 * How much lower the prepare thread runs than the daemon (nice steps). NEIGHPROXY_PREPARE_NICE
 * overrides it (0: the same priority), for measurements.
 */
export const PREPARE_NICE = 10;

function prepareNice(): number {
  const env = process.env.NEIGHPROXY_PREPARE_NICE;
  return env !== undefined && env !== '' ? Number(env) : PREPARE_NICE;
}

export class WorkerPreparer {
  private worker: Worker | null = null;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (l: LoadedConfig) => void; reject: (e: Error) => void }>();
  private readonly assembling = new Map<number, Assembly>();
  private idle: NodeJS.Timeout | null = null;

  /** The text of each request in flight with `flat` tables: their lists are parsed again from it if read. */
  private readonly texts = new Map<number, { path: string; text: string }>();

  /**
   * `flat` (data-path workers, which join no groups): rules and statics come as built tables
   * (src/policy/tables.ts) and the blocks' `rules` and `statics` lists are parsed again
   * from the text only when something reads them (`onRebuilt` is told: a `ctl add`'s filter,
   * a takeover's announcements); the policy's reload never does.
   */
  constructor(private readonly script = join(__dirname, 'prepare-worker.js'), private readonly opts: { flat?: boolean; share?: boolean; onRebuilt?: (ms: number) => void } = {}) {}

  /** Reads, checks and compiles `path` off the main thread; rejects with the error (and .code) a load would throw. */
  prepare(path: string, runtimeStatics: Record<string, StaticEntry[]>, text?: string): Promise<LoadedConfig> {
    const w = this.start();
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const id = this.next++;
    const flat = this.opts.flat === true && text !== undefined;
    if (flat) this.texts.set(id, { path, text });
    return new Promise<LoadedConfig>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, path, runtimeStatics, text, flat, share: !flat && this.opts.share === true } satisfies PrepareRequest);
    });
  }

  /** Attaches the tables of a `flat` reply; each block's rules and statics become lists parsed again on first read. */
  private attach(r: Reply): void {
    const src = this.texts.get(r.id);
    this.texts.delete(r.id);
    if (!r.tables || !src) return;
    adoptTables(r.config!, r.tables, src.text, src.path, this.opts.onRebuilt, false);
  }

  close(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    void this.worker?.terminate();
    this.worker = null;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.script, { workerData: { nice: prepareNice() } });
    w.unref();
    w.on('message', (r: Reply) => this.receive(r));
    w.on('error', (err) => this.failAll(err));
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
      this.failAll(new Error('the reload worker exited'));
    });
    this.worker = w;
    return w;
  }

  /** The head of a configuration, then its lists chunk by chunk; settles once the last item is in. */
  private receive(r: Reply): void {
    if (r.items === undefined) {
      if (!r.ok) return this.settle(r);
      this.attach(r);
      const missing = r.lengths!.reduce((n, l) => n + l.reduce((a, b) => a + b, 0), 0);
      if (missing === 0) return this.settle(r);
      this.assembling.set(r.id, { reply: r, missing });
      return this.ack(r.id);
    }
    const a = this.assembling.get(r.id);
    if (!a) return;
    const iface = a.reply.config!.interfaces[r.iface!]!;
    const list = listOf(iface, r.list!) ?? [];
    for (const x of r.items) list.push(x);
    setList(iface, r.list!, list);
    a.missing -= r.items.length;
    if (a.missing > 0) return this.ack(r.id);
    this.assembling.delete(r.id);
    this.settle(a.reply);
  }

  /** Asks for the next chunk from a later turn, so batches are answered between two copies. */
  private ack(id: number): void {
    setImmediate(() => this.worker?.postMessage({ ack: id }));
  }

  private settle(r: Reply): void {
    const p = this.waiting.get(r.id);
    if (!p) return;
    this.waiting.delete(r.id);
    this.texts.delete(r.id);
    // The BPF compiler's own warnings (a filter too long) are logged with the file's.
    if (r.ok) {
      const warnings = [...r.warnings!, ...(r.filterLog ?? []).map((message) => ({ message }))];
      p.resolve({ config: r.config!, warnings, filters: r.filters!, ...(this.opts.share && r.tables ? { tables: r.tables } : {}) });
    }
    else p.reject(Object.assign(new Error(r.message), { code: r.code }));
    if (this.waiting.size === 0) {
      this.idle = setTimeout(() => this.close(), IDLE_MS);
      this.idle.unref();
    }
  }

  private failAll(err: Error): void {
    for (const p of this.waiting.values()) p.reject(err);
    this.waiting.clear();
    this.texts.clear();
    this.assembling.clear();
  }
}

/**
 * Attaches `tables` (per block) to `config`, whose blocks' rules and statics become lists
 * parsed again from `text` on first read (once for every block; `onRebuilt` is told).
 * `ownInfo`: the tables are shared with other threads (copy what the hot path writes).
 */
export function adoptTables(config: Config, tables: IfaceTablesWire[], text: string, path: string, onRebuilt: ((ms: number) => void) | undefined, ownInfo: boolean): void {
  let full: Config | null = null;
  const reparse = (i: number): InterfaceConfig => {
    if (!full) {
      const t0 = performance.now();
      full = parseConfig(text, path).config;
      onRebuilt?.(performance.now() - t0);
    }
    return full.interfaces[i]!;
  };
  config.interfaces.forEach((iface, i) => {
    attachTables(iface, fromWire(tables[i]!, ownInfo));
    for (const name of ['rules', 'statics'] as const) {
      Object.defineProperty(iface, name, {
        configurable: true, enumerable: true,
        get: () => setOwn(iface, name, reparse(i)[name]),
        set: (v: unknown) => void setOwn(iface, name, v),
      });
    }
  });
}

/** Replaces a lazy list by its value (a plain data property from then on). */
function setOwn<T>(o: object, name: string, v: T): T {
  Object.defineProperty(o, name, { value: v, writable: true, configurable: true, enumerable: true });
  return v;
}
