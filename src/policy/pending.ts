// Answers waiting for a redirect router's MAC. Bounded (a full queue refuses new
// answers, counted); each answer is held until its deadline (the interface's `timeout`).
// Scanned linearly only when an awaited router address is learned and on expiry while
// non-empty; the bound is small (default 4096). Storage is typed arrays, one record per
// index, laid out by the constants below.
import { KEY_WORDS } from './addrtable';
import type { FrameView } from '../wire/view';
import type { Mac } from '../net/addr';

/** Words of the router's cache key per record: the meta word, then four address words. */
export const VIA_WORDS = KEY_WORDS;
/** Words of an address (requester, target): IPv6 in all four, IPv4 in word IP4_WORD, the others 0. */
export const ADDR_WORDS = 4;
export const IP4_WORD = 3;

export class PendingAnswers {
  readonly capacity: number;
  /** Cache key of the router being resolved, VIA_WORDS per record (int32: words may come as int32 or uint32). */
  private readonly viaKey: Int32Array;
  /** Ethernet destination of the answer: the requester's link-layer address. */
  private readonly requesterMac: Float64Array;
  /** Requester's address and the requested target, ADDR_WORDS per record. */
  private readonly requesterIp: Uint32Array;
  private readonly target: Uint32Array;
  private readonly deadline: Float64Array;
  /** Interface slot and VLAN the request came on. */
  private readonly slots: Int32Array;
  private readonly vlans: Int32Array;
  /** Rule index that decided. */
  private readonly rules: Int32Array;
  private readonly used: Uint8Array;
  /** Stack of free indices: add and release are O(1) even in a storm. */
  private readonly free: Int32Array;
  private freeTop: number;
  /** Records waiting now. */
  count = 0;
  /** Records ever added, refused (queue full), expired (deadline passed). */
  queued = 0;
  refused = 0;
  expired = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.viaKey = new Int32Array(capacity * VIA_WORDS);
    this.requesterMac = new Float64Array(capacity);
    this.requesterIp = new Uint32Array(capacity * ADDR_WORDS);
    this.target = new Uint32Array(capacity * ADDR_WORDS);
    this.deadline = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
    this.vlans = new Int32Array(capacity);
    this.rules = new Int32Array(capacity);
    this.used = new Uint8Array(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  /**
   * Queues the answer to request `f` (ARP when `v6` is false) until the router with cache
   * key (meta, a0..a3) is learned or `deadline` passes. Returns the record index, or -1
   * when the queue is full (counted in `refused`).
   */
  add(meta: number, a0: number, a1: number, a2: number, a3: number, f: FrameView, v6: boolean, slot: number, rule: number, deadline: number): number {
    if (this.freeTop === 0) {
      this.refused++;
      return -1;
    }
    const i = this.free[--this.freeTop]!;
    const k = i * VIA_WORDS;
    const via = this.viaKey;
    via[k] = meta;
    via[k + 1] = a0;
    via[k + 2] = a1;
    via[k + 3] = a2;
    via[k + 4] = a3;
    const q = i * ADDR_WORDS;
    if (v6) {
      this.requesterMac[i] = f.sourceLinkAddr !== -1 ? f.sourceLinkAddr : f.ethSrc;
      this.requesterIp.set(f.ip6Src, q);
      this.target.set(f.target, q);
    } else {
      this.requesterMac[i] = f.senderMac;
      this.requesterIp.fill(0, q, q + ADDR_WORDS);
      this.requesterIp[q + IP4_WORD] = f.senderIp;
      this.target.fill(0, q, q + ADDR_WORDS);
      this.target[q + IP4_WORD] = f.targetIp;
    }
    this.deadline[i] = deadline;
    this.slots[i] = slot;
    this.vlans[i] = f.vlan;
    this.rules[i] = rule;
    this.used[i] = 1;
    this.count++;
    this.queued++;
    return i;
  }

  /** Frees record `i` (no-op when free). */
  release(i: number): void {
    if (!this.used[i]) return;
    this.used[i] = 0;
    this.count--;
    this.free[this.freeTop++] = i;
  }

  /** The first record at index >= `from` waiting for the router with this cache key, or -1. */
  nextWaiting(from: number, w0: number, a0: number, a1: number, a2: number, a3: number): number {
    const k = this.viaKey;
    w0 |= 0;
    a0 |= 0;
    a1 |= 0;
    a2 |= 0;
    a3 |= 0;
    for (let i = from; i < this.capacity && this.count > 0; i++) {
      const o = i * VIA_WORDS;
      if (this.used[i] === 1 && k[o] === w0 && k[o + 4] === a3 && k[o + 3] === a2 && k[o + 1] === a0 && k[o + 2] === a1) return i;
    }
    return -1;
  }

  /** True when a record for the router with this cache key is still waiting after `now` (a retry has someone to answer). */
  waiting(now: number, w0: number, a0: number, a1: number, a2: number, a3: number): boolean {
    for (let i = this.nextWaiting(0, w0, a0, a1, a2, a3); i >= 0; i = this.nextWaiting(i + 1, w0, a0, a1, a2, a3)) {
      if (this.deadline[i]! > now) return true;
    }
    return false;
  }

  /** Releases every record whose deadline is before `now`; returns how many (also counted in `expired`). */
  expire(now: number): number {
    let n = 0;
    for (let i = 0; i < this.capacity && this.count > 0; i++) {
      if (this.used[i] && this.deadline[i]! < now) {
        this.release(i);
        n++;
      }
    }
    this.expired += n;
    return n;
  }

  isUsed(i: number): boolean {
    return this.used[i] === 1;
  }

  deadlineOf(i: number): number {
    return this.deadline[i]!;
  }

  slotOf(i: number): number {
    return this.slots[i]!;
  }

  vlanOf(i: number): number {
    return this.vlans[i]!;
  }

  ruleOf(i: number): number {
    return this.rules[i]!;
  }

  requesterMacOf(i: number): Mac {
    return this.requesterMac[i]!;
  }

  /** Requester's IPv4 address of record `i`. */
  requesterIp4(i: number): number {
    return this.requesterIp[i * ADDR_WORDS + IP4_WORD]!;
  }

  /** Requested IPv4 target of record `i`. */
  target4(i: number): number {
    return this.target[i * ADDR_WORDS + IP4_WORD]!;
  }

  /** Copies the requester's IPv6 address of record `i` into `out`. */
  requesterIp6(i: number, out: Uint32Array): void {
    for (let w = 0; w < ADDR_WORDS; w++) out[w] = this.requesterIp[i * ADDR_WORDS + w]!;
  }

  /** Copies the requested IPv6 target of record `i` into `out`. */
  target6(i: number, out: Uint32Array): void {
    for (let w = 0; w < ADDR_WORDS; w++) out[w] = this.target[i * ADDR_WORDS + w]!;
  }
}
