// Control socket: a unix stream socket (mode 0600) speaking JSON lines. One request
// line, one response line, in order; a connection may send many requests.
//
//   -> {"cmd":"show","what":"cache"}
//   <- {"ok":true,"cache":[...]}
//   -> {"cmd":"add","address":"192.0.2.7","mac":"02:00:00:00:00:07","announce":true}
//   <- {"ok":false,"error":{"code":"E_NO_INTERFACE","message":"..."}}
//
// The protocol is documented in docs/daemon.md; `neighproxy ctl` is its client.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, mkdirSync, unlinkSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../config/errors';
import { parseConfig } from '../config/parse';
import type { EntrySource } from './cache-dump';
import { ControlConnection } from './control-conn';
import { CONTROL_LIMITS, type ControlLimits } from './limits';

/** Longest request line accepted; a longer one gets an error and the connection closes. */
export const MAX_REQUEST_BYTES = CONTROL_LIMITS.maxLineBytes;

export type ControlRequest =
  | { cmd: 'show'; what: 'cache' | 'rules' | 'stats'; id?: unknown }
  | { cmd: 'add'; address: string; mac: string; announce?: boolean; interface?: string; id?: unknown }
  | { cmd: 'del'; address: string; interface?: string; id?: unknown }
  | { cmd: 'save'; id?: unknown }
  | { cmd: 'role'; role: 'active' | 'standby' | 'auto'; interface?: string; id?: unknown };

/** A refusal with a code the client can test (`E_BAD_ADDRESS`, `E_NO_INTERFACE`...). */
export class ControlError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ControlError';
  }
}

/** What the daemon does for each command; the returned object's fields join `ok: true`. */
export interface ControlHandler {
  show(what: 'cache' | 'rules' | 'stats'): Record<string, unknown>;
  add(req: { address: string; mac: string; announce: boolean; interface: string | null }): Record<string, unknown>;
  del(req: { address: string; interface: string | null }): Record<string, unknown>;
  /** Writes the state file now (warm.ts); absent = E_NO_STATE_FILE. */
  save?(): Record<string, unknown>;
  /** HA role (a VRRP notify script): active, standby, or auto (back to the file / tracked address). */
  role?(req: { role: 'active' | 'standby' | 'auto'; interface: string | null }): Record<string, unknown>;
  /** `show cache` entries to stream a slice at a time; without it `show` answers in one piece. */
  cacheSource?(): EntrySource;
}

/** Checks the shape of a decoded request; throws ControlError E_BAD_REQUEST naming the problem. */
export function validateRequest(msg: unknown): ControlRequest {
  const bad = (m: string): never => {
    throw new ControlError('E_BAD_REQUEST', m);
  };
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) bad('expected a JSON object');
  const o = msg as Record<string, unknown>;
  const str = (k: string, required: boolean): void => {
    if (o[k] === undefined) {
      if (required) bad(`'${o.cmd}' needs "${k}"`);
    } else if (typeof o[k] !== 'string') bad(`"${k}" must be a string`);
  };
  switch (o.cmd) {
    case 'show':
      if (o.what !== 'cache' && o.what !== 'rules' && o.what !== 'stats') bad('"what" must be "cache", "rules" or "stats"');
      break;
    case 'add':
      str('address', true);
      str('mac', true);
      str('interface', false);
      if (o.announce !== undefined && typeof o.announce !== 'boolean') bad('"announce" must be true or false');
      checkStaticEntry(o.address as string, o.mac as string);
      break;
    case 'del':
      str('address', true);
      str('interface', false);
      break;
    case 'save':
      break;
    case 'role':
      if (o.role !== 'active' && o.role !== 'standby' && o.role !== 'auto') bad('"role" must be "active", "standby" or "auto"');
      str('interface', false);
      break;
    default:
      bad(`unknown "cmd" ${JSON.stringify(o.cmd)}: expected "show", "add", "del", "save" or "role"`);
  }
  return o as ControlRequest;
}

/**
 * Checks `add`'s address and MAC with the configuration parser itself, on a one-line
 * `static` entry, so a MAC the file refuses (multicast, zero, malformed) is refused here
 * with the same words. Throws ControlError E_BAD_ADDRESS or E_BAD_MAC.
 */
export function checkStaticEntry(address: string, mac: string): void {
  for (const [what, v] of [['address', address], ['MAC', mac]] as const) {
    if (!/^[0-9A-Za-z:.\-/%]+$/.test(v)) {
      throw new ControlError(what === 'MAC' ? 'E_BAD_MAC' : 'E_BAD_ADDRESS', `found '${v}', expected ${what === 'MAC' ? 'a MAC address like 02:00:5e:00:53:01' : 'an IPv4 or IPv6 address'}`);
    }
  }
  const prefix = ' static ';
  try {
    parseConfig(`interface ctl0\n${prefix}${address} ${mac}\nend\n`, 'ctl add');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const first = err.errors[0]!;
    const text = first.message.replace(/^ctl add:\d+:\d+: /, '');
    throw new ControlError(first.column > prefix.length + address.length ? 'E_BAD_MAC' : 'E_BAD_ADDRESS', text);
  }
}

/** Handles one request line; always returns one response line (without the newline). */
export function handleLine(line: string, handler: ControlHandler): string {
  let id: unknown;
  try {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      throw new ControlError('E_BAD_JSON', 'request is not valid JSON');
    }
    const req = validateRequest(msg);
    id = req.id;
    let result: Record<string, unknown>;
    switch (req.cmd) {
      case 'show':
        result = handler.show(req.what);
        break;
      case 'add':
        result = handler.add({ address: req.address, mac: req.mac, announce: req.announce ?? false, interface: req.interface ?? null });
        break;
      case 'del':
        result = handler.del({ address: req.address, interface: req.interface ?? null });
        break;
      case 'save':
        if (!handler.save) throw new ControlError('E_NO_STATE_FILE', 'this daemon keeps no state file');
        result = handler.save();
        break;
      case 'role':
        if (!handler.role) throw new ControlError('E_NO_HA', 'this daemon cannot change roles');
        result = handler.role({ role: req.role, interface: req.interface ?? null });
        break;
    }
    return JSON.stringify(id === undefined ? { ok: true, ...result } : { ok: true, id, ...result });
  } catch (err) {
    const e = err as Error & { code?: string };
    const code = err instanceof ControlError ? err.code : typeof e.code === 'string' ? e.code : 'E_INTERNAL';
    const body: Record<string, unknown> = { ok: false, error: { code, message: e.message } };
    if (id !== undefined) body.id = id;
    return JSON.stringify(body);
  }
}

/**
 * A `show cache` request the handler can stream: the JSON line's head up to the entries
 * array (`{"ok":true,"id":..,"entries":[`), and the entries; null for any other request.
 */
export function streamAnswer(line: string, handler: ControlHandler): { head: string; source: EntrySource } | null {
  if (!handler.cacheSource || !line.includes('cache')) return null;
  let req: ControlRequest;
  try {
    req = validateRequest(JSON.parse(line));
  } catch {
    return null; // handleLine says what is wrong with it
  }
  if (req.cmd !== 'show' || req.what !== 'cache') return null;
  const open = JSON.stringify(req.id === undefined ? { ok: true } : { ok: true, id: req.id });
  return { head: `${open.slice(0, -1)},"entries":[`, source: handler.cacheSource() };
}

export interface ControlServerOptions {
  limits?: ControlLimits;
  /** Accept errors (EMFILE when out of descriptors): reported here, never fatal. */
  onError?: (err: Error & { code?: string }) => void;
}

/**
 * Listens on `path` with mode 0600. A stale socket file (no listener) is replaced; a live
 * one is EADDRINUSE (another daemon runs). The parent directory is created 0755 if missing.
 */
export async function serveControl(path: string, handler: ControlHandler, opts: ControlServerOptions = {}): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  if (existsSync(path)) {
    const live = await new Promise<boolean>((resolve) => {
      const s = createConnection(path);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (live) {
      throw Object.assign(new Error(`control socket ${path} is in use: is another neighproxy running?`), { code: 'EADDRINUSE' });
    }
    unlinkSync(path);
  }
  const limits = opts.limits ?? CONTROL_LIMITS;
  const responder = { respond: (line: string) => handleLine(line, handler), stream: (line: string) => streamAnswer(line, handler) };
  const sockets = new Set<Socket>();
  // allowHalfOpen: a client that sends its requests and shuts its side still gets every answer.
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    new ControlConnection(sock, responder, limits);
  });
  server.maxConnections = limits.maxClients;
  // Created 0600 from the start (umask), not chmod'ed after a window where others could connect.
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  server.on('error', opts.onError ?? (() => {}));
  // close() must not wait for idle `ctl` clients.
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    const r = close(cb);
    try { unlinkSync(path); } catch { /* gone already, or no longer ours after a privilege drop */ }
    return r;
  }) as typeof server.close;
  return server;
}

/** Sends one request and resolves with the decoded response line. Rejects with .code on socket errors. */
export function controlRequest(path: string, req: ControlRequest, timeoutMs = 3000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error(`no answer from ${path} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.destroy();
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      } catch {
        reject(new Error(`unreadable answer from ${path}`));
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('end', () => {
      clearTimeout(timer);
      reject(new Error(`${path} closed the connection without answering`));
    });
  });
}
