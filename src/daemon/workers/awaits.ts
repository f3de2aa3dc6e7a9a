// Queries whose replies reach another worker. The worker owning a target resolves the
// target's redirect router R (ARP request / NS for R, retries, refresh probes); R's reply
// is about R, so the fanout program hands it to owner(R), which did not ask and would
// drop it as unsolicited. So a worker marks "some worker awaits R until T" in memory
// every worker shares, before the query leaves; owner(R) takes a reply for R while the
// mark stands, learns R, and the learn reaches every worker as any router learn does
// (forward.ts), where the queued answers go out.
//
// Why a shared mark, and not a message to owner(R) or owner(R) resolving for everyone:
// the store is done before the frame is written to the TX ring, so it is visible to
// owner(R) before the reply can exist (no race between a port message and the ring);
// the requesting worker keeps its own pending answers, retries and deadlines unchanged;
// refresh probes of R are covered too; and nothing is sent per query. Steering replies by
// something else is not possible: an ARP reply or NA carries nothing of the asking worker.
//
// Marks live in a small table indexed by a hash of the key; two router keys in one slot
// share their deadline (either may then be taken while the other is awaited: a wider
// window for a reply we did ask for, never one for a key that is not a router).
import { ownerOf } from '../../bpf/fanout';
import type { SharedAwaits } from '../../policy/core';

export const AWAIT_SLOTS = 1024;
/** How long a mark stands after a query (s): resolution retries and refreshes renew it. */
export const AWAIT_SECONDS = 5;

export class RouterAwaits implements SharedAwaits {
  private readonly marks: Int32Array;
  /** Queries marked / replies taken for another worker's query. */
  marked = 0;
  taken = 0;

  /**
   * `epochMs`: the pool's start (Date.now()), the same in every worker: the marks are
   * seconds since then (each thread's performance.now() has its own origin).
   */
  constructor(
    buf: SharedArrayBuffer,
    private readonly epochMs: number,
    private readonly index: number,
    private readonly count: number,
    private readonly isRouter: (a0: number, a1: number, a2: number, a3: number) => boolean,
    private readonly clockMs: () => number = Date.now,
  ) {
    this.marks = new Int32Array(buf);
  }

  static buffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(AWAIT_SLOTS * 4);
  }

  /** Before a query for the key leaves: a router owned by another worker gets a mark. */
  asked(meta: number, a0: number, a1: number, a2: number, a3: number): void {
    if (!this.isRouter(a0, a1, a2, a3) || ownerOf(a0, a1, a2, a3, this.count) === this.index) return;
    Atomics.store(this.marks, slotOf(meta, a0, a1, a2, a3), this.seconds() + AWAIT_SECONDS);
    this.marked++;
  }

  /** A reply for the key arrived here unasked: take it when it is a router another worker awaits. */
  awaited(meta: number, a0: number, a1: number, a2: number, a3: number): boolean {
    if (!this.isRouter(a0, a1, a2, a3)) return false;
    const ok = Atomics.load(this.marks, slotOf(meta, a0, a1, a2, a3)) >= this.seconds();
    if (ok) this.taken++;
    return ok;
  }

  private seconds(): number {
    return Math.floor((this.clockMs() - this.epochMs) / 1000) + 1;
  }
}

function slotOf(meta: number, a0: number, a1: number, a2: number, a3: number): number {
  return (Math.imul(meta ^ a0 ^ a1 ^ a2 ^ a3, 0x9e3779b1) >>> 22) & (AWAIT_SLOTS - 1);
}
