// The daemon's ring geometry: how many request frames the kernel can hold while the
// daemon is not running. The RX ring is the only buffer between the kernel's receive path
// (softirq, always runs) and the event loop (runs when the scheduler lets it): it must
// cover a burst plus the longest time the process waits for a CPU. Issue 11 measured
// both (bench/stall, /work notes): a 20 000-request back-to-back burst arrives faster
// than it is answered, so nearly all of it sits in the ring at once, and on a loaded
// 2-core host, where the main thread spent 1.4-3.5 s of every 4 s runnable but not running
// (schedstat), frames waited up to 300-600 ms in the ring at 25 000 requests/s: 7 500-15 000
// frames. 32 768 slots cover both; 256-byte slots hold
// any ARP or NS frame with two VLAN tags (a V2 slot spends 76 bytes on its headers,
// the virtio_net_hdr of linear TX included: src/engine/ring.ts linearTx).
import { RING_ENGINE_DEFAULTS } from '../config/limits';
import { effectivePace } from '../config/ring';
import { paced } from '../engine/pace';
import type { Ring } from '../engine/ring';
import type { RingConfig } from '../config/types';

/** Ring.open options for an interface's `ring` setting (config/limits.ts defaults filled in). */
export function ringOpenOptions(g: RingConfig = {}): { rxFrames: number; txFrames: number; frameSize: number } {
  return {
    rxFrames: g.rxFrames ?? RING_ENGINE_DEFAULTS.rxFrames,
    txFrames: g.txFrames ?? RING_ENGINE_DEFAULTS.txFrames,
    frameSize: g.frameSize ?? RING_ENGINE_DEFAULTS.frameSize,
  };
}

/**
 * A daemon ring, paced from the interface's `ring pace` (default RING_PACE_DEFAULT_PPS,
 * 0 = off): above it small batches wait 1 ms before the next poll (src/engine/pace.ts), at
 * most 1 ms more per answer, only under that load. Issue 12's flood at 20 000/s cost
 * 12-15 us of CPU per frame in wake-ups of 2-3 frames each.
 */
export function pacedRing(ring: Ring, g?: RingConfig): Ring {
  return paced(ring, effectivePace(g));
}
