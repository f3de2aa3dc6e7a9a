// The words of the language and the values used when a file does not say. The help
// test checks that README.md and `help config` name every keyword listed here.
import type { CacheConfig } from './types';

/** Values used when the file does not say. Documented in README.md (section Configuration). */
export const DEFAULT_CACHE: Readonly<Omit<CacheConfig, 'explicit'>> = Object.freeze({
  timeout: 300,
  tablesize: 65536,
  refresh: Object.freeze({ count: 3, interval: 5 }),
  // count 0 = unset: `delay` rules answer at once (and a warning says so).
  delay: Object.freeze({ count: 0, window: 0 }),
});
/** Interface `timeout`: seconds an answer waiting for a redirect target's MAC is held. */
export const DEFAULT_HOLD_TIMEOUT = 1;

export const TOP_KEYWORDS = ['cache', 'interface', 'limit', 'workers'] as const;
/**
 * Most data-path threads `workers N` may ask for; `workers auto` (the default) is one per
 * online CPU, at most WORKERS_DEFAULT_CAP. Why 4: each worker costs every interface's rings
 * (9 MiB each by default) plus ~20 MiB for its thread (RSS 72 / 118 / 175 MB with 1 / 2 / 4
 * workers on one interface), and past a few workers the limit is the one CPU whose softirq
 * feeds the whole fanout group from a single RX queue, not the JS threads.
 */
export const WORKERS_MAX = 64;
export const WORKERS_DEFAULT_CAP = 4;
export const CACHE_KEYWORDS = ['timeout', 'tablesize', 'refresh', 'delay', 'state-file', 'probe-alive-size', 'probe-absent-size', 'probe-rate', 'probe-burst', 'end'] as const;
export const INTERFACE_KEYWORDS = [
  'timeout', 'rule', 'static', 'pin', 'mac', 'vlan', 'promisc', 'allmulti',
  'uplink', 'exception', 'router', 'override', 'dad', 'na-source', 'ring', 'limit', 'ha', 'table', 'vrf', 'end',
] as const;
export const RULE_FLAGS = ['delay', 'verbose', 'probes'] as const;
export const SIMPLE_ACTIONS = ['ignore', 'tell', 'self', 'route'] as const;
/** The words after `probe IFACE`. */
export const PROBE_OPTIONS = ['autowire', 'alive', 'absent'] as const;
/** `probe` defaults: seconds a found host is answered, seconds a silent one is not probed again. */
export const DEFAULT_PROBE_ALIVE = 120;
export const DEFAULT_PROBE_ABSENT = 30;
/** The words of `ring rx FRAMES tx FRAMES framesize BYTES pace PPS`. */
export const RING_KEYWORDS = ['rx', 'tx', 'framesize', 'pace'] as const;

export const ACTION_EXPECTED =
  "an action: ignore, tell, self, route, an IP address (redirect), a MAC address, or template MAC/BITS";

export function isOneOf<T extends string>(list: readonly T[], word: string): word is T {
  return (list as readonly string[]).includes(word);
}
