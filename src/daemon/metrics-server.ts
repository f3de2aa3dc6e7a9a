// The metrics endpoint's HTTP server: one GET per connection, answered from a render
// shared for a second, then `Connection: close`. Hand-written on node:net because Node's
// HTTP server parses every pipelined request of a read at once (5 000 GETs in one write
// blocked the loop for 0.2-0.5 s, 503s included) and keeps idle sockets for long; here a
// connection costs one small header read, whatever the client sends after it.
import { createServer, type Server, type Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { ListenAddress } from './args';
import { METRICS_LIMITS, type MetricsLimits } from './limits';

/** Longest request head read (request line and headers). */
const MAX_HEAD_BYTES = 8 * 1024;

/**
 * One render shared by every scrape within `ttlMs`, and by scrapes that arrive while it is
 * being made: a burst of scrapes costs one render.
 */
export class ScrapeCache {
  private text: string | null = null;
  private at = -Infinity;
  private inflight: Promise<string> | null = null;
  renders = 0;
  constructor(private readonly registry: Registry, private readonly ttlMs: number, private readonly now = Date.now) {}

  get(): Promise<string> {
    if (this.text !== null && this.now() - this.at < this.ttlMs) return Promise.resolve(this.text);
    if (this.inflight) return this.inflight;
    this.renders++;
    this.inflight = this.registry.metrics().then(
      (text) => {
        this.text = text;
        this.at = this.now();
        this.inflight = null;
        return text;
      },
      (err: Error) => {
        this.inflight = null;
        throw err;
      },
    );
    return this.inflight;
  }
}

export interface MetricsServerOptions {
  limits?: MetricsLimits;
  /** Accept errors (EMFILE when out of descriptors): reported here, never fatal. */
  onError?: (err: Error & { code?: string }) => void;
}

const REASONS: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error' };

function reply(sock: Socket, status: number, type: string, body: string, head: boolean): void {
  const len = Buffer.byteLength(body);
  sock.end(`HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: ${type}\r\nContent-Length: ${len}\r\nConnection: close\r\n\r\n${head ? '' : body}`);
}

/** Answers the one request whose head is `text` (request line first). */
function answer(sock: Socket, text: string, registry: Registry, cache: ScrapeCache): void {
  const [method, target] = text.slice(0, text.indexOf('\n')).trim().split(' ');
  const path = (target ?? '').split('?')[0];
  if ((method !== 'GET' && method !== 'HEAD') || (path !== '/metrics' && path !== '/')) {
    reply(sock, 404, 'text/plain', 'not found: try /metrics\n', false);
    return;
  }
  cache.get().then(
    (body) => { if (!sock.destroyed) reply(sock, 200, registry.contentType, body, method === 'HEAD'); },
    (err: Error) => { if (!sock.destroyed) reply(sock, 500, 'text/plain', `${err.message}\n`, false); },
  );
}

/**
 * Serves GET /metrics within METRICS_LIMITS: at most `maxConnections` (one more closes the
 * oldest that has not sent its request yet: idle sockets cannot lock Prometheus out), the
 * request head within `headersTimeoutMs`, one request per connection. Resolves once
 * listening; rejects with the listen error (.code EADDRINUSE...).
 */
export async function serveMetrics(registry: Registry, addr: ListenAddress, opts: MetricsServerOptions = {}): Promise<Server> {
  const lim = opts.limits ?? METRICS_LIMITS;
  const cache = new ScrapeCache(registry, lim.renderCacheMs);
  const waiting = new Set<Socket>(); // connected, request not read yet; oldest first
  const all = new Set<Socket>();
  const server = createServer((sock) => {
    all.add(sock);
    waiting.add(sock);
    if (waiting.size > lim.maxConnections) waiting.values().next().value!.destroy();
    const deadline = setTimeout(() => sock.destroy(), Math.min(lim.headersTimeoutMs, lim.idleMs));
    sock.on('close', () => {
      all.delete(sock);
      waiting.delete(sock);
      clearTimeout(deadline);
    });
    sock.on('error', () => sock.destroy());
    sock.setEncoding('latin1');
    let head = '';
    const onData = (chunk: string): void => {
      head += chunk;
      const end = head.search(/\r?\n\r?\n/);
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) reply(sock, 431, 'text/plain', 'request head too long\n', false);
        return;
      }
      sock.off('data', onData);
      sock.pause(); // whatever follows (pipelined requests) is never read
      waiting.delete(sock);
      clearTimeout(deadline);
      sock.setTimeout(lim.requestTimeoutMs, () => sock.destroy()); // a client that does not read the answer
      answer(sock, head.slice(0, end), registry, cache);
    };
    sock.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', opts.onError ?? (() => {}));
  // close() must not wait for clients (SIGTERM stops within a second).
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of all) s.destroy();
    return close(cb);
  }) as typeof server.close;
  return server;
}
