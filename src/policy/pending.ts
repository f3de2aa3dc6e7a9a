// Answers waiting for a redirect router's MAC. Bounded (a full queue refuses new
// answers, counted); each answer is held for the interface's `timeout` seconds.
// Scanned linearly, but only when a router address is learned or on tick, and the
// bound is small (default 4096).

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
  }

  /** A free index, or -1 when full (counted). The caller fills the arrays and calls `commit`. */
  reserve(): number {
    if (this.count >= this.capacity) {
      this.refused++;
      return -1;
    }
    for (let i = 0; i < this.capacity; i++) if (!this.used[i]) return i;
    this.refused++;
    return -1;
  }

  commit(i: number): void {
    this.used[i] = 1;
    this.count++;
    this.queued++;
  }

  release(i: number): void {
    if (!this.used[i]) return;
    this.used[i] = 0;
    this.count--;
  }

  /** True when entry i waits for the router with this cache key. */
  waitsFor(i: number, w0: number, a0: number, a1: number, a2: number, a3: number): boolean {
    const o = i * 5;
    const k = this.viaKey;
    return this.used[i] === 1 && k[o] === w0 && k[o + 4] === a3 && k[o + 3] === a2 && k[o + 1] === a0 && k[o + 2] === a1;
  }
}
