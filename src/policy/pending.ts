// Answers waiting for a redirect router's MAC. Bounded (a full queue refuses new
// answers, counted); each answer is held for the interface's `timeout` seconds.
// Scanned linearly only when an awaited router address is learned and on tick while
// non-empty; the bound is small (default 4096).

export class PendingAnswers {
  readonly capacity: number;
  /** Cache key of the router being resolved (meta + 4 address words). */
  readonly viaKey: Uint32Array;
  readonly requesterMac: Float64Array;
  /** Requester's address (IPv4 in word 3) and the requested target (IPv4 in word 3). */
  readonly requesterIp: Uint32Array;
  readonly target: Uint32Array;
  readonly deadline: Float64Array;
  /** Interface slot and VLAN the request came on. */
  readonly slot: Int32Array;
  readonly vlan: Int32Array;
  /** Rule index that decided (for logs). */
  readonly rule: Int32Array;
  readonly used: Uint8Array;
  /** Stack of free indices: reserve and release are O(1) even in a storm. */
  private readonly free: Int32Array;
  private freeTop: number;
  count = 0;
  queued = 0;
  answered = 0;
  expired = 0;
  refused = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.viaKey = new Uint32Array(capacity * 5);
    this.requesterMac = new Float64Array(capacity);
    this.requesterIp = new Uint32Array(capacity * 4);
    this.target = new Uint32Array(capacity * 4);
    this.deadline = new Float64Array(capacity);
    this.slot = new Int32Array(capacity);
    this.vlan = new Int32Array(capacity);
    this.rule = new Int32Array(capacity);
    this.used = new Uint8Array(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  /** A free index, or -1 when full (counted). The caller fills the arrays and calls `commit`. */
  reserve(): number {
    if (this.freeTop === 0) {
      this.refused++;
      return -1;
    }
    return this.free[this.freeTop - 1]!;
  }

  commit(i: number): void {
    this.freeTop--; // i is the top of the free stack (from reserve)
    this.used[i] = 1;
    this.count++;
    this.queued++;
  }

  release(i: number): void {
    if (!this.used[i]) return;
    this.used[i] = 0;
    this.count--;
    this.free[this.freeTop++] = i;
  }

  /** True when entry i waits for the router with this cache key. */
  waitsFor(i: number, w0: number, a0: number, a1: number, a2: number, a3: number): boolean {
    const o = i * 5;
    const k = this.viaKey;
    return this.used[i] === 1 && k[o] === w0 && k[o + 4] === a3 && k[o + 3] === a2 && k[o + 1] === a0 && k[o + 2] === a1;
  }
}
