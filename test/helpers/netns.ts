// Network-namespace labs for tests that cross a wire.
//
// Every lab gets names unique to this process, uses only documentation addresses,
// and is torn down by `destroy()` (call it in `after`/`t.after`). Namespaces are
// deleted even when a test fails. Names carry the process id, so a lab left by a
// killed run never collides with a new one (`ip netns | grep ^np` shows strays).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Skip reason for tests that need root and namespaces, or undefined when they can run. */
export function needsNetns(): string | undefined {
  if (!isRoot()) return 'needs root (CAP_NET_ADMIN, CAP_NET_RAW) for network namespaces';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (ip)';
  }
  return undefined;
}

export function sh(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    if (opts.allowFail) return '';
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

let labCounter = 0;

export class Lab {
  readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(tag: string) {
    // Namespace and interface names are short: IFNAMSIZ is 16 including the NUL.
    this.prefix = `np${process.pid.toString(36)}${(labCounter++).toString(36)}${tag.slice(0, 3)}`;
  }

  /** Creates a namespace named `${prefix}-${name}` with loopback up; returns its name. */
  netns(name: string): string {
    const ns = `${this.prefix}-${name}`;
    sh('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    this.exec(ns, 'ip', ['link', 'set', 'lo', 'up']);
    // Keep tests quiet and fast: no DAD delay, no router solicitations.
    this.exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    this.exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.default.router_solicitations=0']);
    return ns;
  }

  /** A veth pair with one end in each namespace, both up. Interface names are given in full. */
  veth(nsA: string, ifA: string, nsB: string, ifB: string, opts: { macA?: string; macB?: string } = {}): void {
    sh('ip', ['link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    if (opts.macA) this.exec(nsA, 'ip', ['link', 'set', ifA, 'address', opts.macA]);
    if (opts.macB) this.exec(nsB, 'ip', ['link', 'set', ifB, 'address', opts.macB]);
    this.exec(nsA, 'ip', ['link', 'set', ifA, 'up']);
    this.exec(nsB, 'ip', ['link', 'set', ifB, 'up']);
  }

  exec(ns: string, cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  /** Starts a long-running process in a namespace; killed by destroy(). */
  spawn(ns: string, cmd: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
  }

  /** Path to use with setns(2) (`/run/netns/NAME`). */
  nsPath(ns: string): string {
    return `/run/netns/${ns}`;
  }

  /** MAC address of an interface inside a namespace. */
  mac(ns: string, ifname: string): string {
    const out = this.exec(ns, 'cat', [`/sys/class/net/${ifname}/address`]);
    return out.trim();
  }

  /** `ip neigh` entries in a namespace: address -> lladdr (only entries that have one). */
  neighbours(ns: string, ifname: string): Map<string, string> {
    const out = this.exec(ns, 'ip', ['-j', 'neigh', 'show', 'dev', ifname]);
    const map = new Map<string, string>();
    for (const e of JSON.parse(out || '[]') as Array<{ dst: string; lladdr?: string }>) {
      if (e.lladdr) map.set(e.dst, e.lladdr);
    }
    return map;
  }

  /** An interface's kernel counters (`ip -s link`): whether frames that no ring saw crossed it, or were dropped. */
  linkStats(ns: string, ifname: string): { rxPackets: number; rxDropped: number; txPackets: number; txDropped: number } {
    type Dir = { packets: number; dropped: number };
    const [e] = JSON.parse(this.exec(ns, 'ip', ['-s', '-j', 'link', 'show', ifname])) as Array<{ stats64?: { rx: Dir; tx: Dir } }>;
    const st = e?.stats64;
    return { rxPackets: st?.rx.packets ?? 0, rxDropped: st?.rx.dropped ?? 0, txPackets: st?.tx.packets ?? 0, txDropped: st?.tx.dropped ?? 0 };
  }

  destroy(): void {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const ns of this.namespaces.reverse()) sh('ip', ['netns', 'del', ns], { allowFail: true });
    this.namespaces.length = 0;
  }
}

/** Polls `check` every `stepMs` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * Polls `count` until it reaches `want`, or until it has not grown for `stallMs`: for answers
 * that a daemon starved of the CPU sends late (from its ring) but sends. Bounded by progress,
 * not by the wall clock: a lost one never comes, so the wait ends `stallMs` after the last.
 * Returns the last count.
 */
export async function waitForCount(count: () => number, want: number, stallMs = 3000, stepMs = 5): Promise<number> {
  let seen = count();
  let since = Date.now();
  while (seen < want) {
    await new Promise((r) => setTimeout(r, stepMs));
    const now = count();
    if (now !== seen) {
      seen = now;
      since = Date.now();
    } else if (Date.now() - since > stallMs) {
      break;
    }
  }
  return seen;
}
