// What a start or a reload reads: the configuration file, every interface's filter, and
// the static entries added at run time with `ctl add` (they outlive reloads, so filters
// are compiled with them). Loading is all-or-nothing: a parse or compile error leaves
// the running configuration as it was.
import { statSync } from 'node:fs';
import type { Config, InterfaceConfig, StaticEntry } from '../config/types';
import { formatIp, type IpAddress } from '../net/addr';
import { monitorEventLoopDelay, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { IfaceTablesWire } from '../policy/tables';
import type { CompiledFilter, DaemonDeps, PolicyCore } from './ports';

export interface LoadedConfig {
  config: Config;
  warnings: { message: string }[];
  /** Per config.interfaces index. */
  filters: CompiledFilter[];
  /** Per config.interfaces index, its rules and statics as tables over SharedArrayBuffers (a main thread with workers). */
  tables?: IfaceTablesWire[];
}

/**
 * Files smaller than this are read in line: about 1 500 rules, a few ms to parse, less than
 * starting the worker (which took 1.4 s under load on the test machine).
 */
export const PREPARE_IN_LINE_BYTES = 64 * 1024;

/**
 * Rules or statics per step of a reload's build (Policy.prepareSteps); one step per
 * event-loop turn. A data-path worker receives its rules built (tables.ts) and builds only
 * the static table here: 2 048 statics were 1-2 ms a step idle but 24-35 ms on 2 busy
 * cores (a 70 000-entry reload); 512 keeps a step under a millisecond idle.
 */
export const RELOAD_SLICE_RULES = 512;

/** Size of the file, or 0 when it cannot be read (the load then reports why). */
function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export class RunningConfig {
  /** The configuration in force; null before the first successful load. */
  config: Config | null = null;
  /** Static entries added with `ctl add`, by interface name. */
  private readonly runtimeStatics = new Map<string, StaticEntry[]>();

  constructor(
    private readonly deps: Pick<DaemonDeps, 'loadConfig' | 'compileFilter' | 'prepareConfig'>,
    readonly path: string,
  ) {}

  /** Throws E_CONFIG_EMPTY when the file has no bytes (caught between a truncate and a write). */
  private refuseEmpty(): void {
    if (fileBytes(this.path) > 0) return;
    throw Object.assign(new Error(`${this.path}: the file is empty (being written in place? write it under another name and rename it): the running interfaces stay`), { code: 'E_CONFIG_EMPTY' });
  }

  /** Reads the file and compiles every filter before anything changes; throws on any error. */
  load(): LoadedConfig {
    let { config, warnings } = this.deps.loadConfig(this.path);
    // A file written in place is empty between its truncate and its write: a reload that
    // read it then would close every ring until the next one (reload-load lost 2 113
    // requests so). Read again if it has bytes now; refuse it while it has none. Not empty
    // at the second read and still without interfaces: a file meant so.
    if (config.interfaces.length === 0 && (this.config?.interfaces.length ?? 0) > 0) {
      this.refuseEmpty();
      ({ config, warnings } = this.deps.loadConfig(this.path));
      if (config.interfaces.length === 0) this.refuseEmpty();
    }
    return { config, warnings, filters: config.interfaces.map((c) => this.compile(c, config)) };
  }

  /**
   * The same as load(), off the main thread when the deps can (real.ts: a worker thread),
   * so a 100 000-rule file costs the answering thread nothing until the swap.
   */
  prepare(): Promise<LoadedConfig> {
    if (!this.deps.prepareConfig || fileBytes(this.path) < PREPARE_IN_LINE_BYTES) {
      try {
        return Promise.resolve(this.load());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.deps.prepareConfig(this.path, Object.fromEntries(this.runtimeStatics));
  }

  /** The filter of configured interface `ifIndex` with the current runtime statics. */
  filterOf(ifIndex: number): CompiledFilter {
    const config = this.config!;
    return this.compile(config.interfaces[ifIndex]!, config);
  }

  addStatic(ifname: string, entry: StaticEntry): void {
    const key = formatIp(entry.address);
    const list = (this.runtimeStatics.get(ifname) ?? []).filter((e) => formatIp(e.address) !== key);
    list.push(entry);
    this.runtimeStatics.set(ifname, list);
  }

  /** Static entries added with `ctl add` on `ifname`. */
  addedStatics(ifname: string): readonly StaticEntry[] {
    return this.runtimeStatics.get(ifname) ?? [];
  }

  removeStatic(ifname: string, address: IpAddress): void {
    const list = this.runtimeStatics.get(ifname);
    const key = formatIp(address);
    if (list) this.runtimeStatics.set(ifname, list.filter((e) => formatIp(e.address) !== key));
  }

  /** A filter narrowed to the configured targets (cache learning off) must still let runtime statics' requests in. */
  private compile(c: InterfaceConfig, config: Config): CompiledFilter {
    const extra = this.runtimeStatics.get(c.name);
    return this.deps.compileFilter(extra && extra.length > 0 ? { ...c, statics: [...c.statics, ...extra] } : c, config);
  }
}

/**
 * The policy's prepare, one step of RELOAD_SLICE_RULES rules per event-loop turn when it
 * has prepareSteps (the rules in force answer batches between steps). `sliceMax`: the
 * longest step (ms); undefined `prepared` when `stopped()` turned true meanwhile.
 */
export async function prepareSliced(policy: PolicyCore, config: Config, turn: () => Promise<void>, stopped: () => boolean): Promise<{ prepared: unknown; slices: number; sliceMax: number }> {
  let t = performance.now();
  if (!policy.prepareSteps) return { prepared: policy.prepare?.(config), slices: 1, sliceMax: performance.now() - t };
  const steps = policy.prepareSteps(config, RELOAD_SLICE_RULES);
  let sliceMax = 0;
  for (let slices = 1; ; slices++) {
    t = performance.now();
    const r = steps.next();
    sliceMax = Math.max(sliceMax, performance.now() - t);
    if (r.done) return { prepared: r.value, slices, sliceMax };
    await turn();
    if (stopped()) return { prepared: undefined, slices, sliceMax };
  }
}

/**
 * What a reload costs the answering thread, watched from outside the reload's own steps:
 * the longest event-loop delay (a 1 ms timer histogram) and the longest garbage-collector
 * pause (kind: 1 scavenge, 2 minor mark, 4 mark-compact, 8 incremental, 16 weak callbacks).
 */
export class ReloadWatch {
  private readonly t0 = performance.now();
  private readonly loop = monitorEventLoopDelay({ resolution: 1 });
  private readonly gc = new PerformanceObserver((list) => this.see(list.getEntries()));
  private gcMax = 0;
  private gcKind = 0;
  /** The reload's own steps, ms, as the daemon times them: matchers (wall, in slices), filters attached the turn before the swap, the swap and its policy / interfaces / flush parts. */
  matchMs = 0;
  slices = 0;
  sliceMaxMs = 0;
  attachMs = 0;
  swapMs = 0;
  swapParts = [0, 0, 0];

  constructor() {
    this.loop.enable();
    this.gc.observe({ entryTypes: ['gc'] });
  }

  /** Stops watching; ms figures. */
  stop(): { blockMs: number; gcMaxMs: number; gcKind: number } {
    this.loop.disable();
    // Entries of the last turn are delivered later: what has been seen so far counts.
    this.see(this.gc.takeRecords());
    this.gc.disconnect();
    return { blockMs: this.loop.max / 1e6, gcMaxMs: this.gcMax, gcKind: this.gcKind };
  }

  /** Stops watching; the `reloaded` line's fields and message. */
  report(interfaces: string[]): { fields: Record<string, unknown>; message: string } {
    const seen = this.stop();
    const ms = r2(performance.now() - this.t0);
    const blockMs = r2(seen.blockMs);
    return {
      fields: { event: 'reloaded', interfaces, ms, block_ms: blockMs, gc_max_ms: r2(seen.gcMaxMs), gc_kind: seen.gcKind,
        match_ms: r2(this.matchMs), slices: this.slices, slice_max_ms: r2(this.sliceMaxMs), swap_ms: r2(this.swapMs), swap_parts_ms: this.swapParts.map(r2), attach_ms: r2(this.attachMs) },
      message: `configuration reloaded in ${ms} ms (longest event-loop block ${blockMs} ms; on this thread: matchers ${r2(this.matchMs)} ms wall in ${this.slices} slices of at most ${r2(this.sliceMaxMs)} ms, swap ${r2(this.swapMs)} ms)`,
    };
  }

  private see(entries: readonly PerformanceEntry[]): void {
    for (const e of entries) {
      if (e.duration <= this.gcMax) continue;
      this.gcMax = e.duration;
      this.gcKind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
    }
  }
}

function r2(x: number): number {
  return Math.round(x * 100) / 100;
}
