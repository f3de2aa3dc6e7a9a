// Metrics about the process and its configuration rather than frames: build info,
// prom-client's default process_* and nodejs_* metrics, which configured interfaces have
// a ring and the last reload's outcome (unanswered requests by reason are the pipeline's
// counters, exported by metrics.ts per interface and family). Everything is read
// at scrape time from state that already exists; nothing here counts a frame.
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';

export interface ExtraSources {
  version: string;
  /** The addon's abiVersion, or null when it could not be loaded. */
  abi: number | null;
  /** Configured interfaces and whether each has an open ring now. */
  interfaces(): { name: string; open: boolean }[];
  lastReloadOk(): boolean;
  /** Unix seconds of the last successful configuration load (start or reload). */
  lastSuccessAt(): number;
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[], fill: (g: Gauge) => void): void {
  new Gauge({ name, help, labelNames, registers: [registry], collect(this: Gauge) { this.reset(); fill(this); } });
}

/** Adds the metrics above to the daemon's registry (the exporter calls it once). */
export function registerExtraMetrics(registry: Registry, src: ExtraSources): void {
  collectDefaultMetrics({ register: registry });
  gauge(registry, 'neighproxy_build_info', 'Always 1; the labels say which build runs.', ['version', 'node', 'abi'], (g) =>
    g.set({ version: src.version, node: process.version, abi: src.abi === null ? 'none' : String(src.abi) }, 1));
  gauge(registry, 'neighproxy_interface_ring_up', '1 when a configured interface has an open capture ring, 0 while it is absent, down or failing.',
    ['interface'], (g) => { for (const i of src.interfaces()) g.set({ interface: i.name }, i.open ? 1 : 0); });
  gauge(registry, 'neighproxy_config_last_reload_successful', '1 when the last load of the configuration (start or SIGHUP) succeeded.',
    [], (g) => g.set(src.lastReloadOk() ? 1 : 0));
  gauge(registry, 'neighproxy_config_last_reload_success_timestamp_seconds', 'Unix time of the last successful configuration load.',
    [], (g) => g.set(src.lastSuccessAt()));
}

/** The sources of a running daemon and its service state. */
export function daemonExtraSources(
  daemon: { ringStates(): { name: string; open: boolean }[] },
  service: { lastReloadOk: boolean; lastSuccessAt: number },
): ExtraSources {
  let abi: number | null = null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    abi = (require('../engine/binding') as typeof import('../engine/binding')).binding().abiVersion;
  } catch { /* reported as abi="none" */ }
  return {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    version: (require('../../../package.json') as { version: string }).version,
    abi,
    interfaces: () => daemon.ringStates(),
    lastReloadOk: () => service.lastReloadOk,
    lastSuccessAt: () => service.lastSuccessAt,
  };
}
