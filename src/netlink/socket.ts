// The NETLINK_ROUTE socket as TypeScript sees it: requests with a sequence number and a
// promise (a dump collects until NLMSG_DONE), events (sequence 0) to a handler, and
// ENOBUFS, the kernel saying it dropped messages, reported as an overrun so the owner
// resynchronises. The addon only moves bytes (native/netlink.cc); the native surface is a
// constructor parameter, so this logic is tested without root (test/netlink/socket.test.ts).
import { constants as osConstants } from 'node:os';
import { binding } from '../engine/binding';
import * as C from './constants';
import { parseError, parseMessages, type NlMessage } from './message';

/** Opaque native handle (a napi External, type-tagged in native/netlink.cc). */
export type NetlinkHandle = { readonly __netlinkHandle: unique symbol };

/** native/netlink.cc: every failing system call throws (or reports) an Error with `.code` = errno name. */
export interface NetlinkBinding {
  /** socket, SO_RCVBUFFORCE, bind, NETLINK_ADD_MEMBERSHIP per group; from inside `netns` when not ''. */
  nl_open(groups: number[], rcvbuf: number, netns: string): { handle: NetlinkHandle; portid: number };
  /** One sendto() to the kernel; `bytes` may pack several requests. */
  nl_send(handle: NetlinkHandle, bytes: Uint8Array): void;
  /**
   * Polls the socket; each wake-up reads every ready datagram into `buf` (each starts 4-aligned),
   * their lengths into `lengths`, and calls `onBatch(count, error)` once. `error.code` ENOBUFS:
   * messages were lost, the socket reads on; any other error stops the polling.
   */
  nl_start(handle: NetlinkHandle, buf: Uint8Array, lengths: Uint32Array, onBatch: (count: number, err: NetlinkError | null) => void): void;
  /** Stops polling and closes; idempotent. */
  nl_close(handle: NetlinkHandle): void;
}

export type NetlinkError = Error & { code?: string; errno?: number };

export interface NetlinkHandlers {
  /** A message nobody asked for: a multicast event. Its body is valid during the call only. */
  onEvent(m: NlMessage): void;
  /** ENOBUFS: events were dropped; every get in flight has been rejected with ENOBUFS (dumps go on). */
  onOverrun(): void;
  /** The socket failed for good (polling stopped). */
  onError(err: NetlinkError): void;
}

export interface NetlinkOptions {
  groups: number[];
  /** Receive buffer in bytes (SO_RCVBUFFORCE, SO_RCVBUF when refused); default 4 MiB. */
  rcvbuf?: number;
  /** Path of a network namespace (tests); '' for the daemon's own. */
  netns?: string;
  /** A request unanswered this long is rejected with ETIMEDOUT; default 2000 ms. */
  timeoutMs?: number;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

/** An Error like the addon's: `.code` the errno name, the message naming the request. */
export function errnoError(errno: number, what: string): NetlinkError {
  const code = ERRNO_NAMES.get(errno) ?? `E${errno}`;
  return Object.assign(new Error(`${what}: ${code}`), { code, errno });
}

interface Pending {
  messages: NlMessage[];
  dump: boolean;
  what: string;
  resolve(m: NlMessage[]): void;
  reject(e: NetlinkError): void;
  timer: NodeJS.Timeout;
}

/** Largest datagram of packed requests: well under the default socket send buffer. */
const MAX_SEND = 32768;

export class NetlinkSocket {
  private readonly handle: NetlinkHandle;
  readonly portid: number;
  private readonly buf = new Uint8Array(1 << 20);
  private readonly lengths = new Uint32Array(512);
  private readonly pending = new Map<number, Pending>();
  private queue: Uint8Array[] = [];
  private queued = 0;
  private seq = 1;
  private closed = false;
  /** Events, replies, overruns and datagrams seen: read by tests, metrics and `ctl`. */
  readonly counts = { events: 0, replies: 0, overruns: 0, datagrams: 0, sends: 0 };

  constructor(opts: NetlinkOptions, private readonly handlers: NetlinkHandlers, private readonly native: NetlinkBinding = binding() as unknown as NetlinkBinding) {
    const o = native.nl_open(opts.groups, opts.rcvbuf ?? 4 << 20, opts.netns ?? '');
    this.handle = o.handle;
    this.portid = o.portid;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    native.nl_start(this.handle, this.buf, this.lengths, (n, err) => this.onBatch(n, err));
  }

  private readonly timeoutMs: number;

  /**
   * Sends one request built for the sequence number given; resolves with its replies (all of
   * a dump's, the one answer of a get, none for a bare ack), rejects on NLMSG_ERROR with the
   * errno's code. Requests made in the same turn of the loop leave in one sendto().
   */
  request(what: string, build: (seq: number) => Uint8Array): Promise<NlMessage[]> {
    if (this.closed) return Promise.reject(Object.assign(new Error('netlink socket is closed'), { code: 'ERR_NETLINK_CLOSED' }));
    const seq = this.seq;
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(seq, errnoError(osConstants.errno.ETIMEDOUT, what)), this.timeoutMs);
      timer.unref();
      const msg = build(seq);
      const dump = (new DataView(msg.buffer, msg.byteOffset).getUint16(6, true) & C.NLM_F_DUMP) === C.NLM_F_DUMP;
      this.pending.set(seq, { messages: [], dump, what, resolve, reject, timer });
      this.enqueue(msg);
    });
  }

  private enqueue(msg: Uint8Array): void {
    if (this.queued + msg.length > MAX_SEND) this.flush();
    this.queue.push(msg);
    this.queued += msg.length;
    if (this.queue.length === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    if (this.queue.length === 0 || this.closed) return;
    const out = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue, this.queued);
    const seqs = this.queue.map((m) => new DataView(m.buffer, m.byteOffset).getUint32(8, true));
    this.queue = [];
    this.queued = 0;
    try {
      this.native.nl_send(this.handle, out);
      this.counts.sends++;
    } catch (err) {
      const e = err as NetlinkError;
      for (const s of seqs) this.settle(s, Object.assign(new Error(`${this.pending.get(s)?.what}: ${e.message}`), { code: e.code, errno: e.errno }));
    }
  }

  private settle(seq: number, err: NetlinkError | null): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(p.messages);
  }

  private onBatch(count: number, err: NetlinkError | null): void {
    let off = 0;
    for (let i = 0; i < count; i++) {
      const len = this.lengths[i]!;
      this.counts.datagrams++;
      for (const m of parseMessages(this.buf.subarray(off, off + len))) this.onMessage(m);
      off += (len + 3) & ~3;
    }
    if (!err) return;
    if (err.code === 'ENOBUFS') {
      this.counts.overruns++;
      // A get's answer may be among what was dropped (a kernel reply that finds the buffer
      // full is dropped too): fail those so their owners ask again. A dump is never dropped
      // (the kernel waits for room) and goes on: it stays pending.
      for (const [seq, p] of [...this.pending]) if (!p.dump) this.settle(seq, errnoError(osConstants.errno.ENOBUFS, `${p.what}: overrun`));
      this.handlers.onOverrun();
      return;
    }
    this.handlers.onError(err);
  }

  private onMessage(m: NlMessage): void {
    const p = m.seq !== 0 && m.pid === this.portid ? this.pending.get(m.seq) : undefined;
    if (!p) {
      if (m.type !== C.NLMSG_DONE && m.type !== C.NLMSG_ERROR && m.type !== C.NLMSG_NOOP) {
        this.counts.events++;
        this.handlers.onEvent(m);
      }
      return;
    }
    this.counts.replies++;
    if (m.type === C.NLMSG_ERROR) {
      const errno = parseError(m.body);
      this.settle(m.seq, errno === 0 ? null : errnoError(errno, p.what));
    } else if (m.type === C.NLMSG_DONE) {
      this.settle(m.seq, null);
    } else {
      // The batch buffer is reused by the next wake-up: a reply kept past this call is copied.
      p.messages.push({ ...m, body: m.body.slice() });
      if ((m.flags & C.NLM_F_MULTI) === 0) this.settle(m.seq, null);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.nl_close(this.handle);
    for (const seq of [...this.pending.keys()]) this.settle(seq, Object.assign(new Error('netlink socket closed'), { code: 'ERR_NETLINK_CLOSED' }));
  }
}
