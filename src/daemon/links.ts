// Interface presence. The daemon must pick up interfaces that are absent at start,
// deleted and recreated (new ifindex: the old socket is bound to a dead device) or
// renamed back, without a restart. The kernel tells: rtnetlink link events keep
// src/netlink KernelState current, and after each batch of them the watcher compares every
// watched name with what it last saw. No polling, no child process. (A down/up needs no
// action from the ring, which survives it; it is reported for the log.)
import type { KernelLink } from '../netlink/kernel';

export interface LinkState {
  ifindex: number;
  /** IFF_UP (administratively up). */
  up: boolean;
}

/**
 * Reads one interface's state; null when it does not exist. Throws (with .code) when it
 * cannot tell, e.g. EMFILE with the process out of descriptors: that is not "vanished".
 */
export type LinkReader = (name: string) => LinkState | null;

/** A LinkReader over the kernel's link table as rtnetlink keeps it. */
export function kernelLinkReader(kernel: { link(name: string): KernelLink | undefined }): LinkReader {
  return (name) => {
    const l = kernel.link(name);
    return l ? { ifindex: l.index, up: l.up } : null;
  };
}

export type LinkEvent =
  | { type: 'appeared'; name: string; state: LinkState }
  | { type: 'recreated'; name: string; state: LinkState; oldIfindex: number }
  | { type: 'vanished'; name: string; oldIfindex: number }
  | { type: 'up'; name: string; state: LinkState }
  | { type: 'down'; name: string; state: LinkState };

/**
 * Compares each watched name's state with the last one seen and reports the differences.
 * `poll()` is synchronous and cheap (a map read per name): the daemon calls it after each
 * batch of link events, tests drive it with a fake reader.
 */
export class LinkWatcher {
  private readonly known = new Map<string, LinkState | null>();

  constructor(
    private readonly read: LinkReader,
    private readonly onEvent: (e: LinkEvent) => void,
    /** A read that could not tell (EMFILE...): the last known state stays, nothing is reported. */
    private readonly onReadError: (name: string, err: Error & { code?: string }) => void = () => {},
  ) {}

  /** The reader's answer, or `undefined` when it could not tell. */
  private tryRead(name: string): LinkState | null | undefined {
    try {
      return this.read(name);
    } catch (err) {
      this.onReadError(name, err as Error);
      return undefined;
    }
  }

  /** Sets the names to watch; `initial` is what the caller already knows (e.g. from opening rings). */
  watch(names: Iterable<string>, initial: Map<string, LinkState | null> = new Map()): void {
    const want = new Set(names);
    for (const n of [...this.known.keys()]) if (!want.has(n)) this.known.delete(n);
    for (const n of want) {
      if (initial.has(n)) this.known.set(n, initial.get(n)!);
      else if (!this.known.has(n)) this.known.set(n, this.tryRead(n) ?? null);
    }
  }

  /** Forgets what is known about `name` and records `state` (after the daemon reopened it). */
  set(name: string, state: LinkState | null): void {
    if (this.known.has(name)) this.known.set(name, state);
  }

  poll(): void {
    for (const [name, was] of this.known) {
      const now = this.tryRead(name);
      if (now === undefined) continue;
      this.known.set(name, now);
      if (!was && !now) continue;
      if (!was && now) this.onEvent({ type: 'appeared', name, state: now });
      else if (was && !now) this.onEvent({ type: 'vanished', name, oldIfindex: was.ifindex });
      else if (was && now && was.ifindex !== now.ifindex) this.onEvent({ type: 'recreated', name, state: now, oldIfindex: was.ifindex });
      else if (was && now && was.up !== now.up) this.onEvent({ type: now.up ? 'up' : 'down', name, state: now });
    }
  }
}
