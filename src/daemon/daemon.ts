// The daemon: one ring per configured interface feeding the pipeline, one timer driving
// the policy, SIGHUP-style reloads that keep rings and cache, the control socket, the
// metrics endpoint, interface presence, and the privilege drop. Everything it touches
// outside itself comes in through DaemonDeps (ports.ts), so reload and interface logic
// is tested with fakes (test/daemon/daemon.test.ts) and with real rings in namespaces.
//
// Where each concern lives, and where the next ones go:
//   ports.ts       the seams (rings, policy, host facts); real.ts wires the real ones
//   reload.ts      what a start or reload reads: file, filters, runtime statics
//   interfaces.ts  interface and ring lifecycle; workers/ the `workers N` threads behind it
//   mld.ts         solicited-node joins, reconciled whenever interfaces.ts reports a change
//   commands.ts    control-socket commands;  services.ts  control, metrics, privileges
//   main.ts        the process: signals, stop deadline
//   ha.ts          active/standby role per interface (IfaceSlot.standby), takeover announcements
// Links, addresses and routes come from rtnetlink (DaemonDeps.kernel, src/netlink).
import type { Server as NetServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/types';
import { RingOutput } from '../pipeline/output';
import { delayFlagsSteps, monotonicSeconds, Pipeline } from '../pipeline/pipeline';
import { controlHandler } from './commands';
import type { ControlHandler } from './control';
import { HostEnvironment } from './env';
import { HaController } from './ha';
import { registerHaMetrics } from './ha-track';
import { ringOpenAdvice, InterfaceSet } from './interfaces';
import type { LinkWatcher } from './links';
import type { Logger } from './log';
import { desiredGroups, mldBudget, MulticastJoins, type DesiredJoins } from './mld';
import { addDynamicGroups, DYNAMIC_JOIN_INTERVAL, learnedOf, registerJoinMetrics } from './mld-targets';
import type { createRegistry, MetricsSources } from './metrics';
import type { KernelChange } from '../netlink/kernel';
import type { DaemonDeps, DaemonOptions, PolicyCore } from './ports';
import { prepareSliced, RELOAD_SLICE_RULES, ReloadWatch, RunningConfig, type LoadedConfig } from './reload';
import { closeServices, startControl, startMetrics, switchUser } from './services';
import { WarmRestarts } from './warm';

export type { CompiledFilter, DaemonDeps, DaemonOptions, PolicyCore, RingOpenOptions, RingPort } from './ports';
export { ringOpenAdvice } from './interfaces';

export class Daemon {
  policy: PolicyCore | null = null;
  readonly pipeline: Pipeline;
  readonly output = new RingOutput();
  readonly env: HostEnvironment;
  readonly running: RunningConfig;
  readonly interfaces: InterfaceSet;
  /** Solicited-node joins; null when switched off (--no-mld-joins). */
  readonly mld: MulticastJoins | null;
  /** HA role per interface: standby interfaces answer and announce nothing. */
  readonly ha: HaController;
  readonly reloads = { ok: 0, failed: 0 };
  private readonly clock: () => number;
  private tickTimer: NodeJS.Timeout | null = null;
  private nextJoinsAt = 0;
  private pollTimer: NodeJS.Timeout | null = null;
  private control: NetServer | null = null;
  private metrics: NetServer | null = null;
  private stopping: Promise<void> | null = null;
  /** The state file: learned entries across restarts (warm.ts). */
  readonly warm: WarmRestarts;

  constructor(
    readonly opts: DaemonOptions,
    private readonly deps: DaemonDeps,
    readonly log: Logger,
  ) {
    this.clock = deps.clock ?? monotonicSeconds;
    this.env = deps.environment ?? new HostEnvironment();
    this.pipeline = new Pipeline({ handle: () => { throw new Error('no policy yet'); } }, this.clock);
    this.running = new RunningConfig(deps, opts.config);
    this.interfaces = new InterfaceSet(deps, this.pipeline, this.output, this.env, log);
    this.warm = new WarmRestarts(log);
    this.mld = opts.mldJoins === false || !deps.multicastSocket ? null
      : new MulticastJoins(log, deps.multicastSocket, undefined, { clock: () => this.clock(), budget: (n) => mldBudget(this.running.config, n) });
    if (this.mld) this.interfaces.onChanged = () => this.reconcileJoins();
    this.ha = new HaController({
      slots: () => this.pipeline.slots,
      config: () => this.running.config,
      addedStatics: (name) => this.running.addedStatics(name),
      addresses: () => this.env.kernel?.addrs ?? null,
      output: this.output,
      clock: () => this.clock(),
      log,
    });
  }

  /** Joins match the interfaces whose ring is open: statics, /128 targets, then answered and learned targets (bounded). */
  private reconcileJoins(): void {
    if (this.stopping) return;
    const want = new Map<string, DesiredJoins>();
    const now = this.clock();
    const since = now - (this.running.config?.cache.timeout || 300);
    const learned = learnedOf(this.policy, now);
    for (const st of this.interfaces.list()) {
      if (!st.ring) continue;
      const groups = desiredGroups(st.cfg, this.running.addedStatics(st.name));
      const fixed = groups.size;
      addDynamicGroups(groups, st.slot, since, learned, this.mld!.maxGroups);
      want.set(st.name, { ifindex: st.ring.ifindex, groups, fixed });
    }
    this.mld!.reconcile(want);
  }

  get config(): Config | null { return this.running.config; }
  get watcher(): LinkWatcher { return this.interfaces.watcher; }

  /** Each configured interface and whether its ring is open. */
  ringStates(): { name: string; open: boolean }[] { return this.interfaces.ringStates(); }
  get dropped(): boolean { return this.interfaces.dropped; }
  get batchErrors(): number { return this.interfaces.batchErrors; }

  /**
   * Loads the configuration, opens rings, control socket and metrics, drops privileges,
   * starts the timers. Throws (with .code) when the daemon cannot run: bad configuration,
   * no permission to capture, control socket or metrics port in use.
   */
  async start(): Promise<void> {
    const loaded = this.running.load();
    for (const w of loaded.warnings) this.log.warn({ event: 'config_warning' }, w.message);
    // Kernel state first: which links exist and are up decides which rings open now.
    await this.startKernel();
    // Host routes a crashed run left go before any answer could point traffic at them.
    await this.flushStaleRoutes();
    this.policy = this.deps.createPolicy(loaded.config, this.env, this.output, this.log);
    if (this.policy.probes && this.deps.autowire) this.policy.probes.routes = this.deps.autowire;
    this.pipeline.policy = this.policy;
    try {
      // With workers: their rings first (each reports its state), so the interfaces below see them.
      await this.interfaces.ready();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.apply(loaded);
    // No ring may open without permission: that never fixes itself, so say so and stop.
    const denied = this.interfaces.denied();
    if (denied.length > 0) {
      await this.stop();
      throw Object.assign(new Error(`cannot capture on ${denied.join(', ')}: ${ringOpenAdvice('EPERM', false)}`), { code: 'EPERM' });
    }
    // Before the first batch is handled (rings deliver from the event loop, after this).
    this.warm.load(loaded.config, this.policy, this.clock());
    try {
      if (this.opts.control !== null) this.control = await startControl(this.opts.control, this.controlHandler(), this.log);
      const extend = (registry: ReturnType<typeof createRegistry>): void => {
        registerHaMetrics(registry, this.ha);
        registerJoinMetrics(registry, this.mld, () => [...this.interfaces.list()].map((i) => i.name),
          () => (this.deps.kernel as { counts?: { resyncs: number } } | undefined)?.counts ?? null);
        this.extendMetrics?.(registry);
      };
      if (this.opts.metrics !== null) this.metrics = await startMetrics(this.opts.metrics, this.metricsSources(), this.log, extend);
      this.interfaces.dropped = switchUser(this.opts.user, this.opts.group, this.log);
      if (this.interfaces.dropped) this.interfaces.afterDrop(); // workers keep the same capabilities
      this.warm.checkWritable(loaded.config);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.startTimers();
    this.output.flushAll(); // announcements of static entries
    this.log.info({ event: 'started', interfaces: loaded.config.interfaces.map((i) => i.name), config: this.opts.config }, 'neighproxy running');
  }

  private startTimers(): void {
    this.tickTimer = setInterval(() => this.tick(), this.opts.tickMs);
    if (this.deps.kernel) return; // rtnetlink events drive links and addresses
    // Fake links (tests): presence and addresses are polled; a failing poll never stops the daemon.
    this.pollTimer = setInterval(() => {
      try {
        this.onKernelChange('links');
      } catch (err) {
        this.log.error({ event: 'poll_error', err }, 'interface poll failed; the daemon runs on');
      }
    }, this.opts.linkPollMs);
    this.pollTimer.unref();
  }

  private async startKernel(): Promise<void> {
    const k = this.deps.kernel;
    if (!k) return;
    k.onChange = (what) => this.onKernelChange(what);
    try {
      await k.start();
    } catch (err) {
      const e = err as Error & { code?: string };
      throw Object.assign(new Error(`cannot read the kernel's links and addresses over rtnetlink: ${e.message}`), { code: e.code ?? 'EIO' });
    }
  }

  private async flushStaleRoutes(): Promise<void> {
    const a = this.deps.autowire;
    if (!a) return;
    try {
      await a.flushStale();
    } catch (err) {
      const e = err as Error & { code?: string };
      throw Object.assign(new Error(`cannot remove the host routes an earlier run left (proto 78): ${e.message}`), { code: e.code ?? 'EIO' });
    }
  }

  /** Links or addresses changed (or were dumped again after an overrun): re-read them (ignored while stopping). */
  onKernelChange(what: KernelChange): void {
    if (this.stopping || what === 'routes') return;
    if (what === 'resync') this.log.warn({ event: 'netlink_resync' }, 'rtnetlink state read again (events were dropped, ENOBUFS, or the socket was reopened): links, addresses, route answers');
    this.interfaces.watcher.poll();
    this.env.refreshAddresses();
    this.ha.evaluate(); // `ha track`: the tracked address came or went
  }

  /** One policy timer step: refresh probes, delay windows, expiry, deferred answers. */
  tick(): void {
    try {
      this.policy?.tick(this.clock());
    } catch (err) {
      this.log.error({ event: 'tick_error', err }, 'policy timer failed');
    }
    this.ha.tick();
    this.output.flushAll();
    // Answered and learned targets come and go: their groups follow every few seconds.
    const now = this.clock();
    if (this.mld && now >= this.nextJoinsAt) {
      this.nextJoinsAt = now + DYNAMIC_JOIN_INTERVAL;
      try {
        this.reconcileJoins();
      } catch (err) {
        this.log.error({ event: 'mld_reconcile_failed', err }, 'multicast joins not updated');
      }
    }
  }

  /**
   * SIGHUP: parses and checks the file first; on an error the running configuration stays
   * and the error is logged. On success rules swap at once (between two batches), the cache
   * is kept, rings of unchanged interfaces stay open. Returns whether the new file applies.
   */
  reload(): boolean {
    const t0 = performance.now();
    let loaded: LoadedConfig;
    try {
      loaded = this.running.load();
      this.policy!.reload(loaded.config, this.clock());
    } catch (err) {
      this.reloads.failed++;
      const e = err as Error & { code?: string };
      this.log.error({ event: 'reload_failed', code: e.code, file: this.opts.config }, `reload failed, keeping the running configuration: ${e.message}`);
      return false;
    }
    for (const w of loaded.warnings) this.log.warn({ event: 'config_warning' }, w.message);
    this.apply(loaded);
    this.reloads.ok++;
    this.output.flushAll();
    const ms = Math.round((performance.now() - t0) * 100) / 100;
    this.log.info({ event: 'reloaded', interfaces: loaded.config.interfaces.map((i) => i.name), ms }, `configuration reloaded in ${ms} ms`);
    return true;
  }

  private reloading: Promise<boolean> | null = null;
  private reloadAgain = false;

  /**
   * SIGHUP without stalling the answers: prepare (parse, checks, filters in a worker; the
   * rule matchers in their own event-loop turn), then swap between two batches. SIGHUPs
   * during a reload are folded into one more reload after it (the file's last state wins).
   * Logs the longest event-loop block seen meanwhile (`block_ms`).
   */
  reloadPrepared(): Promise<boolean> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    const run = async (): Promise<boolean> => {
      let ok: boolean;
      do {
        this.reloadAgain = false;
        ok = await this.prepareAndSwap();
      } while (this.reloadAgain && !this.stopping);
      return ok;
    };
    this.reloading = run().finally(() => { this.reloading = null; });
    return this.reloading;
  }

  private async prepareAndSwap(): Promise<boolean> {
    const watch = new ReloadWatch();
    const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
    let loaded: LoadedConfig;
    try {
      loaded = await this.running.prepare();
      if (this.stopping) return false;
      await turn();
      const policy = this.policy!;
      const m0 = performance.now();
      const { prepared, slices, sliceMax } = await prepareSliced(policy, loaded.config, turn, () => this.stopping !== null);
      watch.slices = slices;
      watch.sliceMaxMs = sliceMax;
      // The pipeline's per-rule delay flags too, so that configure() in the swap finds them.
      for (const c of loaded.config.interfaces) for (const _ of delayFlagsSteps(c, 4 * RELOAD_SLICE_RULES)) await turn();
      watch.matchMs = performance.now() - m0;
      if (this.stopping) return false;
      await turn();
      const a0 = performance.now();
      this.interfaces.attachFilters(loaded.config, loaded.filters);
      watch.attachMs = performance.now() - a0;
      await turn();
      const s0 = performance.now();
      if (prepared !== undefined && policy.swap) policy.swap(prepared, this.clock());
      else policy.reload(loaded.config, this.clock());
      const s1 = performance.now();
      this.apply(loaded);
      const s2 = performance.now();
      this.output.flushAll();
      watch.swapMs = performance.now() - s0;
      watch.swapParts = [s1 - s0, s2 - s1, performance.now() - s2];
    } catch (err) {
      watch.stop();
      this.reloads.failed++;
      const e = err as Error & { code?: string };
      this.log.error({ event: 'reload_failed', code: e.code, file: this.opts.config }, `reload failed, keeping the running configuration: ${e.message}`);
      return false;
    }
    const { fields, message } = watch.report(loaded.config.interfaces.map((i) => i.name));
    for (const w of loaded.warnings) this.log.warn({ event: 'config_warning' }, w.message);
    this.reloads.ok++;
    this.log.info(fields, message);
    return true;
  }

  /** Makes slots and rings match a loaded configuration (start and reload). The policy already has it. */
  private apply(loaded: LoadedConfig): void {
    const ifs = loaded.config.interfaces;
    this.env.routeSettings = ifs.map((c) => ({ vrf: c.routeVrf, table: c.routeTable }));
    const tables = [...new Set(ifs.flatMap((c) => (c.routeTable !== undefined ? [c.routeTable] : [])))];
    void this.deps.kernel?.setTables?.(tables).then(() => { if (!this.stopping) this.env.refreshAddresses(); });
    this.interfaces.apply(loaded.config, loaded.filters);
    this.running.config = loaded.config;
    this.ha.evaluate();
  }

  /** Stops within the second systemd allows: timers, rings, sockets. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      if (this.tickTimer) clearInterval(this.tickTimer);
      this.tickTimer = null;
      if (this.pollTimer) clearInterval(this.pollTimer);
      this.pollTimer = null;
      this.warm.saveOnStop(this.running.config, this.policy, this.clock());
      await this.deps.autowire?.removeAll().catch(() => {});
      this.deps.kernel?.stop();
      this.deps.closePreparer?.();
      this.interfaces.closeAll();
      this.mld?.closeAll();
      await closeServices(this.control, this.metrics);
    })();
    return this.stopping;
  }

  controlHandler(): ControlHandler {
    return controlHandler({
      running: this.running,
      interfaces: this.interfaces,
      output: this.output,
      reloads: this.reloads,
      log: this.log,
      policy: () => this.policy!,
      clock: () => this.clock(),
      saveState: () => ({ ...this.warm.save(this.running.config!, this.policy!, this.clock()) }),
      ha: this.ha,
      ...(this.mld ? { mld: () => this.mld!.figures() } : {}),
    });
  }

  /** What the metrics endpoint reads at scrape time; every value is owned by another layer. */
  metricsSources(): MetricsSources {
    return {
      interfaces: () => this.interfaces.allStats(),
      dropName: (code: number) => this.dropName(code),
      cache: () => this.policy!.cacheFigures(),
      reloads: () => this.reloads,
      probes: () => this.policy?.probes?.stats?.(this.clock()) ?? null,
      autowire: () => {
        const a = this.deps.autowire;
        return a?.counts ? { counts: a.counts, routes: a.size ?? 0 } : null;
      },
    };
  }

  /** Set by the CLI wiring: process, build and service metrics (metrics-extra.ts). */
  extendMetrics: ((registry: ReturnType<typeof createRegistry>) => void) | null = null;

  /** Overridden by the real wiring with the wire drop-name table. */
  dropName: (code: number) => string = (code) => `code_${code}`;
}
