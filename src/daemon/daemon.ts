// The daemon: one ring per configured interface feeding the pipeline, one timer driving
// the policy, SIGHUP-style reloads that keep rings and cache, the control socket, the
// metrics endpoint, interface presence, and the privilege drop. Everything it touches
// outside itself comes in through DaemonDeps, so reload and interface logic is tested
// with fakes (test/daemon/daemon.test.ts) and with real rings in namespaces.
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Server as NetServer } from 'node:net';
import { ActionKind, type Config, type InterfaceConfig, type StaticEntry } from '../config/types';
import type { BatchHandler, BpfProgram, RingCounters, TxWriter } from '../engine/types';
import { formatAction, formatRule } from '../config/format';
import { formatIp, formatMac, formatPrefix, parseIp, parseMac, type IpAddress, type Mac } from '../net/addr';
import type { PolicyEnvironment, PolicyOutput } from '../policy/types';
import type { ListenAddress } from './args';
import { ControlError, serveControl, type ControlHandler } from './control';
import { HostEnvironment } from './env';
import { LinkMonitor, LinkWatcher, type LinkEvent, type LinkNotice, type LinkReader } from './links';
import type { Logger } from './log';
import { createRegistry, FAMILY_NAMES, InterfaceStats, REPLY_ACTIONS, serveMetrics, type CacheFigures } from './metrics';
import { lossSplit } from './loss';
import { RingOutput } from './output';
import { IfaceSlot, monotonicSeconds, Pipeline, type PolicyPort } from './pipeline';
import { dropPrivileges, identity } from './privileges';
import type { RingGeometry } from './ringsize';

/** The interface's `ring` setting (InterfaceConfig.ring once the configuration has it). */
const ringOf = (c: InterfaceConfig): Partial<RingGeometry> | undefined => (c as { ring?: Partial<RingGeometry> }).ring;

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
  /** RX slots and slot size (ringsize.ts DEFAULT_RING when absent). */
  ring?: Partial<RingGeometry>;
}

/** What the daemon uses of the policy beyond per-frame decisions. */
export interface PolicyCore extends PolicyPort {
  tick(now: number): void;
  /** Swaps rules and settings; the cache is kept. Throws if the configuration cannot be applied. */
  reload(config: Config, now: number): void;
  /** Adds (or replaces) a static entry at run time; announces it when asked. False when the table is full. */
  addStatic(ifIndex: number, address: IpAddress, mac: Mac, announce: boolean, now: number): boolean;
  /** Removes a run-time or configured static entry; false when there was none. */
  removeStatic(ifIndex: number, address: IpAddress): boolean;
  /** Learned entries per interface name, for `ctl show cache`. */
  cacheEntries(now: number): Record<string, unknown>[];
  /** Cache figures for metrics. */
  cacheFigures(): CacheFigures;
}

export interface DaemonDeps {
  /** Reads and checks a configuration; throws ConfigError (file:line:column) when it cannot be used. */
  loadConfig(path: string): { config: Config; warnings: { message: string }[] };
  /** Opens a ring; throws with .code (ENODEV, EPERM, ...). */
  openRing(ifname: string, opts: RingOpenOptions): RingPort;
  /** The BPF program for an interface, with the expression it stands for (logged). */
  compileFilter(iface: InterfaceConfig, config: Config): { program: BpfProgram; text: string };
  createPolicy(config: Config, env: PolicyEnvironment, output: PolicyOutput, log: Logger): PolicyCore;
  linkReader: LinkReader;
  /** Follow `ip -o monitor link` besides polling (default true; tests with fake links pass false). */
  linkMonitor?: boolean;
  /** Host addresses and routes; default HostEnvironment (tests pass a fake). */
  environment?: HostEnvironment;
  clock?: () => number;
}

export interface DaemonOptions {
  config: string;
  control: string | null;
  metrics: ListenAddress | null;
  user: string | null;
  group: string | null;
  tickMs: number;
  linkPollMs: number;
}

interface IfaceState {
  readonly name: string;
  cfg: InterfaceConfig;
  slot: IfaceSlot;
  ring: RingPort | null;
  filter: BpfProgram;
  filterKey: string;
  /** Last open failure's code, so a failing interface is logged once, not every poll. */
  lastError: string | null;
}

const openKey = (c: InterfaceConfig): string => `${c.promisc}/${c.allmulti}/${ringOf(c)?.frames}/${ringOf(c)?.frameSize}`;
const programKey = (p: BpfProgram): string => p.map((i) => `${i.code},${i.jt},${i.jf},${i.k}`).join(';');

/** Text for operators when a ring cannot be opened, by errno. */
export function ringOpenAdvice(code: string | undefined, dropped: boolean): string {
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return dropped
        ? 'the daemon dropped root after start-up and kept CAP_NET_RAW only if root had it: check CapEff in /proc/PID/status, restart it, or run it under the systemd unit (AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN)'
        : 'opening a capture ring needs CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous/allmulti): run as root, or grant the capabilities (systemd: AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN)';
    case 'ENODEV':
    case 'ENXIO':
      return 'the interface does not exist (yet): it is picked up when it appears';
    case 'ENETDOWN':
      return 'the interface is down: it is picked up when it comes up';
    default:
      return 'see the error message';
  }
}

export class Daemon {
  config: Config | null = null;
  policy: PolicyCore | null = null;
  readonly pipeline: Pipeline;
  readonly output = new RingOutput();
  readonly env: HostEnvironment;
  readonly watcher: LinkWatcher;
  private readonly states = new Map<string, IfaceState>();
  /** Stats by interface name, kept for interfaces removed by a reload: their series never reset. */
  private readonly stats = new Map<string, InterfaceStats>();
  private readonly clock: () => number;
  private tickTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private monitor: LinkMonitor | null = null;
  private control: NetServer | null = null;
  private metrics: Server | null = null;
  dropped = false;
  readonly reloads = { ok: 0, failed: 0 };
  private stopping: Promise<void> | null = null;

  constructor(
    readonly opts: DaemonOptions,
    private readonly deps: DaemonDeps,
    readonly log: Logger,
  ) {
    this.clock = deps.clock ?? monotonicSeconds;
    this.env = deps.environment ?? new HostEnvironment();
    this.pipeline = new Pipeline({ handle: () => { throw new Error('no policy yet'); } }, this.clock);
    this.watcher = new LinkWatcher(deps.linkReader, (e) => this.onLinkEvent(e));
  }

  /**
   * Loads the configuration, opens rings, control socket and metrics, drops privileges,
   * starts the timers. Throws (with .code) when the daemon cannot run: bad configuration,
   * no permission to capture, control socket or metrics port in use.
   */
  async start(): Promise<void> {
    const { config, warnings } = this.deps.loadConfig(this.opts.config);
    for (const w of warnings) this.log.warn({ event: 'config_warning' }, w.message);
    this.policy = this.deps.createPolicy(config, this.env, this.output, this.log);
    this.pipeline.policy = this.policy;
    this.apply(config, this.compileAll(config));
    this.env.refreshRoutesSync();
    // No ring may open without permission: that never fixes itself, so say so and stop.
    const denied = [...this.states.values()].filter((s) => s.lastError === 'EPERM' || s.lastError === 'EACCES');
    if (denied.length > 0) {
      await this.stop();
      throw Object.assign(new Error(`cannot capture on ${denied.map((s) => s.name).join(', ')}: ${ringOpenAdvice('EPERM', false)}`), { code: 'EPERM' });
    }
    if (this.opts.control !== null) {
      try {
        this.control = await serveControl(this.opts.control, this.controlHandler());
      } catch (err) {
        await this.stop();
        throw err;
      }
      this.log.info({ event: 'control', path: this.opts.control }, 'control socket listening');
    }
    if (this.opts.metrics !== null) {
      const m = this.opts.metrics;
      if (!m.loopback) this.log.warn({ event: 'metrics_exposed', host: m.host }, `metrics endpoint on non-loopback address ${m.host}: counters are visible to the network`);
      try {
        this.metrics = await serveMetrics(createRegistry(this.metricsSources()), m);
      } catch (err) {
        await this.stop();
        throw err;
      }
      this.log.info({ event: 'metrics', host: m.host, port: (this.metrics.address() as { port: number }).port }, 'metrics endpoint listening');
    }
    if (this.opts.user !== null && process.getuid?.() === 0) {
      try {
        const id = dropPrivileges(this.opts.user, this.opts.group);
        this.dropped = true;
        this.log.info({ event: 'privileges', user: this.opts.user, uid: id.uid, gid: id.gid, capEff: id.capEff },
          `switched to user ${this.opts.user}, keeping CAP_NET_RAW and CAP_NET_ADMIN (CapEff ${id.capEff})`);
      } catch (err) {
        await this.stop();
        throw err;
      }
    } else {
      const id = identity();
      this.log.info({ event: 'privileges', uid: id.uid, gid: id.gid, capEff: id.capEff }, 'running without a user switch');
    }
    this.tickTimer = setInterval(() => this.tick(), this.opts.tickMs);
    // Presence of interfaces and their addresses (the kernel answers for its own), every poll.
    this.pollTimer = setInterval(() => {
      this.watcher.poll();
      this.env.refreshAddresses();
    }, this.opts.linkPollMs);
    this.pollTimer.unref();
    if (this.deps.linkMonitor !== false) {
      this.monitor = new LinkMonitor((n) => this.onLinkNotice(n));
      this.monitor.start();
    }
    this.env.startRouteRefresh(5000);
    this.output.flushAll(); // announcements of static entries
    this.log.info({ event: 'started', interfaces: config.interfaces.map((i) => i.name), config: this.opts.config }, 'neighproxy running');
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
    let loaded: { config: Config; warnings: { message: string }[] };
    let filters: { program: BpfProgram; text: string }[];
    try {
      loaded = this.deps.loadConfig(this.opts.config);
      filters = this.compileAll(loaded.config);
      this.policy!.reload(loaded.config, this.clock());
    } catch (err) {
      this.reloads.failed++;
      const e = err as Error & { code?: string };
      this.log.error({ event: 'reload_failed', code: e.code, file: this.opts.config }, `reload failed, keeping the running configuration: ${e.message}`);
      return false;
    }
    for (const w of loaded.warnings) this.log.warn({ event: 'config_warning' }, w.message);
    this.apply(loaded.config, filters);
    this.reloads.ok++;
    this.output.flushAll();
    const ms = Math.round((performance.now() - t0) * 100) / 100;
    this.log.info({ event: 'reloaded', interfaces: loaded.config.interfaces.map((i) => i.name), ms }, `configuration reloaded in ${ms} ms`);
    return true;
  }

  /** Every interface's filter, compiled before anything changes (a compile error aborts a reload whole). */
  private compileAll(config: Config): { program: BpfProgram; text: string }[] {
    return config.interfaces.map((c) => this.compileOne(c, config));
  }

  /**
   * Static entries added with `ctl add`, by interface name. They outlive reloads (the policy
   * keeps them), so filters are compiled with them: a filter narrowed to the configured
   * targets (cache learning off) must still let their requests in.
   */
  private readonly runtimeStatics = new Map<string, StaticEntry[]>();

  private compileOne(c: InterfaceConfig, config: Config): { program: BpfProgram; text: string } {
    const extra = this.runtimeStatics.get(c.name);
    return this.deps.compileFilter(extra && extra.length > 0 ? { ...c, statics: [...c.statics, ...extra] } : c, config);
  }

  /** Recompiles one interface's filter after a runtime static change; replaces it when it differs. */
  private refreshFilter(ifIndex: number): void {
    const cfg = this.config!.interfaces[ifIndex]!;
    const st = this.states.get(cfg.name);
    if (!st) return;
    const { program, text } = this.compileOne(cfg, this.config!);
    const key = programKey(program);
    if (key === st.filterKey) return;
    st.filter = program;
    st.filterKey = key;
    if (st.ring) {
      try {
        st.ring.setFilter(program);
        this.log.info({ event: 'filter', interface: cfg.name, filter: text }, 'capture filter replaced (static entries changed)');
      } catch (err) {
        this.log.error({ event: 'filter_error', interface: cfg.name, code: (err as { code?: string }).code }, `cannot replace the filter: ${(err as Error).message}`);
      }
    }
  }

  /** Makes slots and rings match `config` (start and reload). The policy already has it. */
  private apply(config: Config, filters: { program: BpfProgram; text: string }[]): void {
    const slots: IfaceSlot[] = [];
    const next = new Map<string, IfaceState>();
    const toOpen: IfaceState[] = [];
    for (let i = 0; i < config.interfaces.length; i++) {
      const cfg = config.interfaces[i]!;
      let stats = this.stats.get(cfg.name);
      if (!stats) this.stats.set(cfg.name, (stats = new InterfaceStats(cfg.name)));
      const { program, text } = filters[i]!;
      const key = programKey(program);
      const old = this.states.get(cfg.name);
      let st: IfaceState;
      if (old) {
        old.slot.index = i;
        st = old;
        const reopen = old.ring !== null && openKey(old.cfg) !== openKey(cfg);
        if (reopen) {
          this.log.info({ event: 'ring_reopen', interface: cfg.name }, 'promisc/allmulti or ring size changed: reopening the ring');
          this.closeRing(old);
        }
        if (old.ring !== null && old.filterKey !== key) {
          try {
            old.ring.setFilter(program);
            this.log.info({ event: 'filter', interface: cfg.name, filter: text }, 'capture filter replaced');
          } catch (err) {
            this.log.error({ event: 'filter_error', interface: cfg.name, code: (err as { code?: string }).code }, `cannot replace the filter: ${(err as Error).message}`);
          }
        }
        old.cfg = cfg;
        old.filter = program;
        old.filterKey = key;
        if (old.ring === null) toOpen.push(old);
      } else {
        st = { name: cfg.name, cfg, slot: new IfaceSlot(cfg.name, i, stats), ring: null, filter: program, filterKey: key, lastError: null };
        this.log.debug({ event: 'filter', interface: cfg.name, filter: text }, 'capture filter');
        toOpen.push(st);
      }
      next.set(cfg.name, st);
      slots.push(st.slot);
    }
    for (const [name, st] of this.states) {
      if (!next.has(name)) {
        this.closeRing(st);
        this.log.info({ event: 'interface_removed', interface: name }, 'interface no longer configured: ring closed');
      }
    }
    this.states.clear();
    for (const [k, v] of next) this.states.set(k, v);
    this.config = config;
    // One assignment each: the next batch sees the new configuration whole.
    this.pipeline.configure(config, slots);
    this.output.slots = slots;
    this.env.slots = slots;
    this.env.wantRoutes(config.interfaces.some((c) => c.rules.some((r) => r.action.kind === ActionKind.Route)));
    for (const st of next.values()) if (st.ring) st.slot.mac = st.cfg.mac ?? st.ring.mac;
    for (const st of toOpen) this.openRing(st);
    this.env.refreshAddresses();
    this.watcher.watch(next.keys(), new Map([...next.values()].filter((s) => s.ring).map((s) => [s.name, { ifindex: s.ring!.ifindex, up: true }])));
  }

  private openRing(st: IfaceState): void {
    // A packet socket bound to a device that is down carries ENETDOWN from the start and
    // its poll handle stops at once: open only when the device is up ('up' event opens it).
    const link = this.deps.linkReader(st.name);
    if (link !== null && !link.up) {
      if (st.lastError !== 'ENETDOWN') {
        this.log.warn({ event: 'ring_open_deferred', interface: st.name, code: 'ENETDOWN' }, `${st.name} is down: its ring opens when it comes up`);
      }
      st.lastError = 'ENETDOWN';
      return;
    }
    let ring: RingPort;
    try {
      ring = this.deps.openRing(st.name, { filter: st.filter, promisc: st.cfg.promisc, allmulti: st.cfg.allmulti, ring: ringOf(st.cfg) });
    } catch (err) {
      const e = err as Error & { code?: string };
      const code = e.code ?? 'EIO';
      if (st.lastError !== code) {
        const absent = code === 'ENODEV' || code === 'ENXIO' || code === 'ENETDOWN';
        this.log[absent ? 'warn' : 'error']({ event: 'ring_open_failed', interface: st.name, code },
          `cannot open a ring on ${st.name}: ${e.message}; ${ringOpenAdvice(code, this.dropped)}`);
      }
      st.lastError = code;
      return;
    }
    st.lastError = null;
    st.ring = ring;
    st.slot.tx = ring.tx;
    st.slot.mac = st.cfg.mac ?? ring.mac;
    st.slot.stats.ringCounters = () => ring.counters();
    ring.start((batch, tx) => {
      try {
        this.pipeline.onBatch(st.slot.index, batch, tx);
      } catch (err) {
        this.batchError(st.name, err);
      }
    });
    this.watcher.set(st.name, { ifindex: ring.ifindex, up: true });
    this.log.info({ event: 'ring_open', interface: st.name, ifindex: ring.ifindex, mac: formatMac(ring.mac) }, `capturing on ${st.name}`);
  }

  /** Batches that threw (a bug): counted, logged at most every 10 s, the daemon runs on. */
  batchErrors = 0;
  private lastBatchErrorLog = 0;

  private batchError(iface: string, err: unknown): void {
    this.batchErrors++;
    const now = Date.now();
    if (now - this.lastBatchErrorLog < 10_000) return;
    this.lastBatchErrorLog = now;
    this.log.error({ event: 'batch_error', interface: iface, err, total: this.batchErrors },
      `a batch failed (rest of the batch skipped; ${this.batchErrors} so far): ${(err as Error)?.message}`);
  }

  private closeRing(st: IfaceState): void {
    const ring = st.ring;
    if (!ring) return;
    st.ring = null;
    st.slot.tx = null;
    try {
      ring.stop();
    } catch { /* a vanished interface may refuse; close anyway */ }
    st.slot.stats.retireRing();
    try {
      ring.close();
    } catch (err) {
      this.log.warn({ event: 'ring_close_failed', interface: st.name }, (err as Error).message);
    }
  }

  private onLinkEvent(e: LinkEvent): void {
    const st = this.states.get(e.name);
    if (!st) return;
    switch (e.type) {
      case 'appeared':
        this.log.info({ event: 'link_appeared', interface: e.name, ifindex: e.state.ifindex }, `${e.name} appeared`);
        st.lastError = null;
        this.openRing(st);
        break;
      case 'recreated':
        this.log.warn({ event: 'link_recreated', interface: e.name, ifindex: e.state.ifindex, oldIfindex: e.oldIfindex },
          `${e.name} was recreated (ifindex ${e.oldIfindex} -> ${e.state.ifindex}): reopening its ring`);
        this.closeRing(st);
        st.lastError = null;
        this.openRing(st);
        break;
      case 'vanished':
        this.log.warn({ event: 'link_vanished', interface: e.name, ifindex: e.oldIfindex }, `${e.name} disappeared: ring closed, waiting for it to return`);
        this.closeRing(st);
        break;
      case 'down':
        // The ring stays open: the engine clears the socket's ENETDOWN and keeps polling,
        // and the kernel hooks the socket up again when the device is up.
        this.log.warn({ event: 'link_down', interface: e.name }, `${e.name} is down`);
        break;
      case 'up':
        this.log.info({ event: 'link_up', interface: e.name }, `${e.name} is up`);
        if (!st.ring) this.openRing(st); // opening was deferred while it was down
        break;
    }
    this.env.refreshAddresses();
  }

  /**
   * A link notice from `ip monitor`: polls at once instead of waiting for the period, so
   * an interface that appears, vanishes or is recreated is handled without delay. (A
   * down/up needs nothing: the open ring survives it; a recreation is told apart by its
   * new ifindex.)
   */
  onLinkNotice(n: LinkNotice): void {
    const st = this.states.get(n.name);
    if (!st || this.stopping) return;
    this.watcher.poll();
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
      for (const st of this.states.values()) this.closeRing(st);
      const closing: Promise<unknown>[] = [];
      if (this.control) closing.push(new Promise((r) => this.control!.close(r)));
      if (this.metrics) {
        this.metrics.closeAllConnections();
        closing.push(new Promise((r) => this.metrics!.close(r)));
      }
      await Promise.all(closing);
    })();
    return this.stopping;
  }

  // ---------------------------------------------------------------- control socket

  private ifIndexFor(name: string | null, address: IpAddress): number {
    const ifaces = this.config!.interfaces;
    if (name !== null) {
      const i = ifaces.findIndex((c) => c.name === name);
      if (i < 0) throw new ControlError('E_NO_INTERFACE', `interface '${name}' is not in the configuration (${ifaces.map((c) => c.name).join(', ')})`);
      return i;
    }
    if (ifaces.length === 1) return 0;
    throw new ControlError('E_NEED_INTERFACE', `${formatIp(address)}: several interfaces are configured, say which with "interface"`);
  }

  controlHandler(): ControlHandler {
    const addr = (text: string): IpAddress => {
      const a = parseIp(text);
      if (!a) throw new ControlError('E_BAD_ADDRESS', `'${text}' is not an IPv4 or IPv6 address`);
      return a;
    };
    return {
      show: (what) => {
        const cfg = this.config!;
        if (what === 'rules') {
          return {
            file: cfg.file,
            interfaces: cfg.interfaces.map((c) => ({
              name: c.name,
              rules: c.rules.map((r) => ({
                line: r.pos.line,
                source: formatPrefix(r.source),
                target: formatPrefix(r.target),
                flags: [r.delay && 'delay', r.verbose && 'verbose', r.probes && 'probes'].filter(Boolean),
                action: formatAction(r.action),
                text: formatRule(r).replace(/\s+/g, ' '),
              })),
              statics: c.statics.map((s) => ({ line: s.pos.line, address: formatIp(s.address), mac: formatMac(s.mac), announce: s.announce })),
            })),
          };
        }
        if (what === 'cache') {
          return { entries: this.policy!.cacheEntries(this.clock()) };
        }
        return { interfaces: [...this.states.values()].map((st) => this.statsOf(st)), reloads: this.reloads };
      },
      add: (req) => {
        const a = addr(req.address);
        const mac = parseMac(req.mac);
        if (mac === undefined) throw new ControlError('E_BAD_MAC', `'${req.mac}' is not a MAC address (expected 02:00:5e:00:53:01)`);
        const i = this.ifIndexFor(req.interface, a);
        if (!this.policy!.addStatic(i, a, mac, req.announce, this.clock())) {
          throw new ControlError('E_TABLE_FULL', `the static table is full: ${formatIp(a)} not added`);
        }
        const name = this.config!.interfaces[i]!.name;
        const list = (this.runtimeStatics.get(name) ?? []).filter((e) => formatIp(e.address) !== formatIp(a));
        list.push({ pos: { file: 'control socket', line: 0, column: 0 }, address: a, mac, announce: req.announce });
        this.runtimeStatics.set(name, list);
        this.refreshFilter(i);
        this.output.flushAll();
        this.log.info({ event: 'static_added', interface: this.config!.interfaces[i]!.name, address: formatIp(a), mac: formatMac(mac), announce: req.announce }, 'static entry added');
        return { interface: this.config!.interfaces[i]!.name, address: formatIp(a), mac: formatMac(mac) };
      },
      del: (req) => {
        const a = addr(req.address);
        const ifaces = req.interface !== null ? [this.ifIndexFor(req.interface, a)] : this.config!.interfaces.map((_, i) => i);
        let removed = 0;
        for (const i of ifaces) {
          if (!this.policy!.removeStatic(i, a)) continue;
          removed++;
          const name = this.config!.interfaces[i]!.name;
          const list = this.runtimeStatics.get(name);
          if (list) this.runtimeStatics.set(name, list.filter((e) => formatIp(e.address) !== formatIp(a)));
          this.refreshFilter(i);
        }
        if (removed === 0) throw new ControlError('E_NOT_FOUND', `no static entry for ${formatIp(a)}`);
        this.log.info({ event: 'static_removed', address: formatIp(a) }, 'static entry removed');
        return { address: formatIp(a), removed };
      },
    };
  }

  private statsOf(st: IfaceState): Record<string, unknown> {
    const s = st.slot.stats;
    const fam = (a: Float64Array) => ({ ipv4: a[0], ipv6: a[1] });
    const replies: Record<string, Record<string, number>> = {};
    for (let f = 0; f < 2; f++) {
      const r: Record<string, number> = {};
      for (let a = 0; a < REPLY_ACTIONS.length; a++) {
        const v = s.replies[f * REPLY_ACTIONS.length + a]!;
        if (v > 0) r[REPLY_ACTIONS[a]!] = v;
      }
      replies[FAMILY_NAMES[f]!] = r;
    }
    return {
      name: st.name,
      open: st.ring !== null,
      ifindex: st.ring?.ifindex ?? null,
      requests: fam(s.requests),
      replies,
      unanswered: fam(s.unanswered),
      delayedAnswered: fam(s.delayedAnswered),
      ring: s.ring(),
      loss: lossSplit(s),
    };
  }

  private metricsSources() {
    return {
      interfaces: () => this.stats.values(),
      dropName: (code: number) => this.dropName(code),
      cache: () => this.policy!.cacheFigures(),
      reloads: () => this.reloads,
    };
  }

  /** Overridden by the real wiring with the wire drop-name table. */
  dropName: (code: number) => string = (code) => `code_${code}`;
}
