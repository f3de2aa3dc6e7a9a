// What the daemon uses of the world, as interfaces. Each is a seam: the real wiring is
// in real.ts, tests pass fakes, and a new module plugs in here rather than in the daemon.
import type { Config, InterfaceConfig, RingConfig, StaticEntry } from '../config/types';
import type { BatchHandler, BpfProgram, RingCounters, TxWriter } from '../engine/types';
import type { IpAddress, Mac } from '../net/addr';
import type { PolicyPort } from '../pipeline/pipeline';
import type { HostRouteSink, ProbeImportResult, ProbeRecord, ProbeStats } from '../policy/probe';
import type { AutowireCounts } from './autowire';
import type { PolicyEnvironment, PolicyOutput } from '../policy/types';
import type { ListenAddress } from './args';
import type { KernelChange } from '../netlink/kernel';
import type { HostEnvironment } from './env';
import type { LinkReader } from './links';
import type { Logger } from './log';
import type { MembershipSocket } from './mld';
import type { CacheFigures, LimitFigures } from './metrics';
import type { EntrySource } from './cache-dump';
import type { WarmPolicy } from './warm';

/** What the daemon uses of a ring (src/engine Ring implements it). */
export interface RingPort {
  readonly ifindex: number;
  readonly mac: Mac;
  readonly tx: TxWriter;
  start(handler: BatchHandler): void;
  stop(): void;
  setFilter(program: BpfProgram): void;
  counters(): RingCounters;
  close(): void;
}

export interface RingOpenOptions {
  filter: BpfProgram;
  promisc: boolean;
  allmulti: boolean;
  /** The interface's `ring` setting (ringsize.ts fills in the defaults). */
  ring?: RingConfig;
}

/** What the daemon uses of the policy beyond per-frame decisions (WarmPolicy: the state file). */
export interface PolicyCore extends PolicyPort, WarmPolicy {
  tick(now: number): void;
  /** Swaps rules and settings; the cache is kept. Throws if the configuration cannot be applied. */
  reload(config: Config, now: number): void;
  /** The slow half of reload (rule matchers), touching nothing in force; swap() puts it in (optional: fakes). */
  prepare?(config: Config): unknown;
  /** prepare() in steps of at most `slice` rules; the generator's result is what swap() takes. */
  prepareSteps?(config: Config, slice: number): Generator<number, unknown>;
  swap?(prepared: unknown, now: number): void;
  /** Adds (or replaces) a static entry at run time; announces it when asked. False when the table is full. */
  addStatic(ifIndex: number, address: IpAddress, mac: Mac, announce: boolean, now: number): boolean;
  /** Removes a run-time or configured static entry; false when there was none. */
  removeStatic(ifIndex: number, address: IpAddress): boolean;
  /** Learned entries per interface name, for `ctl show cache`. */
  cacheEntries(now: number): Record<string, unknown>[];
  /** The same entries as a compact snapshot, streamed a slice at a time (optional: fakes may omit it). */
  cacheSnapshot?(now: number): EntrySource;
  /** Cache figures for metrics. */
  cacheFigures(): CacheFigures;
  /** `probe` rules (optional: fakes may omit it): where autowire's host routes go. */
  probes?: {
    routes: HostRouteSink | null;
    stats?(now: number): ProbeStats;
    exportEntries?(now: number): ProbeRecord[];
    importEntries?(records: readonly ProbeRecord[], now: number): ProbeImportResult;
  };
  /** Limit counters for `ctl show stats` (optional: fakes may omit it). */
  limitFigures?(): LimitFigures;
}

/** Host routes of `probe ... autowire` (autowire.ts): the policy adds and removes through it. */
export interface AutowirePort extends HostRouteSink {
  /** Removes every route with our protocol number (an earlier run's); before the first answer. */
  flushStale(): Promise<number>;
  /** Removes every route this run installed (stop). */
  removeAll(): Promise<void>;
  /** Its counters and route count, for metrics (optional: fakes may omit them). */
  readonly counts?: AutowireCounts;
  readonly size?: number;
}

/** What the daemon drives of src/netlink KernelState. */
export interface KernelPort {
  start(): Promise<void>;
  stop(): void;
  onChange: (what: KernelChange) => void;
  /** FIB rules for the `table N` settings in use (src/netlink/tables.ts). */
  setTables?(tables: readonly number[]): Promise<void>;
}

/** A capture filter with the expression it stands for (logged). */
export interface CompiledFilter {
  program: BpfProgram;
  text: string;
}

export interface DaemonDeps {
  /** Reads and checks a configuration; throws ConfigError (file:line:column) when it cannot be used. */
  loadConfig(path: string): { config: Config; warnings: { message: string }[] };
  /**
   * Opens a ring; throws with .code (ENODEV, EPERM, ...). The one place rings are made:
   * a PACKET_FANOUT group of rings (one per worker thread) would be opened here.
   */
  openRing(ifname: string, opts: RingOpenOptions): RingPort;
  /** The BPF program for an interface. */
  compileFilter(iface: InterfaceConfig, config: Config): CompiledFilter;
  /**
   * loadConfig plus every interface's compileFilter (with the given runtime statics) off
   * the main thread (prepared.ts, a worker); absent = done in line (tests with fakes).
   */
  /** Ends prepareConfig's worker (at stop). */
  closePreparer?(): void;
  prepareConfig?(path: string, runtimeStatics: Record<string, StaticEntry[]>): Promise<{ config: Config; warnings: { message: string }[]; filters: CompiledFilter[] }>;
  createPolicy(config: Config, env: PolicyEnvironment, output: PolicyOutput, log: Logger): PolicyCore;
  // Host facts (links, addresses, routes), all from one rtnetlink KernelState in real.ts.
  linkReader: LinkReader;
  /**
   * The kernel state behind linkReader and environment: started (dumped) before the first
   * ring opens; each change re-reads links and addresses. Absent in tests with fake links,
   * where a link poll timer (linkPollMs) stands in for its events.
   */
  kernel?: KernelPort;
  /** Host addresses and routes; default HostEnvironment without a kernel (tests). */
  environment?: HostEnvironment;
  clock?: () => number;
  /** Host routes for `probe ... autowire` over the kernel's rtnetlink socket; absent = none (tests with fake links). */
  autowire?: AutowirePort;
  /** Sockets for solicited-node joins (mld.ts); absent = no joins (tests with fake links). */
  multicastSocket?: () => MembershipSocket;
}

export interface DaemonOptions {
  config: string;
  control: string | null;
  metrics: ListenAddress | null;
  user: string | null;
  group: string | null;
  tickMs: number;
  linkPollMs: number;
  /** Join the solicited-node groups of static entries and /128 targets (mld.ts); default true. */
  mldJoins?: boolean;
}
