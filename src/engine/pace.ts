// Pacing under flood. A wake-up of the ring (epoll, the call into JS, the sendto) cost
// ~25 us here, about ten flood frames' work, and at 20 000 frames/s the daemon woke for
// every 2-3 frames: 12-15 us of CPU per frame (bench/flood-sources.ts), where a frame in a
// full batch costs ~1 us (bench/flood-path.ts). While frames arrive at `abovePps` or more
// (measured over PACE_WINDOW_MS) and a batch was small, the ring is not polled again for
// PACE_MS, so the next batch holds that time's frames. Below the rate every frame wakes
// the loop at once, as without pacing: nothing is added to an answer's latency at normal
// load (native/ring.cc says why that matters: TPACKET_V3's block timer was rejected).
import { performance } from 'node:perf_hooks';
import type { BatchHandler, RingCounters } from './types';

/** How long a paced ring waits before it polls again (libuv timers have 1 ms resolution). */
export const PACE_MS = 1;
/** The window over which the arrival rate is measured. */
export const PACE_WINDOW_MS = 100;
/** Batches of fewer frames may pause (a full batch means the ring has a backlog: no wait). */
export const PACE_SMALL_BATCH = 64;

export class Pacer {
  /** Times the ring waited PACE_MS. */
  pauses = 0;
  private windowStart = 0;
  private windowFrames = 0;
  private fast = false;

  /** `abovePps` 0: never pauses. */
  constructor(
    readonly abovePps: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** After a batch of `count` frames: true when the ring should wait PACE_MS before polling again. */
  shouldPause(count: number): boolean {
    if (this.abovePps <= 0) return false;
    this.windowFrames += count;
    const t = this.clock();
    if (t - this.windowStart >= PACE_WINDOW_MS) {
      this.fast = (this.windowFrames * 1000) / (t - this.windowStart) >= this.abovePps;
      this.windowStart = t;
      this.windowFrames = 0;
    }
    if (!this.fast || count >= PACE_SMALL_BATCH) return false;
    this.pauses++;
    return true;
  }
}

/** What pacing needs of a ring (src/engine/ring.ts Ring). */
export interface PacedRing {
  start(handler: BatchHandler): void;
  stop(): void;
  counters(): RingCounters;
  readonly isClosed: boolean;
}

/**
 * `ring` with its start() paced above `abovePps` (0: returned unchanged): after a small
 * batch at that rate, the ring stops and starts again PACE_MS later, unless stop() or
 * close() came meanwhile. `pacer()` reads the current start's counts; counters() gains
 * `pacedWaits`, the waits of every start.
 */
export function paced<R extends PacedRing>(ring: R, abovePps: number, clock?: () => number): R & { pacer(): Pacer | null } {
  const out = ring as R & { pacer(): Pacer | null };
  let current: Pacer | null = null;
  out.pacer = () => current;
  if (abovePps <= 0) return out;
  const start = ring.start.bind(ring);
  const stop = ring.stop.bind(ring);
  const counters = ring.counters.bind(ring);
  let generation = 0;
  let waits = 0;
  ring.counters = (): RingCounters => ({ ...counters(), pacedWaits: waits });
  ring.start = (handler: BatchHandler): void => {
    const g = ++generation;
    const pacer = (current = new Pacer(abovePps, clock));
    let pausing = false;
    const resume = (): void => {
      pausing = false;
      if (g === generation && !ring.isClosed) start(wrapped);
    };
    const wrapped: BatchHandler = (batch, tx) => {
      handler(batch, tx);
      if (pausing || !pacer.shouldPause(batch.count)) return;
      pausing = true;
      waits++;
      stop(); // the addon's loop ends after this batch; its replies still leave
      setTimeout(resume, PACE_MS);
    };
    start(wrapped);
  };
  ring.stop = (): void => {
    generation++;
    stop();
  };
  return out;
}
