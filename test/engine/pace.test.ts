// Pacing under flood (src/engine/pace.ts): small batches at a high arrival rate make the
// ring wait PACE_MS before it polls again; at a low rate, or for full batches, never; a
// stop() or close() during the wait is honoured. A fake ring and clock: no socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PACE_MS, PACE_SMALL_BATCH, PACE_WINDOW_MS, paced, Pacer } from '../../src/engine/pace';
import type { Batch, BatchHandler, RingCounters, TxWriter } from '../../src/engine/types';
import { emptyRingCounters } from '../../src/pipeline/stats';

class FakeRing {
  handler: BatchHandler | null = null;
  starts = 0;
  stops = 0;
  isClosed = false;
  counters(): RingCounters {
    return { ...emptyRingCounters(), framesReceived: 7 };
  }
  start(h: BatchHandler): void {
    this.starts++;
    this.handler = h;
  }
  stop(): void {
    this.stops++;
    this.handler = null;
  }
  /** Delivers a batch of `count` frames when the ring is polled; false when it is not. */
  deliver(count: number): boolean {
    if (!this.handler) return false;
    this.handler({ count, buf: new Uint8Array(0), desc: new Uint32Array(0) } as Batch, {} as TxWriter);
    return true;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('Pacer: pauses small batches only while the measured rate is at or above the threshold', () => {
  let t = 0;
  const p = new Pacer(10_000, () => t);
  // 100 ms at 4 000/s (batches of 2 every 0.5 ms): never a pause.
  for (let i = 0; i < 200; i++) { t += 0.5; assert.equal(p.shouldPause(2), false); }
  // The next window at 16 000/s: once measured, small batches pause, full ones do not.
  for (let i = 0; i < 800; i++) { t += 0.125; p.shouldPause(2); }
  assert.ok(t >= 2 * PACE_WINDOW_MS);
  t += 0.125;
  assert.equal(p.shouldPause(2), true);
  assert.equal(p.shouldPause(PACE_SMALL_BATCH), false, 'a full batch means a backlog: no wait');
  assert.ok(p.pauses > 0);
  assert.equal(new Pacer(0, () => t).shouldPause(1), false, '0: off');
});

test('paced(): after a small batch at flood rate the ring stops and polls again PACE_MS later', async () => {
  let t = 0;
  const ring = paced(new FakeRing(), 10_000, () => t);
  let seen = 0;
  ring.start((b) => { seen += b.count; });
  // 150 ms at 16 000/s in batches of 2, time advancing with each: pauses begin after the first window.
  let refused = 0;
  for (let i = 0; i < 1200; i++) {
    t += 0.125;
    while (!ring.deliver(2)) { refused++; await sleep(PACE_MS + 1); }
  }
  await sleep(PACE_MS + 5);
  assert.equal(seen, 2400, 'every batch handed over reached the handler');
  const pauses = ring.pacer()!.pauses;
  assert.ok(refused > 0 && pauses >= refused, `${refused} refused, ${pauses} pauses`);
  assert.equal(ring.stops, pauses);
  assert.equal(ring.starts, pauses + 1, 'each pause ends in a new poll');
  assert.deepEqual(ring.counters(), { ...emptyRingCounters(), framesReceived: 7, pacedWaits: pauses }, 'the waits are counted with the ring');
});

test('paced(): a stop() or close() during the wait is not undone by the resume', async () => {
  let t = 0;
  const fast = async (ring: FakeRing): Promise<void> => {
    for (let i = 0; i < 1200 && ring.deliver(2); i++) t += 0.125;
  };
  const a = paced(new FakeRing(), 10_000, () => t);
  a.start(() => undefined);
  await fast(a);
  assert.equal(a.handler, null, 'paused');
  a.stop();
  await sleep(PACE_MS + 5);
  assert.equal(a.handler, null, 'stopped by its owner: stays stopped');
  const b = paced(new FakeRing(), 10_000, () => t);
  b.start(() => undefined);
  await fast(b);
  b.isClosed = true;
  await sleep(PACE_MS + 5);
  assert.equal(b.starts, 1, 'closed: not started again');
  const off = paced(new FakeRing(), 0, () => t);
  off.start(() => undefined);
  await fast(off);
  assert.notEqual(off.handler, null, 'pacing off: never stops');
});
