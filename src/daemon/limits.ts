// Limits of the management plane (control socket, metrics endpoint). They exist so
// that no client, idle or hostile, can take descriptors, memory or event-loop time
// from the data path: every client is bounded in count, idle time, request size,
// queued requests and unsent output, and big answers are produced in slices.
import type { Logger } from './log';

export interface ControlLimits {
  /** Clients connected at once; more are closed at accept (net.Server.maxConnections). */
  maxClients: number;
  /** A client that neither sends nor reads for this long is closed. */
  idleMs: number;
  /** Longest request line; a longer one gets E_TOO_LONG and the connection closes. */
  maxLineBytes: number;
  /** Request lines taken from a client and not yet answered; reading pauses at this many. */
  maxQueued: number;
  /** Unsent output above which nothing more is produced for the client until it reads. */
  softOutputBytes: number;
  /** Unsent output above which the client is dropped (one answer bigger than this). */
  hardOutputBytes: number;
  /** Cache entries formatted per event-loop turn while streaming `show cache`, at most... */
  sliceEntries: number;
  /** ...and for at most this long (ms): the ring's poll callback waits no longer than this. */
  sliceMs: number;
}

export const CONTROL_LIMITS: ControlLimits = {
  maxClients: 32,
  idleMs: 30_000,
  maxLineBytes: 64 * 1024,
  maxQueued: 16,
  softOutputBytes: 256 * 1024,
  hardOutputBytes: 16 * 1024 * 1024,
  sliceEntries: 2000,
  sliceMs: 2,
};

export interface MetricsLimits {
  maxConnections: number;
  /** The request head (8 KiB at most) must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** A client that does not read its answer for this long is closed. */
  requestTimeoutMs: number;
  /** A connection that sends nothing is closed after this (or headersTimeoutMs if shorter). */
  idleMs: number;
  /** A rendered scrape is reused for this long: concurrent and repeated scrapes cost one render. */
  renderCacheMs: number;
}

export const METRICS_LIMITS: MetricsLimits = {
  maxConnections: 32,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  idleMs: 10_000,
  renderCacheMs: 1_000,
};

/** Codes of a process out of descriptors (or the system out of files). */
export function isDescriptorExhaustion(code: string | undefined): boolean {
  return code === 'EMFILE' || code === 'ENFILE';
}

/**
 * Logs a server's accept or socket error at most once per `periodMs`, with how many were
 * left unlogged. EMFILE at accept is the usual one: the connection is refused, the daemon runs on.
 */
export function serverErrorLogger(log: Logger | null, server: string, periodMs = 10_000): (err: Error & { code?: string }) => void {
  let last = -Infinity;
  let quiet = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < periodMs) {
      quiet++;
      return;
    }
    last = now;
    log?.warn({ event: 'server_error', server, code: err.code, unlogged: quiet },
      `${server}: ${err.message}${isDescriptorExhaustion(err.code) ? ' (out of file descriptors: connection refused, the daemon runs on)' : ''}`);
    quiet = 0;
  };
}
