// One control-socket client, bounded in every direction. Requests are taken from the
// socket one line at a time and answered one per event-loop turn, so the ring's poll
// callbacks run between any two of them; at most `maxQueued` lines are taken ahead, and
// nothing is taken or produced while the client leaves more than `softOutputBytes`
// unread: reading pauses, the kernel's socket buffers fill, and the client's own writes
// block. A `show cache` answer is written as one JSON line in slices (`sliceEntries`
// entries or `sliceMs`, whichever comes first) from a snapshot. A client idle (or not
// reading) for `idleMs` is closed.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { EntrySource } from './cache-dump';
import type { ControlLimits } from './limits';

const tooLong = (max: number): string =>
  `${JSON.stringify({ ok: false, error: { code: 'E_TOO_LONG', message: `request longer than ${max} bytes` } })}\n`;

/** How a connection answers a line: either one whole line, or a head followed by streamed entries. */
export interface Responder {
  /** The whole response line (without the newline). */
  respond(line: string): string;
  /** For a request answered by streaming: the JSON text before the entries (`...,"entries":[`) and the entries. */
  stream(line: string): { head: string; source: EntrySource } | null;
}

export class ControlConnection {
  /** Received, not yet split into lines (at most one read chunk beyond a pause). */
  private raw = '';
  private readonly queue: string[] = [];
  /** An answer is being produced (one turn scheduled, or a stream under way). */
  private busy = false;
  private stream: { source: EntrySource; next: number } | null = null;
  private ended = false;

  constructor(private readonly sock: Socket, private readonly responder: Responder, private readonly limits: ControlLimits) {
    sock.setEncoding('utf8');
    sock.setTimeout(limits.idleMs, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      this.raw += chunk;
      this.take();
    });
    sock.on('drain', () => this.take());
    sock.on('end', () => {
      this.ended = true;
      this.take();
    });
    sock.on('close', () => {
      this.queue.length = 0;
      this.stream = null;
      this.raw = '';
    });
  }

  /** Output the client has not read yet is over the soft bound: produce nothing until it drains. */
  private get blocked(): boolean {
    return this.sock.writableLength > this.limits.softOutputBytes;
  }

  /** Moves complete lines into the queue (up to maxQueued), pauses or resumes reading, starts the next answer. */
  private take(): void {
    if (this.sock.destroyed) return;
    while (this.queue.length < this.limits.maxQueued) {
      const nl = this.raw.indexOf('\n');
      if (nl < 0) break;
      const line = this.raw.slice(0, nl).trim();
      this.raw = this.raw.slice(nl + 1);
      if (line.length > this.limits.maxLineBytes) return this.refuseLong();
      if (line.length > 0) this.queue.push(line);
    }
    if (this.raw.length > this.limits.maxLineBytes && this.raw.indexOf('\n') < 0) return this.refuseLong();
    const full = this.queue.length >= this.limits.maxQueued || this.blocked;
    if (full) this.sock.pause();
    else if (!this.ended) this.sock.resume();
    if (!this.busy && !this.blocked) {
      if (this.stream) this.schedule(() => this.slice());
      else if (this.queue.length > 0) this.schedule(() => this.answer(this.queue.shift()!));
      else if (this.ended) this.sock.end();
    }
  }

  private refuseLong(): void {
    this.queue.length = 0;
    this.raw = '';
    this.stream = null;
    this.sock.end(tooLong(this.limits.maxLineBytes));
    this.sock.destroySoon();
  }

  /** One step per event-loop turn (setImmediate: after the poll phase, where rings are read). */
  private schedule(step: () => void): void {
    this.busy = true;
    setImmediate(() => {
      this.busy = false;
      if (this.sock.destroyed) return;
      step();
      if (this.sock.writableLength > this.limits.hardOutputBytes) {
        this.sock.destroy(); // one answer bigger than the hard bound, unread
        return;
      }
      this.take();
    });
  }

  private answer(line: string): void {
    const s = this.responder.stream(line);
    if (s === null) {
      this.sock.write(`${this.responder.respond(line)}\n`);
      return;
    }
    this.sock.write(s.head);
    this.stream = { source: s.source, next: 0 };
  }

  /** The next slice of the stream under way; the tail when done. */
  private slice(): void {
    const st = this.stream!;
    const max = Math.min(st.source.length, st.next + this.limits.sliceEntries);
    const until = performance.now() + this.limits.sliceMs;
    const parts: string[] = [];
    let end = st.next;
    while (end < max) {
      parts.push(JSON.stringify(st.source.entry(end++)));
      if ((end & 31) === 0 && performance.now() >= until) break;
    }
    let text = parts.join(',');
    if (st.next > 0 && parts.length > 0) text = `,${text}`;
    st.next = end;
    if (end >= st.source.length) {
      text += ']}\n';
      this.stream = null;
    }
    if (text.length > 0) this.sock.write(text);
  }
}
