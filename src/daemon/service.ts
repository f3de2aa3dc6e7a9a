// What the daemon tells its service manager and its metrics about its life: ready once
// every ring that can open is open, reloading/ready around each reload with a STATUS=
// line, and the last reload's outcome (neighproxy_config_last_reload_successful, the
// names Prometheus itself uses for its own configuration).
import type { SdNotifier } from './sdnotify';

/** What the service needs to see of the daemon (Daemon implements it). */
export interface ServiceDaemon {
  ringStates(): { name: string; open: boolean }[];
  reload(): boolean;
  /** The same off the hot path (prepare -> swap); service.reloadPrepared uses it when present. */
  reloadPrepared?(): Promise<boolean>;
}

export interface RingSummary {
  open: string[];
  waiting: string[];
}

export function ringSummary(d: ServiceDaemon): RingSummary {
  const ifaces = d.ringStates();
  return { open: ifaces.filter((i) => i.open).map((i) => i.name), waiting: ifaces.filter((i) => !i.open).map((i) => i.name) };
}

export function statusLine(r: RingSummary): string {
  const open = r.open.length > 0 ? `answering on ${r.open.join(', ')}` : 'no ring open';
  return r.waiting.length > 0 ? `${open}; waiting for ${r.waiting.join(', ')}` : open;
}

export class ServiceState {
  /** Whether the last load (start or reload) of the configuration succeeded. */
  lastReloadOk = true;
  /** Unix time, seconds, of the last successful load. */
  lastSuccessAt: number;

  constructor(
    private readonly notifier: SdNotifier,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    this.lastSuccessAt = now();
  }

  /** After Daemon.start(): READY=1 with the rings in a STATUS= line. */
  started(d: ServiceDaemon): void {
    this.lastSuccessAt = this.now();
    this.notifier.ready(statusLine(ringSummary(d)));
  }

  /** A SIGHUP: RELOADING=1, the reload, READY=1 whatever its outcome (the old rules still answer). */
  reload(d: ServiceDaemon): boolean {
    this.notifier.reloading('reloading the configuration');
    const ok = d.reload();
    this.finishReload(d, ok);
    return ok;
  }

  private finishReload(d: ServiceDaemon, ok: boolean): void {
    this.lastReloadOk = ok;
    if (ok) this.lastSuccessAt = this.now();
    const when = new Date(this.lastSuccessAt * 1000).toISOString();
    const rings = statusLine(ringSummary(d));
    this.notifier.ready(ok ? `${rings}; configuration reloaded ${when}` : `${rings}; RELOAD FAILED (see the log), running the configuration of ${when}`);
  }

  /** As reload(), with the daemon's prepared reload (SIGHUP in main.ts). */
  async reloadPrepared(d: ServiceDaemon): Promise<boolean> {
    if (!d.reloadPrepared) return this.reload(d);
    this.notifier.reloading('reloading the configuration');
    const ok = await d.reloadPrepared();
    this.finishReload(d, ok);
    return ok;
  }

  stopping(signal: string): void {
    this.notifier.stopping(`${signal}: stopping`);
  }
}
