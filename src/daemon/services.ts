// The daemon's outward services, each one start-up step: the control socket, the
// metrics endpoint, and the privilege drop that follows them (rings and sockets are
// opened as root; the daemon then runs as `--user`, keeping CAP_NET_RAW/CAP_NET_ADMIN).
import type { Server as NetServer } from 'node:net';
import type { ListenAddress } from './args';
import { serveControl, type ControlHandler } from './control';
import { serverErrorLogger } from './limits';
import type { Logger } from './log';
import { createRegistry, serveMetrics, type MetricsSources } from './metrics';
import { dropPrivileges, identity } from './privileges';

export async function startControl(path: string, handler: ControlHandler, log: Logger): Promise<NetServer> {
  const server = await serveControl(path, handler, { onError: serverErrorLogger(log, 'control socket') });
  log.info({ event: 'control', path }, 'control socket listening');
  return server;
}

export async function startMetrics(addr: ListenAddress, sources: MetricsSources, log: Logger,
  extend: ((registry: ReturnType<typeof createRegistry>) => void) | null = null): Promise<NetServer> {
  if (!addr.loopback) log.warn({ event: 'metrics_exposed', host: addr.host }, `metrics endpoint on non-loopback address ${addr.host}: counters are visible to the network`);
  const registry = createRegistry(sources);
  extend?.(registry); // process, build and service metrics (metrics-extra.ts), registered by the process wiring
  const server = await serveMetrics(registry, addr, { onError: serverErrorLogger(log, 'metrics endpoint') });
  log.info({ event: 'metrics', host: addr.host, port: (server.address() as { port: number }).port }, 'metrics endpoint listening');
  return server;
}

/** Switches to `user` when running as root; returns whether it did. Throws when the switch fails. */
export function switchUser(user: string | null, group: string | null, log: Logger): boolean {
  if (user !== null && process.getuid?.() === 0) {
    const id = dropPrivileges(user, group);
    log.info({ event: 'privileges', user, uid: id.uid, gid: id.gid, capEff: id.capEff },
      `switched to user ${user}, keeping CAP_NET_RAW and CAP_NET_ADMIN (CapEff ${id.capEff})`);
    return true;
  }
  const id = identity();
  log.info({ event: 'privileges', uid: id.uid, gid: id.gid, capEff: id.capEff }, 'running without a user switch');
  return false;
}

/** Closes what is open; resolves when both servers have closed. */
export async function closeServices(control: NetServer | null, metrics: NetServer | null): Promise<void> {
  const closing: Promise<unknown>[] = [];
  if (control) closing.push(new Promise((r) => control.close(r)));
  if (metrics) closing.push(new Promise((r) => metrics.close(r)));
  await Promise.all(closing);
}
