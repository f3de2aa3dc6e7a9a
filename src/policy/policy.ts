// The policy core: given a parsed ARP/ND frame, the time and the state, decide whether to
// answer, with which MAC, and what else to send. Plain TypeScript over FrameView with
// time passed in: no timers inside, the daemon calls `tick(now)`. See docs/policy.md.
//
// `Policy` is the facade the daemon, replay and benches use; each concern lives in its
// own module and owns its state:
//   interfaces.ts  configured interfaces, slots, the per-rule table the hot path reads
//   core.ts        the decision core (frame checks, learning, guards, statics, match)
//   resolver.ts    the one action resolver for ARP and ND (ignore, delay, every action)
//   statics.ts     static entries and their announcements
//   redirect.ts    resolutions, refresh probes, answers waiting for a router (pending.ts)
//   limiter.ts     per-source and per-interface token buckets (requests, sends)
//   lru.ts         the cache's eviction order (partitions, entries in use) and MAC quota
//   log.ts         the decision log
//   introspect.ts  stats, cache dump, lookups
import type { IpAddress, Mac } from '../net/addr';
import type { FrameView } from '../wire/view';
import type { Config } from '../config/types';
import { MAX_STATICS } from '../config/limits';
import { NeighborCache, type CacheTimerSink } from './cache';
import { DecisionCore, type LearnElsewhere, type SharedAwaits } from './core';
import { TakeoverGuard } from './guard';
import { Reason, type Decision } from './decision';
import { InterfaceTable, type IfState } from './interfaces';
import { runSteps } from './slices';
import { effectiveLimits, SourceLimiter } from './limiter';
import { Introspection, type CacheEntryInfo, type PolicyStats } from './introspect';
import { DecisionLog } from './log';
import { ProbeQueue } from './probe';
import { RedirectQueue } from './redirect';
import { ActionResolver } from './resolver';
import { StaticTable, type PreparedStatics } from './statics';
import type { PolicyEnvironment, PolicyLogger, PolicyOptions, PolicyOutput } from './types';

export { templateMac } from './resolver';
export type { CacheEntryInfo, PolicyStats } from './introspect';

/** A configuration with its rule matchers built (Policy.prepare), waiting for swap(). */
export interface PreparedPolicy {
  readonly config: Config;
  readonly ifs: IfState[];
  readonly statics: PreparedStatics;
}

export interface PolicyInit {
  config: Config;
  env: PolicyEnvironment;
  output: PolicyOutput;
  /** pino logger (or anything with `info(obj, msg)`); the decision log writes through it. */
  logger?: PolicyLogger;
  options?: PolicyOptions;
}

export class Policy implements CacheTimerSink {
  readonly cache: NeighborCache;
  /** The reusable decision `handle()` returns. */
  readonly decision: Decision;
  /** Decisions per Reason (index = Reason). */
  readonly reasonCounts: Float64Array;
  /** Decision log levels (read from the logger at construction and on reload). */
  readonly log: DecisionLog;
  private readonly ifaces = new InterfaceTable();
  private readonly core: DecisionCore;
  private readonly statics: StaticTable;
  private readonly redirects: RedirectQueue;
  private readonly resolver: ActionResolver;
  private readonly introspection: Introspection;
  /** What the wire may change in the cache (takeover probes, pins, move dampening). */
  readonly guard: TakeoverGuard;
  /** `probe` rules: the alive and absent tables, probes in flight, autowire (`probes.routes`). */
  readonly probes: ProbeQueue;
  /** Per-source and per-interface token buckets. */
  readonly limiter: SourceLimiter;

  constructor(init: PolicyInit) {
    const o = init.options ?? {};
    const c = init.config.cache;
    this.cache = new NeighborCache(Math.max(1, c.tablesize), {
      timeout: c.timeout,
      refreshCount: c.refresh.count,
      refreshInterval: c.refresh.interval,
      resolveAttempts: o.resolveAttempts ?? 3,
      resolveInterval: o.resolveInterval ?? 1,
    });
    this.limiter = new SourceLimiter(o.limiterSize ?? 65536);
    this.redirects = new RedirectQueue(o.pendingSize ?? 4096, this.cache, this.ifaces, init.env, init.output, this.limiter);
    this.probes = new ProbeQueue(
      {
        aliveSize: o.probeAliveSize ?? c.probe?.aliveSize ?? 4096,
        absentSize: o.probeAbsentSize ?? c.probe?.absentSize ?? 16384,
        rate: o.probeRate ?? c.probe?.rate ?? 100,
        burst: o.probeBurst ?? c.probe?.burst ?? 100,
      },
      this.ifaces,
      init.env,
      init.output,
    );
    this.resolver = new ActionResolver(o.delayTableSize ?? 65536, this.cache, this.redirects, init.env, this.probes);
    this.statics = new StaticTable(
      { size: o.staticSize ?? MAX_STATICS, announceCount: o.announceCount ?? 3, announceInterval: o.announceInterval ?? 1 },
      this.ifaces,
      init.output,
    );
    this.log = new DecisionLog(init.logger);
    this.guard = new TakeoverGuard(this.cache, this.statics, this.ifaces, this.redirects, this.log, o.guardSlots);
    this.core = new DecisionCore(this.ifaces, this.cache, this.statics, this.resolver, this.redirects, init.env, this.log, this.guard, this.probes, this.limiter);
    this.decision = this.core.decision;
    this.reasonCounts = this.core.reasonCounts;
    const { ifaces, cache, core, resolver, redirects, statics, guard, limiter } = this;
    this.introspection = new Introspection({ ifaces, cache, core, resolver, redirects, statics, guard, limiter });
    this.install(init.config, 0);
  }

  /** Swaps rules, interfaces and cache parameters atomically; the cache is kept (by interface name). */
  reload(config: Config, now = 0): void {
    this.install(config, now);
  }

  /**
   * The slow half of a reload: every interface's rule matchers, built while the current
   * rules stay in force. `swap(prepared, now)` puts it in (the daemon runs the two in
   * separate event-loop turns so that batches are answered in between).
   */
  prepare(config: Config): PreparedPolicy {
    return runSteps(this.prepareSteps(config, Infinity));
  }

  /**
   * As prepare(), in steps of at most `slice` rules each (every step yields the rules it
   * did): the daemon runs one step per event-loop turn, so no turn is longer than a slice.
   */
  *prepareSteps(config: Config, slice: number): Generator<number, PreparedPolicy> {
    const ifs = yield* this.ifaces.buildSteps(config, slice);
    // The static table too: a 70 000-entry file is tens of ms of work, not for the swap.
    return { config, ifs, statics: yield* this.statics.prepareSteps(ifs, slice) };
  }

  /** Puts a prepared configuration in force: a few ms whatever the file's size. */
  swap(prepared: PreparedPolicy, now: number): void {
    this.ifaces.commit(prepared.ifs);
    this.statics.commit(prepared.statics, now);
    this.apply(prepared.config, prepared.ifs);
  }

  private install(config: Config, now: number): void {
    const ifs = this.ifaces.install(config);
    this.statics.reload(ifs, now);
    this.apply(config, ifs);
  }

  private apply(config: Config, ifs: IfState[]): void {
    const c = config.cache;
    this.cache.timeout = c.timeout;
    this.cache.refreshCount = c.refresh.count;
    this.cache.refreshInterval = c.refresh.interval;
    this.resolver.configure(config);
    this.guard.configure(ifs);
    this.probes.configure(ifs);
    this.limiter.configure(ifs.map((st) => ({ slot: st.slot, limits: effectiveLimits(config, st.cfg) })));
    this.cache.quota.limit = effectiveLimits(config).entriesPerMac;
    this.cache.lru.ensure(2 * this.ifaces.slots.size);
    this.log.refresh();
  }

  /**
   * Decides about one frame received on interface `ifIndex` (index in config.interfaces) at
   * `now` (seconds); without `now`, at the time last given to `setNow` (the pipeline's way:
   * once per batch, so no double is passed, and boxed, per request).
   */
  handle(f: FrameView, ifIndex: number, now?: number): Decision {
    if (now !== undefined) this.core.now = now;
    return this.core.handle(f, ifIndex);
  }

  /** The time (seconds) of the frames the next `handle()` calls decide. */
  setNow(now: number): void {
    this.core.now = now;
  }

  /** The pipeline withheld the answer in `d` (HA standby): it counts as Reason.Standby, not as answered. */
  withheld(d: Decision): void {
    this.core.reasonCounts[d.reason]!--;
    this.core.reasonCounts[Reason.Standby]!++;
    this.core.answers--;
  }

  /** Runs timers: cache refresh/expiry/resolution retries, pending-answer expiry, announcements. */
  tick(now: number): void {
    this.limiter.now = now;
    this.guard.tick(now);
    this.cache.tick(now, this.redirects);
    this.redirects.expire(now);
    this.probes.tick(now);
    this.statics.tick(now);
  }

  /** CacheTimerSink: a refresh probe (unicast) or a resolution retry (mac -1). */
  cacheProbe(cache: NeighborCache, id: number, mac: number): boolean {
    return this.redirects.cacheProbe(cache, id, mac);
  }

  /** Workers: learns of keys another worker owns go through `hook` (src/daemon/workers); null = learn here. */
  setLearnElsewhere(hook: LearnElsewhere | null): void {
    this.core.learnElsewhere = hook;
  }

  /** Workers: queries whose replies may reach another worker, and theirs that reach this one; null = none. */
  setSharedAwaits(shared: SharedAwaits | null): void {
    this.core.awaitShared = shared;
    this.redirects.awaitShared = shared;
  }

  /** Workers: a learn forwarded by the worker that saw the frame, for a key this policy owns. */
  learnForwarded(meta: number, a0: number, a1: number, a2: number, a3: number, mac: Mac, ourMac: Mac, hwMac: Mac, now: number): void {
    this.core.learnForwarded(meta, a0, a1, a2, a3, mac, ourMac, hwMac, now);
  }

  // ------------------------------------------------------------------ static entries

  /**
   * Adds (or replaces) a static entry: requests for `address` on the interface are answered
   * with `mac` (reason `static`). With `announce`, up to 3 gratuitous ARP / unsolicited NA
   * leave, the first now, the others at later ticks. Returns false when the table is full
   * or the interface index is unknown.
   */
  addStatic(ifIndex: number, address: IpAddress, mac: Mac, announce = false, now = 0): boolean {
    const st = this.ifaces.at(ifIndex);
    return st !== undefined && this.statics.add(st.slot, address, mac, announce, now);
  }

  /** Removes a static entry; false when there was none. */
  removeStatic(ifIndex: number, address: IpAddress): boolean {
    const st = this.ifaces.at(ifIndex);
    return st !== undefined && this.statics.remove(st.slot, address);
  }

  /** The static MAC for the address on the interface, or -1. */
  staticFor(ifIndex: number, address: IpAddress): Mac | -1 {
    const st = this.ifaces.at(ifIndex);
    return st === undefined ? -1 : this.statics.macFor(st.slot, address);
  }

  // ------------------------------------------------------------------ introspection

  /** Answers: to frames, plus queued redirect answers sent once the router was learned. */
  get answers(): number {
    return this.introspection.answers + this.probes.answered;
  }

  stats(): PolicyStats {
    return this.introspection.stats();
  }

  /** Cache slot of every interface name this policy has seen; slots survive reloads (metrics). */
  cacheSlots(): ReadonlyMap<string, number> {
    return this.ifaces.slots;
  }

  /** Interface name of a cache slot (slots are stable per name across reloads). */
  slotName(slot: number): string | undefined {
    return this.ifaces.slotName(slot);
  }

  /** Every cache entry as plain objects, most recently used first (control socket; allocates). */
  dumpCache(now: number): CacheEntryInfo[] {
    return this.introspection.dumpCache(now);
  }

  /** Learned MAC for an address on an interface and VLAN (control socket, tests); -1 when unknown. */
  lookup(ifIndex: number, vlan: number, address: IpAddress, now: number): Mac | -1 {
    return this.introspection.lookup(ifIndex, vlan, address, now);
  }
}
