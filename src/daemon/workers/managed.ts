// The main thread with `workers N` (N > 1): it keeps the control socket, metrics,
// rtnetlink, MLD joins and reloads, and holds no ring. Its policy is a proxy that asks
// the workers (pool.ts); its rings are placeholders that say the interface is captured
// (by the workers). With one worker nothing here is used: the daemon runs as before.
import { parseConfig, readConfigText } from '../../config/parse';
import { readFileSync } from 'node:fs';
import type { Config, StaticEntry } from '../../config/types';
import type { TxWriter } from '../../engine/types';
import { formatIp, formatMac, type IpAddress, type Mac } from '../../net/addr';
import { emptyRingCounters, type InterfaceStats } from '../../pipeline/stats';
import type { Decision } from '../../policy/decision';
import { CacheSnapshot, concatSources, type EntrySource, type SnapshotParts } from '../cache-dump';
import type { HaController, HaFigures } from '../ha';
import type { Logger } from '../log';
import type { ProbeImportResult, ProbeRecord } from '../../policy/probe';
import type { ImportResult, LearnedEntry } from '../../policy/warm';
import type { RingReport } from '../interfaces';
import { WorkerPreparer } from '../prepared';
import { effectiveCaps } from '../privileges';
import type { PreparedReload, WorkerReply } from './protocol';
import type { LoadedConfig } from '../reload';
import type { CacheFigures } from '../metrics';
import type { DaemonDeps, PolicyCore, RingPort } from '../ports';
import { WorkerPool, workersOf, type PoolOptions } from './pool';

const NO_TX: TxWriter = {
  buf: new Uint8Array(0),
  slotSize: 0,
  reserve: () => -1,
  commit: () => { throw new Error('the main thread has no TX ring with workers'); },
  flush: () => 0,
};

/** How long a reload waits for the workers (the default 2 s timed out at 30 000 rules, load 15). */
const RELOAD_WAIT_MS = 60_000;

/** The main thread's stand-in for the workers' rings of one interface (`placeholder`: how many). */
function placeholderRing(workers: number, ifindex: number, mac: number): RingPort & { placeholder: number } {
  return {
    placeholder: workers, ifindex, mac, tx: NO_TX,
    start: () => undefined, stop: () => undefined, setFilter: () => undefined, close: () => undefined,
    counters: emptyRingCounters,
  };
}

function failures(replies: ReturnType<WorkerPool['request']>): string[] {
  return replies.flatMap((r, i) => (r === null ? [`worker ${i}: no answer`] : r.ok ? [] : [`worker ${i}: ${r.error}`]));
}

/** A prepared reload as the workers take it: the blocks without rules and statics (those are the shared tables). */
function forWorkers(loaded: LoadedConfig | undefined): PreparedReload | undefined {
  if (!loaded?.tables) return undefined;
  const config = { ...loaded.config, interfaces: loaded.config.interfaces.map((c) => ({ ...c, rules: [], statics: [] })) };
  return { config, filters: loaded.filters, warnings: loaded.warnings, tables: loaded.tables };
}

/** Cache ids a worker copies per `show cache` request: about a millisecond of its loop. */
export const SNAPSHOT_SLICE_IDS = 4096;

/** PolicyCore over the workers: every change reaches all of them before the call returns. */
export class WorkersPolicy implements PolicyCore {
  /**
   * `textOf`: the text the main thread read and checked for a configuration (workers parse that, never the file);
   * `preparedOf`: what this thread's prepare thread made of it (tables shared with the workers), if it did.
   */
  constructor(private readonly pool: WorkerPool, private config: Config, private readonly log: Logger, private readonly textOf: (c: Config) => string | undefined,
    private readonly preparedOf: (c: Config) => LoadedConfig | undefined = () => undefined) {}

  handle(): Decision {
    throw new Error('the main thread decides nothing with workers');
  }

  tick(): void { /* each worker runs its own timers */ }

  reload(config: Config): void {
    if (workersOf(config) !== this.pool.count) {
      this.log.warn({ event: 'workers_changed', running: this.pool.count, configured: workersOf(config) }, `'workers' changed: ${this.pool.count} keep running until the next start`);
    }
    const text = this.textOf(config);
    if (text === undefined) throw new Error('internal: no configuration text for the workers (it was not read by this thread)');
    const replies = this.pool.request({ type: 'reload', text, prepared: forWorkers(this.preparedOf(config)) }, RELOAD_WAIT_MS);
    const bad = failures(replies).concat(replies.flatMap((r, i) => (r?.ok && r.value === false ? [`worker ${i}: its reload failed (see its log)`] : [])));
    this.config = config;
    if (bad.length > 0) throw new Error(bad.join('; '));
  }

  addStatic(ifIndex: number, address: IpAddress, mac: Mac, announce: boolean): boolean {
    const name = this.config.interfaces[ifIndex]?.name;
    if (name === undefined) return false;
    const bad = failures(this.pool.request({ type: 'add', interface: name, address: formatIp(address), mac: formatMac(mac), announce }));
    if (bad.length > 0) this.log.error({ event: 'worker_static_failed', interface: name }, bad.join('; '));
    return bad.length === 0;
  }

  removeStatic(ifIndex: number, address: IpAddress): boolean {
    const name = this.config.interfaces[ifIndex]?.name;
    if (name === undefined) return false;
    return this.pool.request({ type: 'del', interface: name, address: formatIp(address) }).some((r) => r?.ok === true);
  }

  /**
   * The state file (`ctl save`, stop): every worker's learned entries, `expires` back on
   * this thread's clock. Each worker takes back its own share at start (thread.ts).
   */
  exportLearned(now: number): LearnedEntry[] {
    return this.pool.request({ type: 'export' }).flatMap((r) =>
      (r?.ok ? (r.value as LearnedEntry[]).map((e) => ({ ...e, expires: e.expires + now })) : []));
  }

  /** The state file at start: each worker takes the entries it owns; the result is their sum. */
  importLearned(_config: Config, entries: readonly LearnedEntry[], now: number): ImportResult {
    const rel = entries.map((e) => ({ ...e, expires: e.expires - now }));
    return sumImports(this.pool.request({ type: 'import', entries: rel }));
  }

  /** The probe caches (`probe` rules) live in the workers; records carry relative times. */
  readonly probes = {
    routes: null,
    exportEntries: (): ProbeRecord[] => this.pool.request({ type: 'probesExport' }).flatMap((r) => (r?.ok ? (r.value as ProbeRecord[]) : [])),
    importEntries: (records: readonly ProbeRecord[]): ProbeImportResult =>
      sumImports(this.pool.request({ type: 'probesImport', records: [...records] })) as ProbeImportResult,
  };

  /**
   * Every entry as objects (MLD joins every few seconds, `show cache` unstreamed), made
   * here from the workers' compact snapshots: a worker is held only for the copy.
   */
  cacheEntries(): Record<string, unknown>[] {
    const s = this.cacheSnapshot();
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < s.length; i++) out.push(s.entry(i));
    return out;
  }

  /**
   * `ctl show cache`: the workers' caches as compact snapshots (typed arrays, ~30 B an
   * entry, buffers transferred), taken SNAPSHOT_SLICE_IDS cache ids per request so a
   * worker answers frames between two slices; the control connection then writes the
   * JSON a slice at a time. No object per entry is made in a worker.
   */
  cacheSnapshot(): EntrySource {
    const parts: EntrySource[] = [];
    for (let from = 0; from >= 0;) {
      let next = -1;
      for (const r of this.pool.request({ type: 'snapshot', from, ids: SNAPSHOT_SLICE_IDS })) {
        if (!r?.ok) continue;
        const p = r.value as SnapshotParts & { next: number };
        if (p.n > 0) parts.push(CacheSnapshot.fromParts(p));
        next = Math.max(next, p.next);
      }
      from = next;
    }
    return concatSources(parts);
  }

  cacheFigures(): CacheFigures {
    const all = this.pool.request({ type: 'figures' }).flatMap((r) => (r?.ok ? [r.value as CacheFigures] : []));
    const sizes = new Map<string, { iface: string; family: number; size: number }>();
    const sum: CacheFigures = { entries: [], capacity: 0, evictions: 0, refreshFailures: 0, resolveFailures: 0, takeover: { conflicts: 0, moves: 0, freezes: 0, pinnedRefused: 0 } };
    for (const f of all) {
      for (const e of f.entries) {
        const k = `${e.iface}/${e.family}`;
        const s = sizes.get(k) ?? { iface: e.iface, family: e.family, size: 0 };
        s.size += e.size;
        sizes.set(k, s);
      }
      sum.capacity += f.capacity;
      sum.evictions += f.evictions;
      sum.refreshFailures += f.refreshFailures;
      sum.resolveFailures += f.resolveFailures;
      for (const k of ['conflicts', 'moves', 'freezes', 'pinnedRefused'] as const) sum.takeover![k] = (sum.takeover![k] ?? 0) + (f.takeover?.[k] ?? 0);
    }
    sum.entries = [...sizes.values()];
    return sum;
  }
}

function sumImports(replies: (WorkerReply | null)[]): ImportResult {
  const out: ImportResult = { imported: 0, refused: {} };
  for (const r of replies) {
    if (!r?.ok) continue;
    const v = r.value as ImportResult;
    out.imported += v.imported;
    const refused = out.refused as Record<string, number>;
    for (const [k, n] of Object.entries(v.refused)) refused[k] = (refused[k] ?? 0) + (n ?? 0);
  }
  return out;
}

/** What InterfaceSet asks of the workers (absent: one worker, nothing to ask). */
export interface WorkerHooks {
  /** Resolves once every worker's rings are open (before privileges are dropped). */
  ready?(): Promise<void>;
  /** Sums the workers' counters into the main thread's stats. */
  collectStats?(stats: ReadonlyMap<string, InterfaceStats>): void;
  /** Per-worker figures for `ctl show stats`; undefined with one worker. */
  workerFigures?(): Record<string, unknown>[] | undefined;
  closeWorkers?(): void;
  /** The main thread's InterfaceSet follows the workers' rings: `onChange(name)` after one changed. */
  watchRings?(onChange: (name: string) => void): void;
  /** The workers' rings of one interface taken together (undefined without workers). */
  ringState?(name: string): RingReport | undefined;
  /** After the main thread dropped root: every worker keeps what it kept. Throws (EPERM) when one cannot. */
  afterDrop?(): void;
  /** Makes the main thread's HA controller a front: `ctl role` reaches every worker, which announce. */
  attachHa?(ha: HaController): void;
}

/**
 * The daemon's dependencies with `workers N`: when the loaded configuration asks for more
 * than one, createPolicy starts the workers and the main thread's rings are placeholders.
 */
export function withWorkers<D extends DaemonDeps>(base: D, opts: Omit<PoolOptions, 'count' | 'configText'>, log: Logger): D & WorkerHooks {
  let pool: WorkerPool | null = null;
  // The file is read once, here: the workers get the same text at start and at each
  // reload (a file changed between two reads could otherwise split them).
  const texts = new WeakMap<Config, string>();
  const ringWatchers: ((name: string) => void)[] = [];
  let preparer: WorkerPreparer | null = null;
  const prepared = new WeakMap<Config, LoadedConfig>();
  return {
    ...base,
    loadConfig: (path) => {
      const text = readConfigText(path);
      const loaded = parseConfig(text, path);
      texts.set(loaded.config, text);
      return loaded;
    },
    // With workers a large reload is read here (the workers get this text) and parsed in
    // this thread's own prepare thread: in line, 100 000 rules held the control socket and
    // metrics for a second, and competed with the workers at full priority.
    get prepareConfig() {
      if (pool === null) return base.prepareConfig;
      return (path: string, runtimeStatics: Record<string, StaticEntry[]>) => {
        let text: string;
        try {
          text = readConfigText(path);
        } catch (err) {
          return Promise.reject(err);
        }
        // `share`: the rules' and statics' tables are built once here, for every worker.
        preparer ??= new WorkerPreparer(undefined, { share: true });
        return preparer.prepare(path, runtimeStatics, text).then((loaded) => {
          texts.set(loaded.config, text);
          prepared.set(loaded.config, loaded);
          return loaded;
        });
      };
    },
    closePreparer: () => {
      base.closePreparer?.();
      preparer?.close();
      preparer = null;
    },
    createPolicy: (config, env, output, logger) => {
      const n = workersOf(config);
      if (n <= 1) return base.createPolicy(config, env, output, logger);
      const configText = texts.get(config);
      if (configText === undefined) throw new Error('internal: no configuration text for the workers (it was not read by this thread)');
      pool = new WorkerPool({ ...opts, count: n, configText }, log);
      pool.onRing = (name) => { for (const w of ringWatchers) w(name); };
      log.info({ event: 'workers', workers: n }, `${n} data-path workers, one ring each per interface (PACKET_FANOUT by address)`);
      return new WorkersPolicy(pool, config, log, (c) => texts.get(c), (c) => prepared.get(c));
    },
    openRing: (ifname, ringOpts) => {
      if (pool === null) return base.openRing(ifname, ringOpts);
      const s = pool.ringState(ifname);
      if (!s.open) throw Object.assign(new Error(s.message), { code: s.code });
      return placeholderRing(pool.count, s.ifindex, s.mac);
    },
    watchRings: (onChange) => { ringWatchers.push(onChange); },
    ringState: (name) => pool?.ringState(name),
    afterDrop: () => {
      if (pool === null) return;
      const keep = Number(effectiveCaps(readFileSync('/proc/thread-self/status', 'utf8')));
      const bad = failures(pool.request({ type: 'caps', keep }));
      if (bad.length > 0) throw Object.assign(new Error(`the workers cannot keep CAP_NET_RAW/CAP_NET_ADMIN after the drop: ${bad.join('; ')}`), { code: 'EPERM' });
    },
    ready: () => pool?.ready ?? Promise.resolve(),
    collectStats: (stats) => pool?.collect(stats),
    workerFigures: () => (pool ? pool.figures() : undefined),
    closeWorkers: () => void pool?.stop(),
    attachHa: (ha) => {
      // The workers own the rings: each announces the targets it owns; this thread none.
      ha.owns = () => pool === null;
      ha.replicas = () => (pool === null ? null : pool.request({ type: 'ha' }).flatMap((r) => (r?.ok ? [r.value as HaFigures[]] : [])));
      ha.relay = (role, iface) => {
        if (pool === null) return;
        const bad = failures(pool.request({ type: 'role', role, interface: iface }));
        if (bad.length > 0) log.error({ event: 'worker_role_failed', role }, bad.join('; '));
      };
    },
  };
}
