// PolicyEnvironment for a real host: the interfaces' own addresses (so the kernel keeps
// answering for them) and the kernel's route for a target (for `route` rules), both from
// rtnetlink (src/netlink/kernel.ts): addresses follow address events, routes are asked
// per target with RTM_GETROUTE and cached. Hot-path lookups read memory and allocate nothing
// except on a route cache miss.
import { Family, isLinkLocal6, type Ip4, type Ip6, type Mac } from '../net/addr';
import type { KernelAddrs, KernelLink } from '../netlink/kernel';
import type { PolicyEnvironment } from '../policy/types';
import type { IfaceSlot } from '../pipeline/pipeline';

/** What the environment reads of the kernel (src/netlink KernelState; tests pass a fake). */
export interface KernelSource {
  link(name: string): KernelLink | undefined;
  readonly addrs: ReadonlyMap<number, KernelAddrs>;
  /** The ifindex of the VRF device `name` is enslaved to, 0 when none. */
  vrfOf(name: string): number;
  /** Sync: the cached answer, or undefined (a lookup starts on a miss). */
  routeInterface(family: Family, addr: Ip4 | Ip6, vrf: number): string | undefined;
  /** True when the kernel has `addr` REACHABLE on the interface named `name` (optional: fakes may omit it). */
  neighbourReachable?(family: Family, addr: Ip4 | Ip6, name: string): boolean;
  /** The lookup scope of `table N` (negative), NaN while its rules are not in. */
  tableScope?(table: number): number;
}

/** An interface's `vrf NAME` / `table N` (config), index = slot index. */
export interface RouteSetting {
  vrf?: string;
  table?: number;
}

interface Addrs {
  v4: Ip4[];
  v6: Ip6[];
  linkLocal: Ip6 | null;
}

const NO_ADDRS: Addrs = { v4: [], v6: [], linkLocal: null };

export class HostEnvironment implements PolicyEnvironment {
  slots: IfaceSlot[] = [];
  private addrs: Addrs[] = [];
  /** Per slot: the VRF device route lookups go through (0: the main tables and policy rules). */
  private vrfs: number[] = [];
  /** Per slot: the configured `vrf`/`table` of `route` rules (set by the daemon before each refresh). */
  routeSettings: RouteSetting[] = [];

  /** Without a kernel source (tests with fake links) nothing is owned and nothing routes. */
  constructor(readonly kernel: KernelSource | null = null) {}

  /** Re-reads every configured interface's addresses and VRF from the kernel state (after its events). */
  refreshAddresses(): void {
    const k = this.kernel;
    this.vrfs = this.slots.map((slot, i) => {
      const r = this.routeSettings[i];
      if (r?.vrf !== undefined) {
        const l = k?.link(r.vrf);
        return l && l.kind === 'vrf' ? l.index : NaN; // NaN: no such VRF, nothing routes
      }
      if (r?.table !== undefined) return k?.tableScope?.(r.table) ?? NaN;
      return k?.vrfOf(slot.name) ?? 0;
    });
    this.addrs = this.slots.map((slot) => {
      const link = k?.link(slot.name);
      const list = link ? k!.addrs.get(link.index) : undefined;
      const a: Addrs = list ? { v4: [...list.v4], v6: [...list.v6], linkLocal: null } : NO_ADDRS;
      for (const v of a.v6) if (a.linkLocal === null && isLinkLocal6(v)) a.linkLocal = v;
      if (a.linkLocal) slot.linkLocal.set(a.linkLocal);
      else slot.linkLocal.fill(0);
      return a;
    });
  }

  interfaceMac(ifIndex: number): Mac {
    // Not `?.mac ?? 0`: the `??` test needs the MAC as a heap number (16 B per request).
    const slot = this.slots[ifIndex];
    return slot === undefined ? 0 : slot.mac;
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
    for (let i = 0; i < a.v6.length; i++) {
      const v = a.v6[i]!;
      if (v[0] === ip[0] && v[1] === ip[1] && v[2] === ip[2] && v[3] === ip[3]) return true;
    }
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

  /**
   * As `ip route get ADDR [vrf V]`: ECMP and policy rules included, through the VRF of the
   * receiving interface `ifIndex` when it has one. A target not asked about before answers
   * undefined (the frame goes unanswered, reason no_route) and the answer is there for the
   * requester's retransmission, typically 1 s later; see src/netlink/routes.ts.
   */
  routeInterface(family: Family, addr: Ip4 | Ip6, ifIndex = -1): string | undefined {
    const scope = this.vrfs[ifIndex] ?? 0;
    return Number.isNaN(scope) ? undefined : this.kernel?.routeInterface(family, addr, scope);
  }

  /** `probe` rules: the kernel's neighbour entry for `addr` on the interface is REACHABLE. */
  neighbourReachable(family: Family, addr: Ip4 | Ip6, ifIndex: number): boolean {
    const name = this.slots[ifIndex]?.name;
    return name !== undefined && this.kernel?.neighbourReachable?.(family, addr, name) === true;
  }
}
