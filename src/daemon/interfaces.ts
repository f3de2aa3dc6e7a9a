// Interface and ring lifecycle: one entry per configured interface, with its pipeline
// slot, its ring (or the reason it has none) and its filter. Reconciles the set with a
// new configuration, opens rings when links appear or come up, closes them when they
// vanish. The only owner of rings. With `workers N` (workers/managed.ts) the rings are
// the workers' and the deps' hooks below stand in: start-up waits for their rings, the
// counters read here are the workers' sums.
import type { Config, InterfaceConfig } from '../config/types';
import type { BpfProgram } from '../engine/types';
import { formatMac } from '../net/addr';
import type { RingOutput } from '../pipeline/output';
import { IfaceSlot, type Pipeline } from '../pipeline/pipeline';
import { InterfaceStats } from '../pipeline/stats';
import type { HostEnvironment } from './env';
import { LinkWatcher, type LinkEvent, type LinkReader } from './links';
import { isDescriptorExhaustion } from './limits';
import type { Logger } from './log';
import type { CompiledFilter, RingOpenOptions, RingPort } from './ports';
import type { WorkerHooks } from './workers/managed';

/** One ring's state as a worker reports it to the main thread (code: why it is not open). */
export interface RingReport {
  name: string;
  open: boolean;
  code: string | null;
  message: string;
  ifindex: number;
  mac: number;
}

export interface IfaceState {
  readonly name: string;
  cfg: InterfaceConfig;
  slot: IfaceSlot;
  ring: RingPort | null;
  filter: BpfProgram;
  filterKey: string;
  /** Last open failure's code, so a failing interface is logged once, not every poll. */
  lastError: string | null;
}

const openKey = (c: InterfaceConfig): string => `${c.promisc}/${c.allmulti}/${c.ring?.rxFrames}/${c.ring?.txFrames}/${c.ring?.frameSize}/${c.ring?.pace}`;
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

export interface InterfaceSetDeps extends WorkerHooks {
  openRing(ifname: string, opts: RingOpenOptions): RingPort;
  linkReader: LinkReader;
}

export class InterfaceSet {
  private readonly states = new Map<string, IfaceState>();
  /** Stats by interface name, kept for interfaces removed by a reload: their series never reset. */
  private readonly stats = new Map<string, InterfaceStats>();
  readonly watcher: LinkWatcher;
  /** Privileges were dropped after start-up (changes the advice for EPERM). */
  dropped = false;
  /** Batches that threw (a bug): counted, logged at most every 10 s, the daemon runs on. */
  batchErrors = 0;
  private lastBatchErrorLog = 0;
  /** Called after rings or static entries changed (the daemon reconciles its MLD joins). */
  onChanged: (() => void) | null = null;
  /** A worker's rings: every open, failure and close goes to the main thread (workers/thread.ts). */
  onRingState: ((report: RingReport) => void) | null = null;

  constructor(
    private readonly deps: InterfaceSetDeps,
    private readonly pipeline: Pipeline,
    private readonly output: RingOutput,
    private readonly env: HostEnvironment,
    private readonly log: Logger,
  ) {
    this.watcher = new LinkWatcher(deps.linkReader, (e) => this.onLinkEvent(e), (name, err) => this.readFailed(name, err));
    deps.watchRings?.((name) => this.syncRing(name));
  }

  /**
   * With workers (main thread): the workers' rings of `name` changed. Its placeholder
   * follows them: open while every worker's ring is open, else closed with the code a
   * worker reported, so readiness, `show interfaces`, metrics and start-up see the real state.
   */
  private syncRing(name: string): void {
    const st = this.states.get(name);
    const agg = this.deps.ringState?.(name);
    if (!st || !agg) return;
    if (agg.open) {
      if (st.ring?.ifindex === agg.ifindex) return;
      this.closeRing(st);
      st.lastError = null;
      this.openRing(st);
    } else {
      this.closeRing(st);
      this.openFailed(st, Object.assign(new Error(agg.message), { code: agg.code ?? undefined }));
    }
    this.onChanged?.();
  }

  /** Link reads that could not tell (EMFILE...): the ring stays as it is; logged at most every 10 s. */
  linkReadErrors = 0;
  private lastReadErrorLog = 0;

  private readFailed(name: string, err: Error & { code?: string }): void {
    this.linkReadErrors++;
    const now = Date.now();
    if (now - this.lastReadErrorLog < 10_000) return;
    this.lastReadErrorLog = now;
    this.log.warn({ event: 'link_read_failed', interface: name, code: err.code, total: this.linkReadErrors },
      `cannot read the state of ${name} (${err.message}): keeping its ring as it is`);
  }

  /**
   * One presence poll: link changes, then rings whose opening failed for want of
   * descriptors (EMFILE/ENFILE) are tried again: nothing else would retry them.
   */
  poll(): void {
    this.watcher.poll();
    for (const st of this.states.values()) {
      if (st.ring === null && isDescriptorExhaustion(st.lastError ?? undefined)) this.openRing(st);
    }
  }

  /** Configured interfaces, in no particular order (with workers, their counters summed first). */
  list(): Iterable<IfaceState> {
    this.deps.collectStats?.(this.stats);
    return this.states.values();
  }

  /** Resolves when the workers' rings are open (at once without workers). */
  ready(): Promise<void> {
    return this.deps.ready?.() ?? Promise.resolve();
  }

  /** After the privilege drop: the workers keep what the main thread kept (throws EPERM when one cannot). */
  afterDrop(): void {
    this.deps.afterDrop?.();
  }

  /** Per-worker figures from the last count (undefined without workers). */
  workerFigures(): Record<string, unknown>[] | undefined {
    return this.deps.workerFigures?.();
  }

  /** Each configured interface and whether its ring is open (readiness, ring-up gauge). */
  ringStates(): { name: string; open: boolean }[] {
    return [...this.states.values()].map((st) => ({ name: st.name, open: st.ring !== null }));
  }

  /** Every interface's stats, including interfaces no longer configured. */
  allStats(): Iterable<InterfaceStats> {
    this.deps.collectStats?.(this.stats);
    return this.stats.values();
  }

  /** Names whose ring could not open for lack of permission. */
  denied(): string[] {
    return [...this.states.values()].filter((s) => s.lastError === 'EPERM' || s.lastError === 'EACCES').map((s) => s.name);
  }

  /** Makes slots and rings match `config` (start and reload). The policy already has it. */
  apply(config: Config, filters: CompiledFilter[]): void {
    const slots: IfaceSlot[] = [];
    const next = new Map<string, IfaceState>();
    const toOpen: IfaceState[] = [];
    config.interfaces.forEach((cfg, i) => {
      const old = this.states.get(cfg.name);
      const st = old ? this.update(old, cfg, i, filters[i]!) : this.create(cfg, i, filters[i]!);
      if (st.ring === null) toOpen.push(st);
      next.set(cfg.name, st);
      slots.push(st.slot);
    });
    for (const [name, st] of this.states) {
      if (next.has(name)) continue;
      this.closeRing(st);
      this.log.info({ event: 'interface_removed', interface: name }, 'interface no longer configured: ring closed');
    }
    this.states.clear();
    for (const [k, v] of next) this.states.set(k, v);
    // One assignment each: the next batch sees the new configuration whole.
    this.pipeline.configure(config, slots);
    this.output.slots = slots;
    this.env.slots = slots;
    for (const st of next.values()) if (st.ring) st.slot.mac = st.cfg.mac ?? st.ring.mac;
    for (const st of toOpen) this.openRing(st);
    this.env.refreshAddresses();
    this.watcher.watch(next.keys(), new Map([...next.values()].filter((s) => s.ring).map((s) => [s.name, { ifindex: s.ring!.ifindex, up: true }])));
    this.onChanged?.();
  }

  private create(cfg: InterfaceConfig, index: number, f: CompiledFilter): IfaceState {
    let stats = this.stats.get(cfg.name);
    if (!stats) this.stats.set(cfg.name, (stats = new InterfaceStats(cfg.name)));
    this.log.debug({ event: 'filter', interface: cfg.name, filter: f.text }, 'capture filter');
    return { name: cfg.name, cfg, slot: new IfaceSlot(cfg.name, index, stats), ring: null, filter: f.program, filterKey: programKey(f.program), lastError: null };
  }

  /** An interface kept across a reload: its ring stays unless promisc/allmulti changed; its filter is swapped in place. */
  private update(st: IfaceState, cfg: InterfaceConfig, index: number, f: CompiledFilter): IfaceState {
    st.slot.index = index;
    if (st.ring !== null && openKey(st.cfg) !== openKey(cfg)) {
      this.log.info({ event: 'ring_reopen', interface: cfg.name }, 'promisc/allmulti or the ring setting changed: reopening the ring');
      this.closeRing(st);
    }
    st.cfg = cfg;
    this.setFilter(st, f, 'capture filter replaced');
    return st;
  }

  /**
   * A reload's filters, attached ahead of apply() (one event-loop turn before the swap, so
   * the kernel's filter attach is not in the swap's turn) on the rings that apply() keeps.
   */
  attachFilters(config: Config, filters: CompiledFilter[]): void {
    config.interfaces.forEach((cfg, i) => {
      const st = this.states.get(cfg.name);
      if (st && st.ring !== null && openKey(st.cfg) === openKey(cfg)) this.setFilter(st, filters[i]!, 'capture filter replaced');
    });
  }

  /** Replaces one interface's filter (runtime static entries changed) when it differs. */
  replaceFilter(name: string, f: CompiledFilter): void {
    const st = this.states.get(name);
    if (st) this.setFilter(st, f, 'capture filter replaced (static entries changed)');
    this.onChanged?.();
  }

  private setFilter(st: IfaceState, f: CompiledFilter, message: string): void {
    const key = programKey(f.program);
    if (key === st.filterKey) return;
    st.filter = f.program;
    st.filterKey = key;
    if (!st.ring) return;
    try {
      st.ring.setFilter(f.program);
      this.log.info({ event: 'filter', interface: st.name, filter: f.text }, message);
    } catch (err) {
      this.log.error({ event: 'filter_error', interface: st.name, code: (err as { code?: string }).code }, `cannot replace the filter: ${(err as Error).message}`);
    }
  }

  private openRing(st: IfaceState): void {
    // A packet socket bound to a device that is down carries ENETDOWN from the start and
    // its poll handle stops at once: open only when the device is up ('up' event opens it).
    let link: ReturnType<LinkReader>;
    try {
      link = this.deps.linkReader(st.name);
    } catch {
      link = null; // cannot tell: try to open, the ring's own error says what is wrong
    }
    if (link !== null && !link.up) {
      if (st.lastError !== 'ENETDOWN') {
        this.log.warn({ event: 'ring_open_deferred', interface: st.name, code: 'ENETDOWN' }, `${st.name} is down: its ring opens when it comes up`);
      }
      st.lastError = 'ENETDOWN';
      this.report(st, `${st.name} is down`);
      return;
    }
    let ring: RingPort;
    try {
      ring = this.deps.openRing(st.name, { filter: st.filter, promisc: st.cfg.promisc, allmulti: st.cfg.allmulti, ring: st.cfg.ring });
    } catch (err) {
      this.openFailed(st, err as Error & { code?: string });
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
    const workers = (ring as { placeholder?: number }).placeholder;
    this.log.info({ event: 'ring_open', interface: st.name, ifindex: ring.ifindex, mac: formatMac(ring.mac), ...(workers ? { workers } : {}) },
      workers ? `capturing on ${st.name} (the rings of ${workers} workers)` : `capturing on ${st.name}`);
    this.report(st, '');
  }

  private report(st: IfaceState, message: string): void {
    this.onRingState?.({ name: st.name, open: st.ring !== null, code: st.lastError, message, ifindex: st.ring?.ifindex ?? 0, mac: st.ring?.mac ?? 0 });
  }

  private openFailed(st: IfaceState, e: Error & { code?: string }): void {
    const code = e.code ?? 'EIO';
    // With workers, the main thread's view may be ahead of theirs: not a failure, they report soon.
    if (code === 'E_WORKER_PENDING') this.log.debug({ event: 'ring_pending', interface: st.name }, e.message);
    else if (st.lastError !== code) {
      const absent = code === 'ENODEV' || code === 'ENXIO' || code === 'ENETDOWN';
      this.log[absent ? 'warn' : 'error']({ event: 'ring_open_failed', interface: st.name, code },
        `cannot open a ring on ${st.name}: ${e.message}; ${ringOpenAdvice(code, this.dropped)}`);
    }
    st.lastError = code;
    this.report(st, e.message);
  }

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
    this.report(st, `${st.name}: ring closed`);
  }

  /** Closes every ring (stop). */
  closeAll(): void {
    for (const st of this.states.values()) this.closeRing(st);
    this.deps.closeWorkers?.();
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
    this.onChanged?.();
  }
}
