// The `delay N*T` counter: how many requests a (source, target) pair sent within T
// seconds. Bounded: a 4-way set-associative table in typed arrays; a new pair takes a
// free way or the way whose window started longest ago (counted as an eviction when
// that window was still open).
import { pow2AtLeast } from '../net/pow2';

const WAYS = 4;
const WORDS = 9; // meta, source (4), target (4)

export class DelayTable {
  readonly capacity: number;
  /** Int32 view of the keys: `hit` compares int32, so words may come as int32 (`| 0`) or uint32. */
  private readonly keys: Int32Array;
  private readonly first: Float64Array;
  private readonly count: Uint32Array;
  private readonly used: Uint8Array;
  private readonly setMask: number;
  evictions = 0;

  constructor(size: number) {
    this.capacity = pow2AtLeast(size, WAYS);
    this.keys = new Int32Array(this.capacity * WORDS);
    this.first = new Float64Array(this.capacity);
    this.count = new Uint32Array(this.capacity);
    this.used = new Uint8Array(this.capacity);
    this.setMask = this.capacity / WAYS - 1;
  }

  /** The time of the next `hitNow` (seconds) and the window length: fields, as doubles passed to a call are boxed. */
  now = 0.5;
  window = 0.5;

  /**
   * Counts one request for the pair and returns how many were seen in the window that
   * contains `now` (1 for the first). A window opens at the first request and lasts `window` seconds.
   */
  hit(
    meta: number,
    s0: number, s1: number, s2: number, s3: number,
    t0: number, t1: number, t2: number, t3: number,
    now: number,
    window: number,
  ): number {
    this.now = now;
    this.window = window;
    return this.hitNow(meta, s0, s1, s2, s3, t0, t1, t2, t3);
  }

  /**
   * `hit` at `this.now` with `this.window`: the hot path's form. Words may be int32 (`| 0`):
   * a uint32 >= 2^31 passed to a call V8 does not inline is boxed, an int32 never.
   */
  hitNow(meta: number, s0: number, s1: number, s2: number, s3: number, t0: number, t1: number, t2: number, t3: number): number {
    const now = this.now;
    const window = this.window;
    meta |= 0;
    s0 |= 0;
    s1 |= 0;
    s2 |= 0;
    s3 |= 0;
    t0 |= 0;
    t1 |= 0;
    t2 |= 0;
    t3 |= 0;
    let h = Math.imul(meta ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ s0, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ s1, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ s2, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ s3, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ t0, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ t1, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ t2, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ t3, 0x85ebca6b);
    h ^= h >>> 15;
    const base = (h & this.setMask) * WAYS;
    const k = this.keys;
    let victim = -1;
    let oldest = Infinity;
    for (let w = 0; w < WAYS; w++) {
      const e = base + w;
      if (!this.used[e]) {
        if (oldest !== -Infinity) {
          victim = e;
          oldest = -Infinity;
        }
        continue;
      }
      const o = e * WORDS;
      if (
        k[o] === meta && k[o + 1] === s0 && k[o + 2] === s1 && k[o + 3] === s2 && k[o + 4] === s3 &&
        k[o + 5] === t0 && k[o + 6] === t1 && k[o + 7] === t2 && k[o + 8] === t3
      ) {
        if (now - this.first[e]! > window) {
          this.first[e] = now;
          this.count[e] = 1;
        } else {
          this.count[e]!++;
        }
        return this.count[e]!;
      }
      if (this.first[e]! < oldest) {
        oldest = this.first[e]!;
        victim = e;
      }
    }
    if (this.used[victim] && now - this.first[victim]! <= window) this.evictions++;
    const o = victim * WORDS;
    k[o] = meta;
    k[o + 1] = s0;
    k[o + 2] = s1;
    k[o + 3] = s2;
    k[o + 4] = s3;
    k[o + 5] = t0;
    k[o + 6] = t1;
    k[o + 7] = t2;
    k[o + 8] = t3;
    this.used[victim] = 1;
    this.first[victim] = now;
    this.count[victim] = 1;
    return 1;
  }

  bytes(): number {
    return this.keys.byteLength + this.first.byteLength + this.count.byteLength + this.used.byteLength;
  }
}
