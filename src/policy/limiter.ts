// Per-source limits (issue 12): token buckets per requester (its MAC and its IP address)
// and per interface, one pair for the requests we answer and one for the frames we send
// on a requester's behalf (resolutions) or towards a MAC (refresh probes). Takeover
// probes (guard.ts) have a pair of their own, per interface and per probed owner, so a
// flood of claims cannot spend the budget of resolutions and refresh probes, nor they its.
// The per-requester buckets live in a bounded 4-way set-associative table in typed arrays
// (as delay.ts): a new source takes a free way or the least recently used one of its
// set, with full buckets (a forgotten source starts again with its burst: the table
// bounds memory, the buckets bound rates). Nothing here allocates: the time comes in
// through `now`, set once per frame, and the MAC is read from the frame.
import { pow2AtLeast } from '../net/pow2';
import { isUnspecified6 } from '../net/addr';
import type { FrameView } from '../wire/view';
import type { Config, InterfaceConfig, LimitSettings, RateLimit } from '../config/types';

const WAYS = 4;
/**
 * One way = one 64-byte stride, so a lookup reads one cache line per way: Uint32 words
 * 0..4 the key, word 5 used (1); Float64 3 last use, 4/5 requests tokens and time, 6/7
 * sends tokens and time.
 */
const STRIDE_F = 8;
const STRIDE_W = 16;
const W_USED = 5;
const F_LAST = 3;
const F_BUCKETS = 4;
const TWO32 = 0x100000000;
/** Key kinds (top bits of the key's first word; the interface slot in the others). */
const K_MAC = 0x40000000;
const K_IP4 = 0x80000000;
const K_IP6 = 0xc0000000;
/** A probed owner's takeover-probe bucket (kind 0: the way's used word tells it from a free way). */
const K_GUARD = 0;
/**
 * Per-slot parameter words (rate, burst each): source requests, source sends, interface
 * requests, interface sends, source guard, interface guard.
 */
const P_WORDS = 12;
const P_SOURCE_REQUESTS = 0;
const P_SOURCE_SENDS = 2;
/** An interface's pair sits P_IF_REQUESTS after the source's pair of the same kind (allow()). */
const P_IF_REQUESTS = 4;
const P_IF_SENDS = 6;
const P_SOURCE_GUARD = 8;
const P_IF_GUARD = 10;
/** Per interface slot: tokens and time of its requests, sends and guard buckets. */
const IF_WORDS = 6;
const IF_SENDS = 2;
const IF_GUARD = 4;

/** Why a request went unanswered or a frame was not sent (counter index, LIMIT_REASON_NAMES). */
export const enum LimitReason {
  SourceMac = 0,
  SourceIp = 1,
  Interface = 2,
  /** A probe's destination MAC had no tokens left (reflection towards one host). */
  Destination = 3,
  /** A takeover probe: the interface's guard budget was spent (`limit interface guard`). */
  GuardInterface = 4,
  /** A takeover probe: the probed owner's guard bucket was empty (`limit source guard`). */
  GuardDestination = 5,
}
export const LIMIT_REASON_NAMES: readonly string[] = ['source_mac', 'source_ip', 'interface', 'destination', 'guard_interface', 'guard_destination'];
/** Reasons a request can be refused for (the first three); frames not sent have them all. */
export const REQUEST_LIMIT_REASONS = 3;

/**
 * Defaults: never limit a normal host (numbers and reasons in README, section Limits).
 * requests per source 25000/s burst 65536: a router resolving every entry of a full default
 * cache (65 536) once per Linux's shortest reachable time (15 s) asks 4 400/s, and after
 * a restart asks for all of them at once; 25 000/s is the rate the daemon is sized to
 * answer without loss (issue 11), so one load generator is never limited either. sends per source 10/s burst 100: a host causes a
 * resolution only when its redirect router is not cached (once per router and VLAN per
 * cache timeout), and a cached MAC gets refresh probes (at most refresh count per timeout)
 * and takeover probes (one per claim). Interface requests: no limit (a cap for all hosts
 * of an interface limits the legitimate ones as much as a flood). Interface sends 1000/s
 * burst 1000: the refresh probes of a full default cache are 65 536 x 3 / 300 s = 655/s
 * at most. Takeover probes go only when a live entry is claimed by another MAC (a host
 * moved or replaced: a few a minute; a hypervisor evacuated: hundreds at once). Interface
 * guard 256/s burst 256: a claim flood on one interface then holds at most 512 of the
 * guard's 1024 challenges (burst plus a window's rate), the rest stays for the others;
 * source guard 10/s burst 100: an owner whose every address (at most `limit entries`, 64)
 * is claimed at once is probed for each.
 */
export const DEFAULT_LIMITS: Readonly<LimitSettings> = Object.freeze({
  sourceRequests: Object.freeze({ rate: 25000, burst: 65536 }),
  sourceSends: Object.freeze({ rate: 10, burst: 100 }),
  interfaceRequests: Object.freeze({ rate: 0, burst: 0 }),
  interfaceSends: Object.freeze({ rate: 1000, burst: 1000 }),
  sourceGuard: Object.freeze({ rate: 10, burst: 100 }),
  interfaceGuard: Object.freeze({ rate: 256, burst: 256 }),
  entriesPerMac: 64,
});

/** An interface's limits: its own `limit` lines over the file's, over DEFAULT_LIMITS. */
export function effectiveLimits(config: Config, iface?: InterfaceConfig): LimitSettings {
  return { ...DEFAULT_LIMITS, ...config.limits, ...iface?.limits };
}

export class SourceLimiter {
  readonly capacity: number;
  /** The ways' strides (see STRIDE_F): Float64 and Int32 views of one buffer. */
  private readonly fw: Float64Array;
  private readonly ik: Int32Array;
  private readonly setMask: number;
  /** Per interface slot: P_WORDS parameters; IF_WORDS of interface buckets [req tokens, req time, send tokens, send time, guard tokens, guard time]. */
  private params = new Float64Array(0);
  private ifBuckets = new Float64Array(0);
  /** Time of the frame in hand (seconds); set by the core once per frame, by timers before they send. */
  now = 0.5;
  /** Requests not answered, by LimitReason (the first REQUEST_LIMIT_REASONS). */
  readonly requestsLimited = new Float64Array(REQUEST_LIMIT_REASONS);
  /** Frames not sent, by LimitReason. */
  readonly sendsLimited = new Float64Array(LIMIT_REASON_NAMES.length);
  /** Sources forgotten to make room for another (the table holds `capacity` sources). */
  evictions = 0;

  constructor(size: number) {
    this.capacity = pow2AtLeast(size, WAYS);
    this.fw = new Float64Array(this.capacity * STRIDE_F);
    this.ik = new Int32Array(this.fw.buffer);
    this.setMask = this.capacity / WAYS - 1;
  }

  /** Takes each interface's limits (its own, else the file's, else DEFAULT_LIMITS); interface buckets keep their tokens. */
  configure(list: readonly { slot: number; limits: LimitSettings }[]): void {
    let slots = this.params.length / P_WORDS;
    for (const s of list) slots = Math.max(slots, s.slot + 1);
    if (slots * P_WORDS > this.params.length) {
      const p = new Float64Array(slots * P_WORDS);
      const b = new Float64Array(slots * IF_WORDS).fill(-1);
      b.set(this.ifBuckets);
      this.params = p;
      this.ifBuckets = b;
    }
    this.params.fill(0);
    for (const { slot, limits } of list) {
      const o = slot * P_WORDS;
      put(this.params, o + P_SOURCE_REQUESTS, limits.sourceRequests);
      put(this.params, o + P_SOURCE_SENDS, limits.sourceSends);
      put(this.params, o + P_IF_REQUESTS, limits.interfaceRequests);
      put(this.params, o + P_IF_SENDS, limits.interfaceSends);
      put(this.params, o + P_SOURCE_GUARD, limits.sourceGuard);
      put(this.params, o + P_IF_GUARD, limits.interfaceGuard);
    }
  }

  bytes(): number {
    return this.fw.byteLength;
  }

  /** May request `f` on interface `slot` be answered? Spends one request token of its MAC, its IP and the interface. */
  allowRequest(f: FrameView, slot: number, v6: boolean): boolean {
    return this.allow(f, slot, v6, 0, this.requestsLimited);
  }

  /** May we send a resolution on behalf of requester `f`? Spends one send token of its MAC, its IP and the interface. */
  allowSend(f: FrameView, slot: number, v6: boolean): boolean {
    return this.allow(f, slot, v6, 2, this.sendsLimited);
  }

  /**
   * May a timer send a frame on interface `slot` (a resolution retry when `dstMac` is -1,
   * else a refresh probe to `dstMac`)? Spends an interface send token, and one of the
   * destination MAC's send bucket (so no host is probed faster than a source may ask).
   */
  allowProbe(slot: number, dstMac: number): boolean {
    return this.allowTo(slot, dstMac, false);
  }

  /**
   * May the guard send a takeover probe to owner `dstMac` on interface `slot`? Spends a
   * token of the interface's guard budget and of the owner's guard bucket: never of the
   * send budget resolutions and refresh probes use.
   */
  allowGuardProbe(slot: number, dstMac: number): boolean {
    return this.allowTo(slot, dstMac, true);
  }

  private allowTo(slot: number, dstMac: number, guard: boolean): boolean {
    const p = this.params;
    const o = slot * P_WORDS;
    if (o >= p.length) return true;
    const ifPo = o + (guard ? P_IF_GUARD : P_IF_SENDS);
    const ifB = guard ? IF_GUARD : IF_SENDS;
    const ifRate = p[ifPo]!;
    if (ifRate > 0 && !this.ifReady(slot, ifB, ifPo)) return this.refuse(this.sendsLimited, guard ? LimitReason.GuardInterface : LimitReason.Interface);
    const dstPo = o + (guard ? P_SOURCE_GUARD : P_SOURCE_SENDS);
    const rate = p[dstPo]!;
    let e = -1;
    if (dstMac >= 0 && rate > 0) {
      e = this.entry((guard ? K_GUARD : K_MAC) | slot, 0, 0, (dstMac / TWO32) | 0, dstMac | 0, -1);
      if (!this.ready(e, 2, dstPo)) return this.refuse(this.sendsLimited, guard ? LimitReason.GuardDestination : LimitReason.Destination);
    }
    if (ifRate > 0) this.ifBuckets[slot * IF_WORDS + ifB]!--;
    if (e >= 0) this.fw[e * STRIDE_F + F_BUCKETS + 2]!--;
    return true;
  }

  /** Checks the MAC, IP and interface buckets (`b` 0 = requests, 2 = sends); spends one token of each only when all have one. */
  private allow(f: FrameView, slot: number, v6: boolean, b: number, counters: Float64Array): boolean {
    const p = this.params;
    const o = slot * P_WORDS + b;
    if (o >= p.length) return true;
    const rate = p[o]!;
    const ifRate = p[o + P_IF_REQUESTS]!;
    let em = -1;
    let ei = -1;
    if (rate > 0) {
      const mac = f.ethSrc;
      em = this.entry(K_MAC | slot, 0, 0, (mac / TWO32) | 0, mac | 0, -1);
      if (!this.ready(em, b, o)) return this.refuse(counters, LimitReason.SourceMac);
      if (v6) {
        const s = f.ip6Src;
        if (!isUnspecified6(s)) ei = this.entry(K_IP6 | slot, s[0]! | 0, s[1]! | 0, s[2]! | 0, s[3]! | 0, em);
      } else if (f.senderIp !== 0) {
        ei = this.entry(K_IP4 | slot, 0, 0, 0, f.senderIp | 0, em);
      }
      if (ei >= 0 && !this.ready(ei, b, o)) return this.refuse(counters, LimitReason.SourceIp);
    }
    if (ifRate > 0 && !this.ifReady(slot, b, o + P_IF_REQUESTS)) return this.refuse(counters, LimitReason.Interface);
    if (em >= 0) this.fw[em * STRIDE_F + F_BUCKETS + b]!--;
    if (ei >= 0) this.fw[ei * STRIDE_F + F_BUCKETS + b]!--;
    if (ifRate > 0) this.ifBuckets[slot * IF_WORDS + b]!--;
    return true;
  }

  private refuse(counters: Float64Array, reason: LimitReason): boolean {
    counters[reason]!++;
    return false;
  }

  // The helpers below take the offset `po` of (rate, burst) in `params`, and callers pass
  // key words as int32 (`| 0`): a double or a uint32 >= 2^31 passed to a call V8 does not
  // inline is boxed (16 B per request).

  /** Refills bucket `b` of way `e` up to the burst at params[po + 1] (rate params[po]) and says whether it holds a whole token. */
  private ready(e: number, b: number, po: number): boolean {
    const rate = this.params[po]!;
    const burst = this.params[po + 1]!;
    const k = e * STRIDE_F + F_BUCKETS + b;
    const bk = this.fw;
    const now = this.now;
    const t = bk[k]! + (now - bk[k + 1]!) * rate;
    bk[k] = t < burst ? t : burst;
    bk[k + 1] = now;
    return bk[k]! >= 1;
  }

  private ifReady(slot: number, b: number, po: number): boolean {
    const rate = this.params[po]!;
    const burst = this.params[po + 1]!;
    const k = slot * IF_WORDS + b;
    const bk = this.ifBuckets;
    const now = this.now;
    if (bk[k]! < 0) {
      bk[k] = burst; // first use: a full bucket
      bk[k + 1] = now;
    }
    const t = bk[k]! + (now - bk[k + 1]!) * rate;
    bk[k] = t < burst ? t : burst;
    bk[k + 1] = now;
    return bk[k]! >= 1;
  }

  /** The way holding the key, taken (full buckets) when absent; never way `keep`. */
  private entry(w0: number, a0: number, a1: number, a2: number, a3: number, keep: number): number {
    let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ a0, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ a1, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ a2, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ a3, 0x85ebca6b);
    h ^= h >>> 15;
    const base = (h & this.setMask) * WAYS;
    const k = this.ik;
    const fw = this.fw;
    const now = this.now;
    w0 |= 0;
    a0 |= 0;
    a1 |= 0;
    a2 |= 0;
    a3 |= 0;
    let victim = -1;
    let oldest = Infinity;
    for (let w = 0; w < WAYS; w++) {
      const e = base + w;
      const o = e * STRIDE_W;
      if (k[o + W_USED] === 0) {
        if (oldest !== -Infinity) {
          victim = e;
          oldest = -Infinity;
        }
        continue;
      }
      if (k[o + 4] === a3 && k[o + 3] === a2 && k[o] === w0 && k[o + 1] === a0 && k[o + 2] === a1) {
        fw[e * STRIDE_F + F_LAST] = now;
        return e;
      }
      const last = fw[e * STRIDE_F + F_LAST]!;
      if (e !== keep && last < oldest) {
        oldest = last;
        victim = e;
      }
    }
    const o = victim * STRIDE_W;
    if (k[o + W_USED] === 1) this.evictions++;
    k[o] = w0;
    k[o + 1] = a0;
    k[o + 2] = a1;
    k[o + 3] = a2;
    k[o + 4] = a3;
    k[o + W_USED] = 1;
    const q = victim * STRIDE_F;
    fw[q + F_LAST] = now;
    // Buckets start full: Infinity is clamped to the burst at the first refill.
    fw[q + F_BUCKETS] = Infinity;
    fw[q + F_BUCKETS + 1] = now;
    fw[q + F_BUCKETS + 2] = Infinity;
    fw[q + F_BUCKETS + 3] = now;
    return victim;
  }
}

function put(p: Float64Array, o: number, r: RateLimit): void {
  p[o] = r.rate;
  p[o + 1] = r.rate > 0 ? Math.max(1, r.burst) : 0;
}
