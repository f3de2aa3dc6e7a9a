// Every bound `run` enforces, named once so `check` refuses what `run` could not do
// (issue 12: check = run). Each constant says where run's own limit lives; those
// modules should import it from here rather than keep a second copy.
import { pow2AtLeast } from '../net/pow2';

/** Linux IFNAMSIZ: a name is at most 15 bytes plus the NUL (include/uapi/linux/if.h; native/ring.cc asserts it). */
export const IFNAME_MAX_BYTES = 15;

/**
 * Static entries of the whole file (every interface, plus those added with `ctl add`):
 * the bound of the policy's static table (src/policy/policy.ts `staticSize`). The table
 * starts at 4 096 entries and doubles as it fills, so the bound costs nothing until used:
 * about 46 bytes per entry, 12 MiB at the bound.
 */
export const MAX_STATICS = 262_144;

/** Largest `cache tablesize`: 2^24 entries, about 1.8 GiB of typed arrays (see cacheBytes). */
export const MAX_TABLESIZE = 16_777_216;

/**
 * Interfaces: the cache and static keys keep the interface slot in 18 bits
 * (src/policy/addrtable.ts metaWord).
 */
export const MAX_INTERFACES = 262_144;

/** `ring framesize`: the engine tiles 4 KiB blocks with whole frames, so a power of two in this range (src/engine/ring.ts). */
export const RING_FRAME_SIZE_MIN = 128;
export const RING_FRAME_SIZE_MAX = 65536;
/** `ring rx`/`tx` frames: src/engine/ring.ts accepts 1 to 2^20 per ring. */
export const RING_FRAMES_MAX = 1 << 20;
/** RX plus TX ring memory of one interface; a bound on typing mistakes, well below the kernel's 4 GiB per ring. */
export const RING_MAX_BYTES = 1 << 30;
/** The kernel's block for frames up to 4 KiB: ring frame counts are rounded up to whole blocks (native/ring.cc). */
export const RING_BLOCK_BYTES = 4096;
/**
 * The ring geometry `run` uses for what the file leaves out (src/daemon/ringsize.ts reads
 * these): 32 768 RX slots cover a 20 000-request back-to-back burst plus 300-600 ms of
 * the daemon waiting for a CPU at 25 000 requests/s (issue 11, bench/stall); 256 bytes
 * hold any ARP or NS frame with two VLAN tags; TX is a few batches of replies.
 */
export const RING_ENGINE_DEFAULTS = Object.freeze({ rxFrames: 32768, txFrames: 4096, frameSize: 256 });
/**
 * `ring pace`: from this many frames/s on one ring, a batch under 64 frames waits 1 ms
 * before the next poll (src/engine/pace.ts). Issue 12's flood at 20 000/s woke the daemon
 * for every 2-3 frames (14-18 us of CPU per frame); paced, 4.6-6.7 us. The price: up to
 * 1 ms more per answer, only while the ring is that busy. Off by default: at the bench's
 * 80 000 requests/s (`npm run bench -- --rt`, median of 3) a default of 10 000 took ARP
 * p50/p99 from 38/104 us to 919/1 580 us and NS from 59/269 to 797/1 639 us, while the
 * flood's loss came from elsewhere (the joins' cache dump). An operator who would rather
 * spend less CPU under flood sets it (`ring pace 10000`).
 */
export const RING_PACE_DEFAULT_PPS = 0;
/** Below 1 000 frames/s a 1 ms wait gathers less than a frame: nothing to save, only latency added. */
export const RING_PACE_MIN_PPS = 1_000;
/** A bound on typing mistakes, above what one AF_PACKET ring receives. */
export const RING_PACE_MAX_PPS = 10_000_000;


/**
 * Bytes the neighbour cache allocates for `tablesize` entries (src/policy/cache.ts): a
 * 64-byte stride, 13 bytes of probe count, queue links and free list, 5 bytes of LRU
 * segment and partition (lru.ts), two Int32 words per hash slot at load factor <= 1/2 and
 * the exact MAC quota table (lru.ts MacQuota: 8-byte slots at load factor <= 1/2, as
 * quotaSlots, and 16 bytes per 65 535 entries for MACs holding more, as quotaBigSlots),
 * about 115 bytes per entry. A test compares it with NeighborCache.bytes().
 */
export function cacheBytes(tablesize: number): number {
  const cells = pow2AtLeast(tablesize * 2, 8);
  const quotaSlots = Math.max(8, 2 * tablesize + 2);
  const quotaBig = Math.floor(tablesize / 0xffff) + 1;
  return tablesize * (64 + 1 + 8 + 4 + 5) + 2 * 4 * cells + 8 * quotaSlots + 16 * quotaBig;
}

/** Frames a ring really gets: rounded up to whole blocks of RING_BLOCK_BYTES (or one frame per block above it). */
export function ringFramesRounded(frames: number, frameSize: number): number {
  const per = frameSize >= RING_BLOCK_BYTES ? 1 : RING_BLOCK_BYTES / frameSize;
  return Math.ceil(frames / per) * per;
}

/** Bytes as an operator reads them: `512 B`, `8 KiB`, `2.5 MiB`, `1.5 GiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || Number.isInteger(v) ? 0 : v < 10 ? 2 : v < 100 ? 1 : 0;
  const text = v.toFixed(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  return `${text} ${units[u]}`;
}

/**
 * Groups per interface, at most. Each membership costs the socket ~64 bytes of option
 * memory (net.core.optmem_max, 20 KiB on older kernels, 128 KiB on newer), and the
 * interface's MLD report grows with every group; 1024 covers a /128 per customer on a
 * large access port. Targets beyond it are not joined, counted in `overLimit`, logged.
 */
export const MLD_MAX_GROUPS = 1024;

/** HA takeover: targets answered per interface remembered for the takeover burst (src/pipeline/answered.ts). */
export const HA_ANSWERED_TARGETS = 4096;
