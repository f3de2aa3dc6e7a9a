// The configuration model: what src/config produces and src/policy, src/bpf and the
// daemon consume. CONTRACT: fields may be added; existing names and meanings stay.
//
// The language is parpd's (`cache` block, `interface NAME` blocks of `rule` lines,
// `#` comments, `end`), extended in the same line style for IPv6 and ND proxying.
import type { IpAddress, Ip6, Mac, Prefix } from '../net/addr';

/** Where a configuration item came from, for error messages and `verbose` logs. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export interface Config {
  /** Path of the file, as given. */
  file: string;
  cache: CacheConfig;
  interfaces: InterfaceConfig[];
  /** Top-level `limit` lines: per-source and per-interface rates for every interface; absent = defaults (src/policy/limiter.ts). */
  limits?: Partial<LimitSettings>;
  /** `workers N|auto`: data-path threads, one ring each per interface (PACKET_FANOUT); absent = 1; auto = one per core, capped. */
  workers?: number | 'auto';
}

/** A token bucket: `rate` tokens per second, at most `burst` saved; rate 0 = no limit. */
export interface RateLimit {
  rate: number;
  burst: number;
}

/** The `limit` settings (README, section Limits). */
export interface LimitSettings {
  /** Requests answered per requester MAC and per requester IP. */
  sourceRequests: RateLimit;
  /** Frames sent on a requester's behalf (resolutions) or to one MAC (refresh probes). */
  sourceSends: RateLimit;
  /** Requests answered on the interface, all requesters together. */
  interfaceRequests: RateLimit;
  /** Frames the interface sends besides answers: resolutions, retries, refresh probes. */
  interfaceSends: RateLimit;
  /** Takeover probes to one owner (guard.ts), apart from `sourceSends`. */
  sourceGuard: RateLimit;
  /** Takeover probes the interface sends, all claims together: a budget of their own, apart from `interfaceSends`. */
  interfaceGuard: RateLimit;
  /** Solicited-node joins plus leaves of learned groups per interface (src/daemon/mld.ts); unset = DEFAULT_MLD_BUDGET. */
  interfaceMld?: RateLimit;
  /** Cache entries one MAC may hold (top level only). */
  entriesPerMac: number;
}

export interface CacheConfig {
  /** Entry lifetime in seconds (parpd `timeout`). 0 disables learning. */
  timeout: number;
  /** Hard bound on entries (parpd `tablesize`); least recently used is evicted. */
  tablesize: number;
  /** `refresh R*I`: up to R unicast probes, I seconds apart, before an entry expires. */
  refresh: { count: number; interval: number };
  /** `delay N*T`: a `delay` rule answers the N-th request for the same pair within T seconds. */
  delay: { count: number; window: number };
  /** False when the file had no `cache` block (defaults apply, learning still on). */
  explicit: boolean;
  /**
   * `state-file PATH`: where the learned cache is kept across restarts (src/daemon/warm.ts);
   * null for `state-file none`; absent = the default (/var/lib/neighproxy/cache.state, or
   * $STATE_DIRECTORY, when that directory exists).
   */
  stateFile?: string | null;
  /**
   * Bounds of the `probe` rules' tables and their probe rate (src/policy/probe.ts), each
   * absent = the default: `probe-alive-size` 4096, `probe-absent-size` 16384 entries,
   * `probe-rate` 100 probes per second per probed interface, `probe-burst` 100.
   * Read when the daemon starts (a reload keeps the tables and the rate).
   */
  probe?: { aliveSize?: number; absentSize?: number; rate?: number; burst?: number };
}

export const enum ActionKind {
  /** No answer. */
  Ignore = 'ignore',
  /** Answer with the target's real MAC, as learned in the cache. */
  Tell = 'tell',
  /** Answer with the MAC of another address (router/server): hairpinning. */
  Redirect = 'redirect',
  /** Answer with a fixed MAC (ndproxy's downlink CPE MAC). */
  Mac = 'mac',
  /** Answer with the interface's own MAC (classic proxy ARP / proxy NDP). */
  Self = 'self',
  /** Our MAC, only when the kernel routes the target out of another interface. */
  Route = 'route',
  /** MAC derived from the target address (tinc TAP proposal). */
  Template = 'template',
  /** Our MAC, only once the target answered a probe on another interface (ndppd's `iface`). */
  Probe = 'probe',
}

/** A MAC whose low `addressBytes` bytes are taken from the low bytes of the target address. */
export interface MacTemplate {
  base: Mac;
  addressBytes: number;
  /** The template as written, for messages. */
  text: string;
}

export type RuleAction =
  | { kind: ActionKind.Ignore }
  | { kind: ActionKind.Tell }
  | { kind: ActionKind.Redirect; via: IpAddress }
  | { kind: ActionKind.Mac; mac: Mac }
  | { kind: ActionKind.Self }
  | { kind: ActionKind.Route }
  | { kind: ActionKind.Template; template: MacTemplate }
  | { kind: ActionKind.Probe; probe: ProbeAction };

/** `probe IFACE [autowire] [alive SECONDS] [absent SECONDS]`: ask for the target on IFACE first. */
export interface ProbeAction {
  /**
   * The interface the target is asked for on: an `interface` block of the same file, or, without
   * one, a link without link layer (tun, WireGuard, PPP): then the kernel's route decides.
   */
  iface: string;
  /** Set by the whole-file checks: IFACE has no `interface` block: alive = routed through IFACE. */
  viaRoute?: boolean;
  /** Install a host route (/32, /128) via IFACE while the target is known alive. */
  autowire: boolean;
  /** Seconds a target found alive is answered without asking again. */
  alive: number;
  /** Seconds a target that did not answer stays unanswered, without a new probe. */
  absent: number;
}

export interface Rule {
  pos: SourcePos;
  /** Prefix of the requester's address. Same family as `target`. */
  source: Prefix;
  /** Prefix of the requested address. */
  target: Prefix;
  /** Answer only the N-th request within T seconds (cache `delay N*T`). */
  delay: boolean;
  /** Log every decision this rule makes. */
  verbose: boolean;
  /** Also answer ARP probes / announcements and DAD solicitations (off by default, RFC 5227). */
  probes: boolean;
  action: RuleAction;
}

export interface StaticEntry {
  pos: SourcePos;
  address: IpAddress;
  mac: Mac;
  /** Send gratuitous ARP / unsolicited NA when added (at most 3, RFC 4861). */
  announce: boolean;
}

export const enum NaSource {
  /** The interface's link-local address (RFC 4861 default). */
  LinkLocal = 'link-local',
  /** The target address itself (for upstream routers that reject link-local sources). */
  Target = 'target',
}

export interface NdProxyConfig {
  /** Uplink router addresses: when non-empty, only solicitations from these are answered. `::` only if listed. */
  uplinks: Ip6[];
  /** Targets never proxied (the CPE's, our own, other hosts on the interconnect). */
  exceptions: Ip6[];
  /** R flag in our advertisements. */
  router: boolean;
  /** O flag (RFC 4861 7.2.8: 0 for proxied targets). */
  override: boolean;
  /** Answer DAD solicitations (source ::) to ff02::1 with S=0, defending proxied targets. */
  dadDefend: boolean;
  naSource: NaSource;
}

export interface InterfaceConfig {
  pos: SourcePos;
  name: string;
  /** parpd's interface-level `timeout` in seconds (see README: how long an answer waiting for a redirect target's MAC is held). */
  timeout: number;
  /** Only frames on these VLAN ids are handled, sorted; 0 stands for untagged frames (`vlan untagged`); null = untagged and every VLAN. */
  vlans: number[] | null;
  promisc: boolean;
  allmulti: boolean;
  /** MAC used by `self`/`route` answers and as our source MAC; null = the interface's own. */
  mac: Mac | null;
  rules: Rule[];
  statics: StaticEntry[];
  /**
   * `pin ADDRESS...`: addresses whose learned MAC the wire never changes while the entry
   * lives (src/policy/guard.ts); it changes only by expiry and re-learning. Absent = none.
   */
  pins?: IpAddress[];
  nd: NdProxyConfig;
  /** `ring ...`: AF_PACKET ring geometry; absent (or a field absent) = the engine's default. */
  ring?: RingConfig;
  /**
   * Filled in by the whole-file checks: the target prefixes other interfaces' `probe` rules
   * ask for on this one (the filter passes their replies). Absent = none.
   */
  probed?: Prefix[];
  /** The interface's `limit` lines, over the file's top-level ones. */
  limits?: Partial<LimitSettings>;
  /** `ha ...`: active/standby role (src/daemon/ha.ts); absent = always active. */
  ha?: HaConfig;
  /** `table N`: `route` rules look targets up in routing table N (through a policy rule, src/netlink/routes.ts). */
  routeTable?: number;
  /** `vrf NAME`: `route` rules look targets up in this VRF (as `ip route get vrf NAME`). */
  routeVrf?: string;
}

/** `ha track ADDRESS`, `ha role active|standby`, `ha refresh SECONDS` of an interface. */
export interface HaConfig {
  /** Active while this address is configured on any interface of the box (a VRRP virtual address). */
  track: IpAddress | null;
  /** The role given in the file; `ctl role` overrides it; with `track` the address decides. */
  role: 'active' | 'standby' | null;
  /** Seconds between re-announcements while active, after the takeover burst (0: none). */
  refresh: number;
}

/**
 * `ring [rx FRAMES] [tx FRAMES] [framesize BYTES] [pace PPS|off]` of an interface. Validated
 * against the engine's bounds (src/config/limits.ts): frames 1..2^20 per ring, frame size a
 * power of two 128..65536, RX plus TX at most 1 GiB. Frame counts are kept as written; the
 * kernel rounds them up to whole 4 KiB blocks.
 */
export interface RingConfig {
  rxFrames?: number;
  txFrames?: number;
  frameSize?: number;
  /** Frames/s from which small batches wait 1 ms (src/engine/pace.ts); 0 = off; absent = RING_PACE_DEFAULT_PPS. */
  pace?: number;
}
