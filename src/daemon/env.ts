// PolicyEnvironment for a real host: the interfaces' own addresses (so the kernel keeps
// answering for them) and the kernel's routes (for `route` rules). Both are read off the
// hot path and kept in memory: addresses from os.networkInterfaces() on every link poll,
// routes from `ip -j route` every few seconds, only when a `route` rule needs them.
// Lookups allocate nothing.
import { execFile, execFileSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import {
  Family, inPrefix6, ip6Equal, isLinkLocal6, mask4, parseIp4, parseIp6, type Ip4, type Ip6, type Mac,
} from '../net/addr';
import type { PolicyEnvironment } from '../policy/types';
import type { IfaceSlot } from './pipeline';

interface Route4 { net: number; bits: number; dev: string }
interface Route6 { net: Ip6; bits: number; dev: string }

interface Addrs {
  v4: Ip4[];
  v6: Ip6[];
  linkLocal: Ip6 | null;
}

const NO_ADDRS: Addrs = { v4: [], v6: [], linkLocal: null };

/** Parses `ip -j route` output (main table) into prefixes with their device, longest first. */
export function parseRoutes(json: string, family: Family): (Route4 | Route6)[] {
  const out: (Route4 | Route6)[] = [];
  for (const r of JSON.parse(json || '[]') as { dst: string; dev?: string; type?: string }[]) {
    if (!r.dev || (r.type !== undefined && r.type !== 'unicast')) continue;
    const [addr, len] = r.dst === 'default' ? [family === Family.V4 ? '0.0.0.0' : '::', '0'] : r.dst.split('/');
    if (family === Family.V4) {
      const net = parseIp4(addr!);
      if (net === undefined) continue;
      out.push({ net, bits: len === undefined ? 32 : Number(len), dev: r.dev });
    } else {
      const net = parseIp6(addr!);
      if (net === undefined) continue;
      out.push({ net, bits: len === undefined ? 128 : Number(len), dev: r.dev });
    }
  }
  return out.sort((a, b) => b.bits - a.bits);
}

export class HostEnvironment implements PolicyEnvironment {
  slots: IfaceSlot[] = [];
  private addrs: Addrs[] = [];
  private routes4: Route4[] = [];
  private routes6: Route6[] = [];
  private routeTimer: NodeJS.Timeout | null = null;
  /**
   * Whether any rule is a `route` rule. Reading routes spawns `ip`, and libuv's spawn
   * blocks the event loop until the child has exec'd: 4 ms on an idle host, 38-95 ms when
   * the CPUs are busy (the child waits for one), while requests queue in the ring. So no
   * child is spawned unless a rule needs the routes (issue 11).
   */
  private routesWanted = true;

  constructor(private readonly ipCommand = 'ip') {}

  /** Says whether routes are needed (from the configuration); reads them at once when they become needed. */
  wantRoutes(on: boolean): void {
    const was = this.routesWanted;
    this.routesWanted = on;
    if (on && !was) this.refreshRoutes();
    if (!on) {
      this.routes4 = [];
      this.routes6 = [];
    }
  }

  /** Re-reads every configured interface's addresses (cheap: no child process). */
  refreshAddresses(): void {
    const all = networkInterfaces();
    this.addrs = this.slots.map((slot) => {
      const list = all[slot.name];
      if (!list) return NO_ADDRS;
      const a: Addrs = { v4: [], v6: [], linkLocal: null };
      for (const e of list) {
        if (e.family === 'IPv4') {
          const v = parseIp4(e.address);
          if (v !== undefined) a.v4.push(v);
        } else {
          const v = parseIp6(e.address.split('%')[0]!);
          if (v === undefined) continue;
          a.v6.push(v);
          if (isLinkLocal6(v) && a.linkLocal === null) a.linkLocal = v;
        }
      }
      if (a.linkLocal) slot.linkLocal.set(a.linkLocal);
      else slot.linkLocal.fill(0);
      return a;
    });
  }

  /** Reads the main routing tables synchronously (start-up) . */
  refreshRoutesSync(): void {
    if (!this.routesWanted) return;
    try {
      this.routes4 = parseRoutes(execFileSync(this.ipCommand, ['-j', '-4', 'route', 'show'], { encoding: 'utf8' }), Family.V4) as Route4[];
      this.routes6 = parseRoutes(execFileSync(this.ipCommand, ['-j', '-6', 'route', 'show'], { encoding: 'utf8' }), Family.V6) as Route6[];
    } catch {
      // Without iproute2 `route` rules see no routes and stay silent (logged by the daemon at start).
    }
  }

  refreshRoutes(): void {
    if (!this.routesWanted) return;
    execFile(this.ipCommand, ['-j', '-4', 'route', 'show'], { encoding: 'utf8' }, (err, out) => {
      if (!err) this.routes4 = parseRoutes(out, Family.V4) as Route4[];
    });
    execFile(this.ipCommand, ['-j', '-6', 'route', 'show'], { encoding: 'utf8' }, (err, out) => {
      if (!err) this.routes6 = parseRoutes(out, Family.V6) as Route6[];
    });
  }

  startRouteRefresh(periodMs: number): void {
    this.stop();
    this.routeTimer = setInterval(() => this.refreshRoutes(), periodMs);
    this.routeTimer.unref();
  }

  stop(): void {
    if (this.routeTimer) clearInterval(this.routeTimer);
    this.routeTimer = null;
  }

  interfaceMac(ifIndex: number): Mac {
    return this.slots[ifIndex]?.mac ?? 0;
  }

  isOwnIp4(ifIndex: number, ip: Ip4): boolean {
    const a = this.addrs[ifIndex];
    if (!a) return false;
    for (let i = 0; i < a.v4.length; i++) if (a.v4[i] === ip) return true;
    return false;
  }

  isOwnIp6(ifIndex: number, ip: Ip6): boolean {
    const a = this.addrs[ifIndex];
    if (!a) return false;
    for (let i = 0; i < a.v6.length; i++) if (ip6Equal(a.v6[i]!, ip)) return true;
    return false;
  }

  sourceIp4(ifIndex: number): Ip4 {
    return this.addrs[ifIndex]?.v4[0] ?? 0;
  }

  sourceIp6(ifIndex: number, out: Ip6): boolean {
    const ll = this.addrs[ifIndex]?.linkLocal;
    if (!ll) {
      out.fill(0);
      return false;
    }
    out.set(ll);
    return true;
  }

  routeInterface(family: Family, addr: Ip4 | Ip6): string | undefined {
    if (family === Family.V4) {
      const a = addr as Ip4;
      for (const r of this.routes4) if (r.bits === 0 || ((a & mask4(r.bits)) >>> 0) === r.net) return r.dev;
      return undefined;
    }
    for (const r of this.routes6) if (inPrefix6(addr as Ip6, r.net, r.bits)) return r.dev;
    return undefined;
  }
}
