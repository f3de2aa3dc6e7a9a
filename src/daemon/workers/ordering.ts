// Fanout member order. PACKET_FANOUT_CBPF hands a frame to member (program value mod
// group size), and the kernel numbers members in the order they joined; forwarding a
// learned sender to its owner needs member i to be worker i. So every worker opens its
// ring on an interface in turn: worker i waits (briefly, Atomics.wait, at start or when
// a link returns) until the interface's turn counter says i. A worker that never comes
// (its link read differs) is waited for at most TURN_WAIT_MS, then the order may differ
// until the next reopen: answers stay right, a learned sender may then live on a worker
// that does not see its requests (logged as fanout_order_timeout).
import { fnv1a } from './hash';

export const TURN_SLOTS = 256;
export const TURN_WAIT_MS = 2000;

export class RingTurns {
  private readonly turns: Int32Array;

  constructor(buf: SharedArrayBuffer, private readonly index: number, private readonly count: number) {
    this.turns = new Int32Array(buf);
  }

  static buffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(TURN_SLOTS * 4);
  }

  /** Runs `open` when it is this worker's turn on `ifname`; false when the wait timed out. */
  inTurn<T>(ifname: string, open: () => T): { value: T; timedOut: boolean } {
    const slot = fnv1a(ifname) % TURN_SLOTS;
    const deadline = Date.now() + TURN_WAIT_MS;
    let timedOut = false;
    for (;;) {
      const c = Atomics.load(this.turns, slot);
      if (c % this.count === this.index) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        timedOut = true;
        break;
      }
      Atomics.wait(this.turns, slot, c, left);
    }
    try {
      return { value: open(), timedOut };
    } finally {
      Atomics.add(this.turns, slot, 1);
      Atomics.notify(this.turns, slot);
    }
  }
}
