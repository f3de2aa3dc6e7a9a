// The service manager's notification protocol (sd_notify(3)): newline-separated
// VAR=VALUE datagrams to the unix socket named by $NOTIFY_SOCKET. Without the variable
// (not under systemd, or Type= is not notify) every call does nothing.
import { binding } from '../engine/binding';

/** Sends one datagram; the addon's notify(socketPath, message) (native/notify.cc). */
export type DatagramSender = (socketPath: string, message: string) => void;

const nativeSender: DatagramSender = (path, message) => {
  binding().notify(path, message);
};

/** CLOCK_MONOTONIC in microseconds, what RELOADING=1 pairs with (MONOTONIC_USEC=). */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

export class SdNotifier {
  /** The first send error (the socket vanished, ...); later ones are not reported again. */
  lastError: Error | null = null;

  constructor(
    readonly socketPath: string | null = process.env.NOTIFY_SOCKET ?? null,
    private readonly send: DatagramSender = nativeSender,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  get enabled(): boolean {
    return this.socketPath !== null && this.socketPath !== '';
  }

  /** Sends `fields` as one message; never throws (a daemon must not die of its manager's socket). */
  notify(fields: Record<string, string | number | bigint>): boolean {
    if (!this.enabled) return false;
    // STATUS= is one line: a newline would start a new (bogus) assignment.
    const msg = Object.entries(fields).map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`).join('\n');
    try {
      this.send(this.socketPath!, msg);
      return true;
    } catch (err) {
      if (this.lastError === null) this.onError(err as Error);
      this.lastError = err as Error;
      return false;
    }
  }

  ready(status: string): boolean {
    return this.notify({ READY: 1, STATUS: status });
  }

  /** Before a reload: the manager shows "reloading" until the next ready(). */
  reloading(status: string): boolean {
    return this.notify({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec(), STATUS: status });
  }

  stopping(status: string): boolean {
    return this.notify({ STOPPING: 1, STATUS: status });
  }

  status(text: string): boolean {
    return this.notify({ STATUS: text });
  }
}
