// Interface presence. The daemon must pick up interfaces that are absent at start,
// deleted and recreated (new ifindex: the old socket is bound to a dead device) or
// renamed back, without a restart. We poll /sys/class/net once a second: two small
// reads per configured interface, no netlink parsing, and it works the same inside
// `ip netns exec` (which remounts /sys for the namespace). `ip -o monitor link`, when
// available, adds immediacy: a deletion and recreation is handled without waiting for
// the next poll. (A down/up needs no action: the engine's ring survives it.)
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

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

/** Errors of a sysfs read that mean the interface is not there. */
const ABSENT = new Set(['ENOENT', 'ENODEV', 'ENXIO', 'ENOTDIR']);

const IFF_UP = 0x1;

export const sysfsLinkReader: LinkReader = (name) => {
  try {
    const ifindex = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
    const flags = Number(readFileSync(`/sys/class/net/${name}/flags`, 'utf8'));
    if (!Number.isInteger(ifindex)) return null;
    return { ifindex, up: (flags & IFF_UP) !== 0 };
  } catch (err) {
    if (ABSENT.has((err as { code?: string }).code ?? '')) return null;
    throw err;
  }
};

export type LinkEvent =
  | { type: 'appeared'; name: string; state: LinkState }
  | { type: 'recreated'; name: string; state: LinkState; oldIfindex: number }
  | { type: 'vanished'; name: string; oldIfindex: number }
  | { type: 'up'; name: string; state: LinkState }
  | { type: 'down'; name: string; state: LinkState };

/**
 * Compares each watched name's state with the last one seen and reports the differences.
 * `poll()` is synchronous so tests drive it with a fake reader; `start()` runs it on an
 * unref'd timer.
 */
export class LinkWatcher {
  private readonly known = new Map<string, LinkState | null>();
  private timer: NodeJS.Timeout | null = null;

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

  start(periodMs: number): void {
    this.stop();
    this.timer = setInterval(() => this.poll(), periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** One line of `ip -o monitor link` about a named interface. */
export interface LinkNotice {
  name: string;
  deleted: boolean;
  /** IFF_UP in the line's flags. */
  up: boolean;
}

/** Parses `ip -o monitor link` lines: `[Deleted ]IDX: NAME[@PEER]: <FLAGS> ...`; null for anything else. */
export function parseMonitorLine(line: string): LinkNotice | null {
  const m = /^(Deleted )?\d+: ([^:@\s]+)(?:@[^:\s]*)?: <([^>]*)>/.exec(line);
  if (!m) return null;
  return { name: m[2]!, deleted: m[1] !== undefined, up: m[3]!.split(',').includes('UP') };
}

/**
 * Follows `ip -o monitor link` (rtnetlink link events, printed by iproute2) so that link
 * changes are handled at once rather than at the next poll. Optional: when `ip` is missing or
 * dies, polling alone carries on. The child does not keep the process alive.
 */
export class LinkMonitor {
  private child: ChildProcess | null = null;

  constructor(private readonly onNotice: (n: LinkNotice) => void, private readonly ipCommand = 'ip') {}

  start(): void {
    if (this.child) return;
    let child: ChildProcess;
    try {
      child = spawn(this.ipCommand, ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return;
    }
    this.child = child;
    child.on('error', () => { this.child = null; });
    child.on('exit', () => { this.child = null; });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const n = parseMonitorLine(line);
      if (n) this.onNotice(n);
    });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
  }

  stop(): void {
    this.child?.kill();
    this.child = null;
  }
}
