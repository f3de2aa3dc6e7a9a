// The daemon: one ring per configured interface feeding the pipeline, one timer driving
// the policy, SIGHUP-style reloads that keep rings and cache, the control socket, the
// metrics endpoint, interface presence, and the privilege drop. Everything it touches
// outside itself comes in through DaemonDeps (ports.ts), so reload and interface logic
// is tested with fakes (test/daemon/daemon.test.ts) and with real rings in namespaces.
//
// Where each concern lives, and where the next ones go:
//   ports.ts       the seams (rings, policy, host facts); real.ts wires the real ones
//   reload.ts      what a start or reload reads: file, filters, runtime statics
//   interfaces.ts  interface and ring lifecycle (worker threads over PACKET_FANOUT: here)
//   commands.ts    control-socket commands;  services.ts  control, metrics, privileges
//   main.ts        the process: signals, stop deadline
// An HA role would gate the pipeline's slots (answer only when active) and, on takeover,
// ask the policy to announce, as statics are announced after start and reload; a netlink
// route/link/address source replaces the host facts in DaemonDeps (linkReader, environment).
import type { Server as NetServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/types';
import { RingOutput } from '../pipeline/output';
import { monotonicSeconds, Pipeline } from '../pipeline/pipeline';
import { controlHandler } from './commands';
import type { ControlHandler } from './control';
import { HostEnvironment } from './env';
import { ringOpenAdvice, InterfaceSet } from './interfaces';
import { LinkMonitor, type LinkNotice, type LinkWatcher } from './links';
import type { Logger } from './log';
import type { MetricsSources } from './metrics';
import type { DaemonDeps, DaemonOptions, PolicyCore } from './ports';
import { RunningConfig, type LoadedConfig } from './reload';
import { closeServices, startControl, startMetrics, switchUser } from './services';

export type { CompiledFilter, DaemonDeps, DaemonOptions, PolicyCore, RingOpenOptions, RingPort } from './ports';
export { ringOpenAdvice } from './interfaces';

export class Daemon {
  policy: PolicyCore | null = null;
  readonly pipeline: Pipeline;
  readonly output = new RingOutput();
  readonly env: HostEnvironment;
  readonly running: RunningConfig;
  readonly interfaces: InterfaceSet;
  readonly reloads = { ok: 0, failed: 0 };
  private readonly clock: () => number;
  private tickTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private monitor: LinkMonitor | null = null;
  private control: NetServer | null = null;
  private metrics: NetServer | null = null;
  private stopping: Promise<void> | null = null;

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
  }

  get config(): Config | null { return this.running.config; }
  get watcher(): LinkWatcher { return this.interfaces.watcher; }
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
    this.policy = this.deps.createPolicy(loaded.config, this.env, this.output, this.log);
    this.pipeline.policy = this.policy;
    this.apply(loaded);
    this.env.refreshRoutesSync();
    // No ring may open without permission: that never fixes itself, so say so and stop.
    const denied = this.interfaces.denied();
    if (denied.length > 0) {
      await this.stop();
      throw Object.assign(new Error(`cannot capture on ${denied.join(', ')}: ${ringOpenAdvice('EPERM', false)}`), { code: 'EPERM' });
    }
    try {
      if (this.opts.control !== null) this.control = await startControl(this.opts.control, this.controlHandler(), this.log);
      if (this.opts.metrics !== null) this.metrics = await startMetrics(this.opts.metrics, this.metricsSources(), this.log);
      this.interfaces.dropped = switchUser(this.opts.user, this.opts.group, this.log);
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
    // Presence of interfaces and their addresses (the kernel answers for its own), every poll.
    this.pollTimer = setInterval(() => {
      try {
        this.interfaces.poll();
        this.env.refreshAddresses();
      } catch (err) {
        this.log.error({ event: 'poll_error', err }, 'interface poll failed; the daemon runs on');
      }
    }, this.opts.linkPollMs);
    this.pollTimer.unref();
    if (this.deps.linkMonitor !== false) {
      this.monitor = new LinkMonitor((n) => this.onLinkNotice(n));
      this.monitor.start();
    }
    this.env.startRouteRefresh(5000);
  }

  /** One policy timer step: refresh probes, delay windows, expiry, deferred answers. */
  tick(): void {
    try {
      this.policy?.tick(this.clock());
    } catch (err) {
      this.log.error({ event: 'tick_error', err }, 'policy timer failed');
    }
    this.output.flushAll();
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

  /** Makes slots and rings match a loaded configuration (start and reload). The policy already has it. */
  private apply(loaded: LoadedConfig): void {
    this.interfaces.apply(loaded.config, loaded.filters);
    this.running.config = loaded.config;
  }

  /** A link notice from `ip monitor`: the interface set polls at once (ignored while stopping). */
  onLinkNotice(n: LinkNotice): void {
    if (!this.stopping) this.interfaces.onLinkNotice(n);
  }

  /** Stops within the second systemd allows: timers, rings, sockets. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      if (this.tickTimer) clearInterval(this.tickTimer);
      this.tickTimer = null;
      if (this.pollTimer) clearInterval(this.pollTimer);
      this.pollTimer = null;
      this.monitor?.stop();
      this.env.stop();
      this.interfaces.closeAll();
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
    });
  }

  /** What the metrics endpoint reads at scrape time; every value is owned by another layer. */
  metricsSources(): MetricsSources {
    return {
      interfaces: () => this.interfaces.allStats(),
      dropName: (code: number) => this.dropName(code),
      cache: () => this.policy!.cacheFigures(),
      reloads: () => this.reloads,
    };
  }

  /** Overridden by the real wiring with the wire drop-name table. */
  dropName: (code: number) => string = (code) => `code_${code}`;
}
