// What the policy needs from its surroundings (environment), and where it sends what it
// wants transmitted outside the answer to the frame in hand (output).
import type { Family, Ip4, Ip6, Mac } from '../net/addr';

/**
 * Facts about the host, provided by the daemon (netlink) or by tests.
 * Called on the hot path: implementations must answer from memory without allocating.
 */
export interface PolicyEnvironment {
  /** The interface's own MAC (used when config `mac` is null). */
  interfaceMac(ifIndex: number): Mac;
  /** True when `ip` is one of the interface's own IPv4 addresses (the kernel answers those). */
  isOwnIp4(ifIndex: number, ip: Ip4): boolean;
  /** True when `ip` is one of the interface's own IPv6 addresses. */
  isOwnIp6(ifIndex: number, ip: Ip6): boolean;
  /** Sender address for our ARP requests on the interface; 0 when it has none (probe form). */
  sourceIp4(ifIndex: number): Ip4;
  /** Writes the interface's link-local address into `out`; false when it has none (then `::`). */
  sourceIp6(ifIndex: number, out: Ip6): boolean;
  /**
   * Name of the interface the kernel routes `addr` out of, or undefined when unroutable (or
   * not known yet: the daemon asks RTM_GETROUTE on a miss and answers from then on).
   * `ifIndex` is the receiving interface: its VRF, if any, is where the lookup happens.
   */
  routeInterface(family: Family, addr: Ip4 | Ip6, ifIndex?: number): string | undefined;
  /**
   * True when the kernel's neighbour table holds `addr` on interface `ifIndex` in state
   * REACHABLE (`probe` rules count it as alive). Optional: without it only probes decide.
   */
  neighbourReachable?(family: Family, addr: Ip4 | Ip6, ifIndex: number): boolean;
}

/**
 * Frames the policy wants sent besides the answer to the frame in hand. The daemon
 * implements it with the wire builders into the TX ring; tests record the calls.
 * Every frame leaves with the interface's MAC (config `mac` or its own) as Ethernet source,
 * on `vlan` (-1 untagged). Ip6 arguments are scratch arrays: copy them if you keep them.
 */
export interface PolicyOutput {
  /**
   * ARP request who-has `targetIp` tell `senderIp` (sender hardware = `senderMac`).
   * `dstMac` is BROADCAST_MAC for resolutions and the cached MAC for refresh probes.
   */
  arpRequest(ifIndex: number, vlan: number, senderMac: Mac, senderIp: Ip4, targetIp: Ip4, dstMac: Mac): void;
  /** ARP reply `answerIp` is-at `answerMac`, to `dstMac`/`dstIp` (deferred redirect answers). */
  arpReply(ifIndex: number, vlan: number, dstMac: Mac, dstIp: Ip4, answerMac: Mac, answerIp: Ip4): void;
  /** Gratuitous ARP (request, sender = target = `ip`, sender hardware `mac`), broadcast. */
  arpAnnounce(ifIndex: number, vlan: number, ip: Ip4, mac: Mac): void;
  /**
   * Neighbor Solicitation for `target` from `srcIp` (our link-local, or :: when none),
   * with our MAC as source link-layer option. `dstMac` = -1: to the solicited-node group
   * (resolution); otherwise unicast to `target` at `dstMac` (refresh, RFC 4861 NUD).
   */
  neighborSolicitation(ifIndex: number, vlan: number, srcIp: Ip6, target: Ip6, dstMac: Mac | -1): void;
  /** Solicited NA for `target` is-at `answerMac` to `dstMac`/`dstIp`, flags per NA_FLAG_*. */
  neighborAdvertisement(
    ifIndex: number,
    vlan: number,
    dstMac: Mac,
    dstIp: Ip6,
    target: Ip6,
    answerMac: Mac,
    flags: number,
  ): void;
  /** Unsolicited NA (S=0) for `target` is-at `mac` to ff02::1 (announcement of a static entry). */
  unsolicitedNa(ifIndex: number, vlan: number, target: Ip6, mac: Mac, flags: number): void;
}

/**
 * The subset of a pino logger the decision log uses: one structured line per decision.
 * Levels are read through `isLevelEnabled` when the policy is built and on reload; a logger
 * without it gets the `verbose` rules' lines at info and nothing at debug.
 */
export interface PolicyLogger {
  info(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
  isLevelEnabled?(level: string): boolean;
}

export interface PolicyOptions {
  /** Bound on the `delay` table (source, target) pairs; default 65536. */
  delayTableSize?: number;
  /** Bound on answers waiting for a redirect router's MAC; default 4096. */
  pendingSize?: number;
  /** Bound on static entries; default 65536. */
  staticSize?: number;
  /** Broadcast resolutions sent for an unknown redirect router before giving up; default 3. */
  resolveAttempts?: number;
  /** Seconds between those resolutions; default 1. */
  resolveInterval?: number;
  /** Announcements sent per static entry added with `announce` (RFC 4861: at most 3); default 3. */
  announceCount?: number;
  /** Takeover challenges (probes to old owners) in flight at once; default 1024 (guard.ts). */
  guardSlots?: number;
  /** Sources (MACs and IPs) whose token buckets are kept; default 65536 (limiter.ts). */
  limiterSize?: number;
  /** Minimum seconds between two announcements of one entry; default 1. */
  announceInterval?: number;
  /** `probe` rules: targets kept alive / absent (default 4096 / 16384), probes per second per interface and burst (default 100 / 100). */
  probeAliveSize?: number;
  probeAbsentSize?: number;
  probeRate?: number;
  probeBurst?: number;
}
